//! The list query behind every photo list (one filtered, keyset-paginated page), the
//! previous/next photo, and the cameras and months a list offers as filters.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, SqlitePool};

use super::partners::timeline_partners;
use super::{AlbumOrder, CatalogError, Cursor, Filter, MAX_PAGE, Page, Result, Scope, album_role, partner_library};
use crate::library::store::{PHOTO_COLUMNS, PhotoRow};

enum Arg {
    Int(i64),
    Text(String),
}

fn like_pattern(word: &str) -> String {
    let escaped: String = word
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The page query and its arguments. Its plan walks the scope's index in order (tests check it
/// with `query_plan`), so a page costs the same at any library size.
/// With `newer`, the photos after the cursor in the other direction, oldest first. With `mixed`,
/// the timeline takes in the partners' libraries the viewer shows in it.
fn page_query(
    viewer: i64,
    scope: Scope,
    filter: &Filter,
    after: Option<Cursor>,
    limit: i64,
    newer: bool,
    opened: Opened,
) -> (String, Vec<Arg>) {
    let mut args = Vec::new();
    let (from, from_args, (order_t, order_id)) =
        if opened.mixed && scope == Scope::Timeline { mixed_timeline(viewer) } else { source(viewer, scope) };
    // An album is listed in its own order; every other list newest first.
    let (order_t, descending) = match (scope, opened.order) {
        (Scope::Album(_), AlbumOrder::Oldest) => (order_t, false),
        (Scope::Album(_), AlbumOrder::Added) => ("ap.added_at", true),
        _ => (order_t, true),
    };
    let mut sql = format!("SELECT {PHOTO_COLUMNS}, {order_t} AS sort_key FROM ");
    sql.push_str(&from);
    args.extend(from_args.into_iter().map(Arg::Int));
    sql.push_str(" AND ");
    sql.push_str(scope.terms());
    if let Some(text) = &filter.text {
        for word in text.split_whitespace().take(10) {
            sql.push_str(
                " AND (p.title LIKE ?1x ESCAPE '\\' OR p.description LIKE ?1x ESCAPE '\\' \
                 OR p.camera_make LIKE ?1x ESCAPE '\\' OR p.camera_model LIKE ?1x ESCAPE '\\' \
                 OR p.lens LIKE ?1x ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM files f WHERE f.photo_id = p.id AND f.path LIKE ?1x ESCAPE '\\'))"
                    .replace("?1x", "?")
                    .as_str(),
            );
            for _ in 0..6 {
                args.push(Arg::Text(like_pattern(word)));
            }
        }
    }
    if let Some(from) = filter.from {
        sql.push_str(" AND p.taken_local >= ?");
        args.push(Arg::Text(day_text(from)));
    }
    if let Some(to) = filter.to {
        sql.push_str(" AND p.taken_local < ?");
        args.push(Arg::Text(to.succ_opt().map(day_text).unwrap_or_else(|| "9999-99".into())));
    }
    match (filter.year, filter.month) {
        (Some(y), Some(m)) => {
            sql.push_str(" AND p.taken_local >= ? AND p.taken_local < ?");
            args.push(Arg::Text(format!("{y:04}-{m:02}")));
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            args.push(Arg::Text(format!("{ny:04}-{nm:02}")));
        }
        (Some(y), None) => {
            sql.push_str(" AND p.taken_local >= ? AND p.taken_local < ?");
            args.push(Arg::Text(format!("{y:04}")));
            args.push(Arg::Text(format!("{:04}", y + 1)));
        }
        (None, Some(m)) => {
            sql.push_str(" AND substr(p.taken_local, 6, 2) = ?");
            args.push(Arg::Text(format!("{m:02}")));
        }
        (None, None) => {}
    }
    if let Some(camera) = &filter.camera {
        sql.push_str(
            " AND (p.camera_model = ? COLLATE NOCASE \
             OR trim(coalesce(p.camera_make, '') || ' ' || coalesce(p.camera_model, '')) = ? COLLATE NOCASE)",
        );
        args.push(Arg::Text(camera.trim().to_string()));
        args.push(Arg::Text(camera.trim().to_string()));
    }
    if filter.favorites && scope != Scope::Favorites {
        sql.push_str(" AND p.favorite = 1");
    }
    if filter.location {
        sql.push_str(" AND p.latitude IS NOT NULL AND p.longitude IS NOT NULL");
    }
    if let Some(media_type) = filter.media_type {
        sql.push_str(" AND p.media_type = ?");
        args.push(Arg::Text(media_type.to_string()));
    }
    // `newer` walks back the other way, towards the start of the list.
    let (cmp, dir, start) = if descending != newer { ("<", "DESC", i64::MAX) } else { (">", "ASC", i64::MIN) };
    let after = after.unwrap_or(Cursor { key: start, id: start });
    sql.push_str(&format!(
        " AND ({order_t}, {order_id}) {cmp} (?, ?) ORDER BY {order_t} {dir}, {order_id} {dir} LIMIT ?"
    ));
    args.push(Arg::Int(after.key));
    args.push(Arg::Int(after.id));
    args.push(Arg::Int(limit));
    (sql, args)
}

/// Where a scope's photos come from (`FROM … WHERE …`, to be continued with AND), its
/// arguments and the columns it is ordered by.
fn source(viewer: i64, scope: Scope) -> (String, Vec<i64>, (&'static str, &'static str)) {
    match scope {
        // The album's photos: the viewer's own and, in a shared album, everyone's that are not
        // private (the viewer's role was checked by the caller).
        Scope::Album(album) => (
            "album_photos ap JOIN photos p ON p.id = ap.photo_id WHERE ap.album_id = ? AND (p.owner_id = ? OR p.private = 0)"
                .into(),
            vec![album, viewer],
            ("ap.taken_at", "ap.photo_id"),
        ),
        // A partner's library, asked again here so that a revoked partnership shows nothing.
        Scope::Partner(owner) => (
            "photos p WHERE p.owner_id = ? AND p.private = 0 \
             AND EXISTS (SELECT 1 FROM partners pa WHERE pa.owner_id = p.owner_id AND pa.partner_id = ?)"
                .into(),
            vec![owner, viewer],
            ("p.taken_at", "p.id"),
        ),
        _ => ("photos p WHERE p.owner_id = ?".into(), vec![viewer], ("p.taken_at", "p.id")),
    }
}

/// The viewer's timeline with the libraries of the partners they show in it: their own photos
/// and the partners' that are not private (archived and trashed ones are out by the scope).
fn mixed_timeline(viewer: i64) -> (String, Vec<i64>, (&'static str, &'static str)) {
    (
        "photos p WHERE (p.owner_id = ? OR (p.private = 0 AND p.owner_id IN \
         (SELECT owner_id FROM partners WHERE partner_id = ? AND in_timeline = 1)))"
            .into(),
        vec![viewer, viewer],
        ("p.taken_at", "p.id"),
    )
}

fn arguments(args: Vec<Arg>) -> SqliteArguments<'static> {
    let mut out = SqliteArguments::default();
    for a in args {
        // Adding an i64 or a String to SQLite arguments cannot fail.
        let _ = match a {
            Arg::Int(i) => out.add(i),
            Arg::Text(t) => out.add(t),
        };
    }
    out
}

