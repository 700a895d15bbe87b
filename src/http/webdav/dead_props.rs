//! Dead properties (what PROPPATCH sets), stored in the database by path.

use std::path::PathBuf;

use axum::http::StatusCode;
use dav_server::fs::{DavProp, FsError, FsResult};

use crate::db;

/// A stored property: namespace, name, prefix, value.
type StoredProp = (String, String, Option<String>, Option<Vec<u8>>);

/// Dead properties (what PROPPATCH sets), kept in the database by path.
#[derive(Clone)]
pub(super) struct DeadProps {
    pub(super) db: sqlx::SqlitePool,
    pub(super) originals: PathBuf,
}

fn failed(e: sqlx::Error) -> FsError {
    tracing::error!(error = %e, "WebDAV properties: database error");
    FsError::GeneralFailure
}

impl DeadProps {
    pub(super) async fn patch(&self, path: &str, patch: Vec<(bool, DavProp)>) -> FsResult<Vec<(StatusCode, DavProp)>> {
        let mut tx = db::write_tx(&self.db).await.map_err(failed)?;
        let mut done = Vec::new();
        for (set, prop) in patch {
            let namespace = prop.namespace.clone().unwrap_or_default();
            if set {
                sqlx::query(
                    "INSERT OR REPLACE INTO webdav_props (path, namespace, name, prefix, xml) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(path)
                .bind(&namespace)
                .bind(&prop.name)
                .bind(&prop.prefix)
                .bind(&prop.xml)
                .execute(&mut *tx)
                .await
                .map_err(failed)?;
            } else {
                sqlx::query("DELETE FROM webdav_props WHERE path = ? AND namespace = ? AND name = ?")
                    .bind(path)
                    .bind(&namespace)
                    .bind(&prop.name)
                    .execute(&mut *tx)
                    .await
                    .map_err(failed)?;
            }
            done.push((StatusCode::OK, DavProp { xml: None, ..prop }));
        }
        tx.commit().await.map_err(failed)?;
        Ok(done)
    }

    pub(super) async fn all(&self, path: String, with_values: bool) -> FsResult<Vec<DavProp>> {
        let rows: Vec<StoredProp> =
            sqlx::query_as("SELECT namespace, name, prefix, xml FROM webdav_props WHERE path = ? ORDER BY rowid")
                .bind(&path)
                .fetch_all(&self.db)
                .await
                .map_err(failed)?;
        Ok(rows
            .into_iter()
            .map(|(namespace, name, prefix, xml)| DavProp {
                name,
                prefix,
                namespace: (!namespace.is_empty()).then_some(namespace),
                xml: if with_values { xml } else { None },
            })
            .collect())
    }

    pub(super) async fn one(&self, path: String, prop: DavProp) -> FsResult<Vec<u8>> {
        let xml: Option<Option<Vec<u8>>> =
            sqlx::query_scalar("SELECT xml FROM webdav_props WHERE path = ? AND namespace = ? AND name = ?")
                .bind(&path)
                .bind(prop.namespace.unwrap_or_default())
                .bind(&prop.name)
                .fetch_optional(&self.db)
                .await
                .map_err(failed)?;
        xml.flatten().ok_or(FsError::NotFound)
    }

    /// `path` itself or anything below it.
    const BELOW: &str = "(path = ?1 OR substr(path, 1, length(?1) + 1) = ?1 || '/')";

    pub(super) async fn forget(&self, path: &str) -> FsResult<()> {
        let sql = format!("DELETE FROM webdav_props WHERE {}", Self::BELOW);
        db::retry_busy(|| sqlx::query(&sql).bind(path).execute(&self.db)).await.map_err(failed)?;
        Ok(())
    }

    pub(super) async fn rename(&self, from: &str, to: &str) -> FsResult<()> {
        let mut tx = db::write_tx(&self.db).await.map_err(failed)?;
        let sql = format!("DELETE FROM webdav_props WHERE {}", Self::BELOW);
        sqlx::query(&sql).bind(to).execute(&mut *tx).await.map_err(failed)?;
        let sql = format!("UPDATE webdav_props SET path = ?2 || substr(path, length(?1) + 1) WHERE {}", Self::BELOW);
        sqlx::query(&sql).bind(from).bind(to).execute(&mut *tx).await.map_err(failed)?;
        tx.commit().await.map_err(failed)
    }

    pub(super) async fn copy(&self, from: &str, to: &str) -> FsResult<()> {
        let mut tx = db::write_tx(&self.db).await.map_err(failed)?;
        sqlx::query("DELETE FROM webdav_props WHERE path = ?").bind(to).execute(&mut *tx).await.map_err(failed)?;
        sqlx::query(
            "INSERT INTO webdav_props (path, namespace, name, prefix, xml) \
             SELECT ?2, namespace, name, prefix, xml FROM webdav_props WHERE path = ?1",
        )
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)
    }
}
