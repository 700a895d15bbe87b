//! Each user's single sign-on groups, as the provider last reported them.

use sqlx::SqliteConnection;

/// Replaces the user's stored groups with `groups` (an empty list clears them).
pub async fn replace(conn: &mut SqliteConnection, user_id: i64, groups: &[String]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM user_groups WHERE user_id = ?").bind(user_id).execute(&mut *conn).await?;
    for g in groups.iter().filter(|g| !g.is_empty() && g.len() <= 200) {
        sqlx::query("INSERT INTO user_groups (user_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(user_id)
            .bind(g)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