/// What a list needs to know before its query is made.
#[derive(Debug, Clone, Copy, Default)]
struct Opened {
    /// The timeline takes in partners' libraries.
    mixed: bool,
    /// An album's order (Newest for every other list).
    order: AlbumOrder,
}

/// Checks that `viewer` may list `scope` (NotFound for an album or a partner's library that is
/// not theirs to see), says whether their timeline takes in partners' libraries and in which
/// order an album is listed.
async fn open_scope(db: &SqlitePool, viewer: i64, scope: Scope) -> Result<Opened> {
    match scope {
        Scope::Album(album) => {
            album_role(db, viewer, album).await?;
            Ok(Opened { mixed: false, order: album_order(db, album).await? })
        }
        Scope::Partner(owner) => partner_library(db, viewer, owner).await.map(|_| Opened::default()),
        Scope::Timeline => Ok(Opened { mixed: timeline_partners(db, viewer).await?, ..Default::default() }),
        _ => Ok(Opened::default()),
    }
}

/// The order the album's photos are listed in (the default for an album that does not exist).
async fn album_order(db: &SqlitePool, album: i64) -> Result<AlbumOrder> {
    let order: Option<AlbumOrder> =
        sqlx::query_scalar("SELECT sort_order FROM albums WHERE id = ?").bind(album).fetch_optional(db).await?;
    Ok(order.unwrap_or_default())
}

/// A page row: the photo and the value of the key its list is sorted by.
#[derive(sqlx::FromRow)]
struct Keyed {
    #[sqlx(flatten)]
    photo: PhotoRow,
    sort_key: i64,
}

impl Keyed {
    fn cursor(&self) -> Cursor {
        Cursor { key: self.sort_key, id: self.photo.id }
    }
}

