//! Where a viewer's photos were taken: the GPS positions the Places map shows.

use serde::Serialize;
use sqlx::SqlitePool;

use super::{Result, Scope};

/// One photo on the map.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Place {
    pub id: i64,
    pub lat: f64,
    pub lng: f64,
}

/// Every photo of the viewer's timeline (not archived, not in the trash, not missing) that has
/// a position, newest first.
pub async fn places(db: &SqlitePool, viewer: i64) -> Result<Vec<Place>> {
    let sql = format!(
        "SELECT p.id, p.latitude, p.longitude FROM photos p WHERE p.owner_id = ? AND {} \
         AND p.latitude IS NOT NULL AND p.longitude IS NOT NULL ORDER BY p.taken_at DESC, p.id DESC",
        Scope::Timeline.terms()
    );
    let rows = sqlx::query_as::<_, (i64, f64, f64)>(&sql).bind(viewer).fetch_all(db).await?;
    Ok(rows.into_iter().map(|(id, lat, lng)| Place { id, lat, lng }).collect())
}
