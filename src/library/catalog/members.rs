//! Albums shared with other users: who is a member with which role, and the one rule every album
//! function asks ("what may this viewer do with this album?"). Someone with no role gets
//! `NotFound`, exactly as if the album did not exist; a member asking for more than their role
//! allows gets `NotAllowed`.

use serde::Serialize;
use sqlx::{FromRow, SqlitePool};

use super::{CatalogError, Result, json_ids};
use crate::db::{now, retry_busy, write_tx};

/// What a viewer is to an album, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlbumRole {
    Viewer,
    Contributor,
    Editor,
    Owner,
}

impl AlbumRole {
    /// The roles a member may be given (`owner` is not one).
    pub fn parse_member(s: &str) -> Result<AlbumRole> {
        match s {
            "viewer" => Ok(AlbumRole::Viewer),
            "contributor" => Ok(AlbumRole::Contributor),
            "editor" => Ok(AlbumRole::Editor),
            other => Err(CatalogError::Invalid(format!("role={other}: use viewer, contributor or editor"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AlbumRole::Viewer => "viewer",
            AlbumRole::Contributor => "contributor",
            AlbumRole::Editor => "editor",
            AlbumRole::Owner => "owner",
        }
    }
}

/// The viewer's role in the album: its owner, a member, or in a sign-on group it is shared with
/// (the strongest of these); `NotFound` when they have none (hidden albums behind selection
/// links have no members).
pub async fn album_role(db: &SqlitePool, viewer: i64, album: i64) -> Result<AlbumRole> {
    let row: Option<(i64, Option<String>)> = sqlx::query_as(
        "SELECT a.owner_id, (SELECT group_concat(role) FROM ( \
             SELECT m.role FROM album_members m WHERE m.album_id = a.id AND m.user_id = ?2 \
             UNION ALL SELECT g.role FROM album_groups g JOIN user_groups ug ON ug.name = g.group_name \
             WHERE g.album_id = a.id AND ug.user_id = ?2)) \
         FROM albums a WHERE a.id = ?1",
    )
    .bind(album)
    .bind(viewer)
    .fetch_optional(db)
    .await?;
    match row {
        Some((owner, _)) if owner == viewer => Ok(AlbumRole::Owner),
        Some((_, Some(roles))) => {
            roles.split(',').filter_map(|r| AlbumRole::parse_member(r).ok()).max().ok_or(CatalogError::NotFound)
        }
        _ => Err(CatalogError::NotFound),
    }
}

/// Fails unless the viewer's role is at least `needed`; returns the role.
pub async fn require_role(db: &SqlitePool, viewer: i64, album: i64, needed: AlbumRole) -> Result<AlbumRole> {
    let role = album_role(db, viewer, album).await?;
    if role < needed {
        return Err(CatalogError::NotAllowed(format!(
            "you are this album's {}: only its {} can do this",
            role.as_str(),
            match needed {
                AlbumRole::Owner => "owner",
                AlbumRole::Editor => "owner or editors",
                _ => "owner, editors or contributors",
            }
        )));
    }
    Ok(role)
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct Member {
    pub user_id: i64,
    pub username: String,
    pub role: String,
    pub added_at: i64,
}

/// The album's members (any member may see who else is).
pub async fn members(db: &SqlitePool, viewer: i64, album: i64) -> Result<Vec<Member>> {
    album_role(db, viewer, album).await?;
    Ok(sqlx::query_as(
        "SELECT m.user_id, u.username, m.role, m.added_at FROM album_members m JOIN users u ON u.id = m.user_id \
         WHERE m.album_id = ? ORDER BY u.username",
    )
    .bind(album)
    .fetch_all(db)
    .await?)
}

/// Shares the owner's album with `username` as `role`, or changes their role.
pub async fn set_member(db: &SqlitePool, owner: i64, album: i64, username: &str, role: &str) -> Result<Member> {
    let role = AlbumRole::parse_member(role)?;
    require_role(db, owner, album, AlbumRole::Owner).await?;
    let hidden: bool = sqlx::query_scalar("SELECT hidden FROM albums WHERE id = ?").bind(album).fetch_one(db).await?;
    if hidden {
        return Err(CatalogError::Invalid("this album belongs to a selection link: share a real album instead".into()));
    }
    let user: Option<(i64, bool)> = sqlx::query_as("SELECT id, disabled FROM users WHERE username = ? COLLATE NOCASE")
        .bind(username)
        .fetch_optional(db)
        .await?;
    let user = match user {
        Some((id, false)) => id,
        _ => return Err(CatalogError::Invalid(format!("there is no enabled user {username:?}: check the username"))),
    };
    if user == owner {
        return Err(CatalogError::Invalid("you own this album already: share it with someone else".into()));
    }
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        sqlx::query(
            "INSERT INTO album_members (album_id, user_id, role, added_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (album_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(album)
        .bind(user)
        .bind(role.as_str())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(())
    })
    .await?;
    members(db, owner, album).await?.into_iter().find(|m| m.user_id == user).ok_or(CatalogError::NotFound)
}

/// Ends a membership: the owner removes a member, or a member leaves. Either way the photos the
/// member contributed leave the album with them (they stay in the member's library).
pub async fn remove_member(db: &SqlitePool, viewer: i64, album: i64, username: &str) -> Result<()> {
    let role = album_role(db, viewer, album).await?;
    let member: Option<i64> = sqlx::query_scalar(
        "SELECT m.user_id FROM album_members m JOIN users u ON u.id = m.user_id \
         WHERE m.album_id = ? AND u.username = ? COLLATE NOCASE",
    )
    .bind(album)
    .bind(username)
    .fetch_optional(db)
    .await?;
    let Some(member) = member else { return Err(CatalogError::NotFound) };
    if role != AlbumRole::Owner && member != viewer {
        return Err(CatalogError::NotAllowed("only the album's owner can remove other members".into()));
    }
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        sqlx::query("DELETE FROM album_members WHERE album_id = ? AND user_id = ?")
            .bind(album)
            .bind(member)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM album_photos WHERE album_id = ? AND photo_id IN (SELECT id FROM photos WHERE owner_id = ?)",
        )
        .bind(album)
        .bind(member)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(())
    })
    .await
}