/// One page of `viewer`'s photos in `scope` matching `filter`: newest first by date taken, an
/// album in its own order.
pub async fn list(
    db: &SqlitePool,
    viewer: i64,
    scope: Scope,
    filter: &Filter,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Page> {
    let opened = open_scope(db, viewer, scope).await?;
    let limit = limit.clamp(1, MAX_PAGE);
    let (sql, args) = page_query(viewer, scope, filter, after, limit, false, opened);
    let rows: Vec<Keyed> = sqlx::query_as_with(&sql, arguments(args)).fetch_all(db).await?;
    let next = if rows.len() as i64 == limit { rows.last().map(Keyed::cursor) } else { None };
    Ok(Page { photos: rows.into_iter().map(|r| r.photo).collect(), next })
}

/// Where `photo` stands in the list of `scope`: the cursor whose page comes right after it.
pub async fn cursor_of(db: &SqlitePool, scope: Scope, photo: &PhotoRow) -> Result<Cursor> {
    let key = match scope {
        Scope::Album(album) if album_order(db, album).await? == AlbumOrder::Added => {
            sqlx::query_scalar("SELECT added_at FROM album_photos WHERE album_id = ? AND photo_id = ?")
                .bind(album)
                .bind(photo.id)
                .fetch_optional(db)
                .await?
                .ok_or(CatalogError::NotFound)?
        }
        _ => photo.taken_at,
    };
    Ok(Cursor { key, id: photo.id })
}

/// The lines of `EXPLAIN QUERY PLAN` for a page query (tests check that it walks an index).
pub async fn query_plan(db: &SqlitePool, viewer: i64, scope: Scope, filter: &Filter) -> Result<Vec<String>> {
    // The plan of the query as it would run; no access check, as nothing is read but the plan.
    let opened = Opened {
        mixed: scope == Scope::Timeline && timeline_partners(db, viewer).await?,
        order: if let Scope::Album(album) = scope { album_order(db, album).await? } else { AlbumOrder::Newest },
    };
    let (sql, args) = page_query(viewer, scope, filter, None, 100, false, opened);
    let rows: Vec<(i64, i64, i64, String)> =
        sqlx::query_as_with(&format!("EXPLAIN QUERY PLAN {sql}"), arguments(args)).fetch_all(db).await?;
    Ok(rows.into_iter().map(|r| r.3).collect())
}

/// The photos right before and after `photo` in the list (for the viewer's previous/next).
pub async fn neighbours(
    db: &SqlitePool,
    viewer: i64,
    scope: Scope,
    filter: &Filter,
    photo: &PhotoRow,
) -> Result<(Option<i64>, Option<i64>)> {
    let opened = open_scope(db, viewer, scope).await?;
    let here = cursor_of(db, scope, photo).await?;
    let mut ids = [None, None];
    for (i, newer) in [true, false].into_iter().enumerate() {
        let (sql, args) = page_query(viewer, scope, filter, Some(here), 1, newer, opened);
        let row: Option<Keyed> = sqlx::query_as_with(&sql, arguments(args)).fetch_optional(db).await?;
        ids[i] = row.map(|r| r.photo.id);
    }
    let [prev, next] = ids;
    Ok((prev, next))
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Camera {
    /// The value for `Filter::camera`.
    pub name: String,
    pub photos: i64,
}

/// The cameras of `viewer`'s photos (not in the trash), most used first.
pub async fn cameras(db: &SqlitePool, viewer: i64) -> Result<Vec<Camera>> {
    // From the counts the triggers of migration 0075 keep: a few rows, whatever the library's size.
    let rows: Vec<(Option<String>, String, i64)> = sqlx::query_as(
        "SELECT make, model, photos FROM photo_camera_counts WHERE owner_id = ? AND photos > 0 \
         ORDER BY photos DESC, model",
    )
    .bind(viewer)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(make, model, photos)| {
            let make = make.unwrap_or_default();
            let name = if make.is_empty() || model.to_lowercase().starts_with(&make.to_lowercase()) {
                model
            } else {
                format!("{make} {model}")
            };
            Camera { name, photos }
        })
        .collect())
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Month {
    /// `YYYY-MM` of the local date taken.
    pub month: String,
    pub photos: i64,
}

/// How many photos of `scope` were taken in each month, newest month first (for month headings,
/// a date scrubber and the year/month filters).
pub async fn months(db: &SqlitePool, viewer: i64, scope: Scope) -> Result<Vec<Month>> {
    let mixed = open_scope(db, viewer, scope).await?.mixed;
    let (sql, args) = match scope.count_terms() {
        // One's own library alone reads the counts of migration 0075, not every photo.
        Some(terms) if !mixed => (
            format!(
                "SELECT c.month, sum(c.photos) FROM photo_month_counts c WHERE c.owner_id = ? AND {terms} \
                 GROUP BY c.month HAVING sum(c.photos) > 0 ORDER BY c.month DESC"
            ),
            vec![viewer],
        ),
        // Albums, a partner's library and a timeline with partners' photos in it are counted
        // from their photos: the counts know neither albums nor which photos are private.
        _ => {
            let (from, args, _) =
                if mixed && scope == Scope::Timeline { mixed_timeline(viewer) } else { source(viewer, scope) };
            let sql = format!(
                "SELECT substr(p.taken_local, 1, 7) AS month, count(*) AS photos FROM {from} AND {} \
                 GROUP BY month ORDER BY month DESC",
                scope.terms()
            );
            (sql, args)
        }
    };
    let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
    for a in args {
        q = q.bind(a);
    }
    Ok(q.fetch_all(db).await?.into_iter().map(|(month, photos)| Month { month, photos }).collect())
}
