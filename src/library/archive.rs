//! Zip downloads, streamed: entries are stored (photos do not compress) and written into a
//! bounded pipe as the client reads, so no archive is ever built in memory or on disk.

use std::io;

use async_zip::tokio::write::ZipFileWriter;
use async_zip::{Compression, ZipDateTimeBuilder, ZipEntryBuilder};
use chrono::{Datelike, Timelike};
use futures_util::Stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::bytes::Bytes;
use tokio_util::compat::FuturesAsyncWriteCompatExt;
use tokio_util::io::ReaderStream;

use super::catalog::ZipItem;

/// How far the writer may run ahead of the client.
const PIPE_BYTES: usize = 256 * 1024;

/// The zip of `items` as a byte stream. A file that cannot be read is left out (and logged); a
/// client that goes away stops the writer.
pub fn zip_stream(items: Vec<ZipItem>) -> impl Stream<Item = io::Result<Bytes>> {
    let (writer, reader) = tokio::io::duplex(PIPE_BYTES);
    tokio::spawn(async move {
        if let Err(e) = write_zip(items, writer).await {
            tracing::info!(error = %e, "zip download ended early");
        }
    });
    ReaderStream::new(reader)
}

fn zip_date(t: std::time::SystemTime) -> async_zip::ZipDateTime {
    let t: chrono::DateTime<chrono::Local> = t.into();
    ZipDateTimeBuilder::new()
        .year(t.year())
        .month(t.month())
        .day(t.day())
        .hour(t.hour())
        .minute(t.minute())
        .second(t.second())
        .build()
}

async fn write_zip(items: Vec<ZipItem>, writer: tokio::io::DuplexStream) -> anyhow::Result<()> {
    let mut zip = ZipFileWriter::with_tokio(writer);
    for item in items {
        let mut file = match tokio::fs::File::open(&item.path).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(path = %item.path.display(), error = %e, "left a file out of a zip download");
                continue;
            }
        };
        // Stripped before the entry starts, so a file that cannot be stripped is left out
        // rather than ending the archive. Whole files in memory, one at a time: stripping needs
        // the segment layout up front.
        let stripped = match item.strip {
            Some(format) => {
                let mut bytes = Vec::new();
                (&mut file).take(item.len.unwrap_or(u64::MAX)).read_to_end(&mut bytes).await?;
                match tokio::task::spawn_blocking(move || super::strip::strip_metadata(&format, &bytes)).await? {
                    Some(b) => Some(b),
                    None => {
                        tracing::warn!(path = %item.path.display(), "left a file that could not be stripped out of a zip download");
                        continue;
                    }
                }
            }
            None => None,
        };
        let mut entry = ZipEntryBuilder::new(item.name.into(), Compression::Stored).unix_permissions(0o644);
        // A stripped entry keeps no file time either: it can tell when a picture was taken.
        if stripped.is_none()
            && let Ok(modified) = file.metadata().await.and_then(|m| m.modified())
        {
            entry = entry.last_modification_date(zip_date(modified));
        }
        let mut out = zip.write_entry_stream(entry).await?.compat_write();
        match stripped {
            Some(bytes) => out.write_all(&bytes).await?,
            None => {
                tokio::io::copy(&mut (&mut file).take(item.len.unwrap_or(u64::MAX)), &mut out).await?;
            }
        }
        out.into_inner().close().await?;
    }
    let mut pipe = zip.close().await?.into_inner();
    pipe.shutdown().await?;
    Ok(())
}