/// Whose photos these are and who added each to the album: (photo id, owner, added by).
pub async fn album_credits(db: &SqlitePool, album: i64, ids: &[i64]) -> Result<Vec<(i64, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT ap.photo_id, o.username, coalesce(a.username, o.username) FROM album_photos ap \
         JOIN photos p ON p.id = ap.photo_id JOIN users o ON o.id = p.owner_id \
         LEFT JOIN users a ON a.id = ap.added_by WHERE ap.album_id = ? AND ap.photo_id IN (SELECT value FROM json_each(?))",
    )
    .bind(album)
    .bind(json_ids(ids))
    .fetch_all(db)
    .await?)
}

#[derive(Debug, Clone, Serialize, FromRow)]
pub struct GroupShare {
    pub group: String,
    pub role: String,
    pub added_at: i64,
}

/// The sign-on groups the album is shared with (its owner and members may see them).
pub async fn album_groups(db: &SqlitePool, viewer: i64, album: i64) -> Result<Vec<GroupShare>> {
    album_role(db, viewer, album).await?;
    Ok(sqlx::query_as(
        "SELECT group_name AS \"group\", role, added_at FROM album_groups WHERE album_id = ? ORDER BY group_name",
    )
    .bind(album)
    .fetch_all(db)
    .await?)
}

/// Shares the owner's album with everyone in a sign-on group, as `role`, or changes the role.
pub async fn set_album_group(db: &SqlitePool, owner: i64, album: i64, group: &str, role: &str) -> Result<GroupShare> {
    let role = AlbumRole::parse_member(role)?;
    let group = super::check_text("group", group, 200)?;
    if group.is_empty() {
        return Err(CatalogError::Invalid("group is empty: use the group's name as the provider sends it".into()));
    }
    require_role(db, owner, album, AlbumRole::Owner).await?;
    let hidden: bool = sqlx::query_scalar("SELECT hidden FROM albums WHERE id = ?").bind(album).fetch_one(db).await?;
    if hidden {
        return Err(CatalogError::Invalid("this album belongs to a selection link: share a real album instead".into()));
    }
    retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        sqlx::query(
            "INSERT INTO album_groups (album_id, group_name, role, added_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (album_id, group_name) DO UPDATE SET role = excluded.role",
        )
        .bind(album)
        .bind(&group)
        .bind(role.as_str())
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(())
    })
    .await?;
    album_groups(db, owner, album).await?.into_iter().find(|g| g.group == group).ok_or(CatalogError::NotFound)
}

/// Stops sharing the owner's album with a group.
pub async fn remove_album_group(db: &SqlitePool, owner: i64, album: i64, group: &str) -> Result<()> {
    require_role(db, owner, album, AlbumRole::Owner).await?;
    let done = retry_busy(|| async {
        let mut tx = write_tx(db).await?;
        let done = sqlx::query("DELETE FROM album_groups WHERE album_id = ? AND group_name = ?")
            .bind(album)
            .bind(group)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<_, CatalogError>(done.rows_affected())
    })
    .await?;
    if done == 0 { Err(CatalogError::NotFound) } else { Ok(()) }
}
