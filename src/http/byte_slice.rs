//! Serves a part of a file as if it were a file of its own (a Motion Photo's clip inside its
//! JPEG), with single-range requests so a `<video>` element can seek in it. ServeFile serves
//! whole files only.

use std::io::SeekFrom;
use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use crate::error::{AppError, AppResult};

/// Which bytes of a body a `Range` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// No header, another unit, or several ranges (which players do not send).
    Whole,
    /// From the first to the last byte, both included.
    Part(u64, u64),
    /// Outside the body.
    Unsatisfiable,
}

/// What the `Range` header asks of a `len`-byte body.
pub fn requested_range(headers: &HeaderMap, len: u64) -> Wanted {
    let Some(spec) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else { return Wanted::Whole };
    let Some(spec) = spec.trim().strip_prefix("bytes=") else { return Wanted::Whole };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((start, end)) = spec.split_once('-') else { return Wanted::Unsatisfiable };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        // `bytes=-500`: the last 500 bytes.
        (Err(_), Ok(suffix)) if start.is_empty() && suffix > 0 => (len.saturating_sub(suffix), len.saturating_sub(1)),
        (Ok(s), Ok(e)) if s <= e => (s, e.min(len.saturating_sub(1))),
        (Ok(s), Err(_)) if end.is_empty() => (s, len.saturating_sub(1)),
        _ => return Wanted::Unsatisfiable,
    };
    if len == 0 || range.0 >= len {
        return Wanted::Unsatisfiable;
    }
    Wanted::Part(range.0, range.1)
}

/// Answers with `len` bytes of `path` starting at `offset`, as `mime`: 200 whole, 206 for a range,
/// 416 for a range outside it. Streamed in chunks: memory stays flat whatever the clip's size.
pub async fn serve(path: &Path, offset: u64, len: u64, mime: &'static str, headers: &HeaderMap) -> AppResult<Response> {
    let (status, from, count) = match requested_range(headers, len) {
        Wanted::Unsatisfiable => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            r.headers_mut().insert(header::CONTENT_RANGE, header_value(format!("bytes */{len}"))?);
            return Ok(r);
        }
        Wanted::Whole => (StatusCode::OK, 0, len),
        Wanted::Part(s, e) => (StatusCode::PARTIAL_CONTENT, s, e - s + 1),
    };
    let mut file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AppError::NotFound),
        Err(e) => return Err(AppError::Internal(e.into())),
    };
    file.seek(SeekFrom::Start(offset + from)).await.map_err(|e| AppError::Internal(e.into()))?;
    let body = Body::from_stream(ReaderStream::new(file.take(count)));
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CONTENT_LENGTH, header_value(count.to_string())?);
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        h.insert(header::CONTENT_RANGE, header_value(format!("bytes {}-{}/{len}", from, from + count - 1))?);
    }
    Ok(response)
}

fn header_value(s: String) -> AppResult<HeaderValue> {
    HeaderValue::from_str(&s).map_err(|e| AppError::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(v: &str, len: u64) -> Wanted {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(v).unwrap());
        requested_range(&h, len)
    }

    #[test]
    fn ranges_are_read_as_players_send_them() {
        assert_eq!(range("bytes=0-", 100), Wanted::Part(0, 99));
        assert_eq!(range("bytes=10-19", 100), Wanted::Part(10, 19));
        assert_eq!(range("bytes=90-200", 100), Wanted::Part(90, 99));
        assert_eq!(range("bytes=-10", 100), Wanted::Part(90, 99));
        assert_eq!(range("bytes=100-", 100), Wanted::Unsatisfiable);
        assert_eq!(range("bytes=5-2", 100), Wanted::Unsatisfiable);
        assert_eq!(range("bytes=0-1,5-6", 100), Wanted::Whole);
        assert_eq!(requested_range(&HeaderMap::new(), 100), Wanted::Whole);
    }
}
