//! WebDAV at `/originals/` (PhotoPrism's path, so PhotoSync's PhotoPrism target, rclone, Finder,
//! Windows and davfs2 work unchanged). The protocol is `dav-server`'s; here: the sign-in (HTTP
//! Basic with an app password, or the account password when `WEBDAV_PASSWORD_LOGIN` allows it),
//! throttled and audited like sign-ins; each account's root (`ORIGINALS_PATH/<username>/`, the
//! whole originals folder for administrators); confinement (no symlink is followed, so nothing
//! outside the root is reachable); read-only for viewers and with `WEBDAV_READONLY`; and an index
//! run soon after every change, so a file written over WebDAV shows up in the timeline.

use std::path::{Component, PathBuf};
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine;
use dav_server::davpath::DavPath;
use dav_server::fakels::FakeLs;
use dav_server::fs::{
    DavDirEntry, DavFile, DavFileSystem, DavMetaData, DavProp, FsError, FsFuture, FsResult, FsStream, OpenOptions,
    ReadDirMeta,
};
use dav_server::localfs::LocalFs;
use dav_server::{DavHandler, DavMethodSet};

use crate::accounts::audit_limit::Decision;
use crate::accounts::{Role, app_passwords, password};
use crate::auth::client::ClientAddr;
use crate::auth::sign_in;
use crate::db::{self, audit, users::User};
use crate::state::AppState;

/// The two WebDAV areas, PhotoPrism's paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    /// `/originals/`: the account's folder of originals itself.
    Originals,
    /// `/import/`: an inbox; what is put there is stored like an upload and leaves the inbox.
    Import,
}

impl Area {
    fn prefix(self) -> &'static str {
        match self {
            Area::Originals => "/originals",
            Area::Import => "/import",
        }
    }
}

pub fn router() -> Router<AppState> {
    let originals = any(|s, a, r| serve(s, a, r, Area::Originals));
    let import = any(|s, a, r| serve(s, a, r, Area::Import));
    Router::new()
        .route("/originals", originals.clone())
        .route("/originals/", originals.clone())
        .route("/originals/{*path}", originals)
        .route("/import", import.clone())
        .route("/import/", import.clone())
        .route("/import/{*path}", import)
}

/// Where an account's `/import/` inbox lives: under ORIGINALS_PATH (so a file moves into the
/// library without a copy) in a hidden folder, which the index does not walk.
pub fn inbox(originals: &std::path::Path, username: &str) -> PathBuf {
    originals.join(".shoebox-import").join(username)
}

async fn serve(State(state): State<AppState>, addr: ClientAddr, request: Request, area: Area) -> Response {
    if !state.config.webdav.enabled {
        return (StatusCode::NOT_FOUND, "WebDAV is turned off (DISABLE_WEBDAV).").into_response();
    }
    let user = match sign_in_basic(&state, addr, request.headers()).await {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let root = match (area, user.role) {
        (Area::Import, _) => inbox(state.library.originals(), &user.username),
        (Area::Originals, Role::Admin) => state.library.originals().to_path_buf(),
        (Area::Originals, _) => state.library.originals().join(&user.username),
    };
    if let Err(e) = std::fs::create_dir_all(&root) {
        tracing::error!(error = %e, root = %root.display(), "cannot create the WebDAV root");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let readonly = state.config.webdav.readonly || user.role == Role::Viewer;
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && request.method().as_str() != "PROPFIND";
    let put = if request.method() == Method::PUT && !readonly {
        match PutWishes::read(request.headers()) {
            Ok(wishes) => Some(wishes),
            Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
        }
    } else {
        None
    };
    // The file a PUT writes, as `dav-server` will resolve it (it refuses what this cannot parse).
    let target = DavPath::new(request.uri().path()).ok().and_then(|mut p| p.set_prefix(area.prefix()).ok().map(|()| p));
    let confinement = Confinement { root: root.clone() };
    let dav = DavHandler::builder()
        .filesystem(Box::new(Confined {
            inner: LocalFs::new(&root, false, false, false),
            props: DeadProps { db: state.db.clone(), originals: state.library.originals().to_path_buf() },
            confinement: confinement.clone(),
        }))
        .locksystem(FakeLs::new())
        .strip_prefix(area.prefix())
        .hide_symlinks(true)
        .methods(if readonly { DavMethodSet::WEBDAV_RO } else { DavMethodSet::WEBDAV_RW })
        .build_handler();
    let mut response = dav.handle(request).await.into_response();
    if let (Some(wishes), Some(target), true) = (put, target, response.status().is_success()) {
        let file = confinement.check(&target).map(|()| root.join(target.as_rel_ospath()));
        if let (Some(mtime), Ok(file)) = (wishes.mtime, &file) {
            match set_mtime(file.clone(), mtime).await {
                Ok(()) => {
                    response.headers_mut().insert("x-oc-mtime", HeaderValue::from_static("accepted"));
                }
                Err(e) => tracing::warn!(error = %e, file = %file.display(), "X-OC-MTime: cannot set the time"),
            }
        }
        if let (true, Ok(file)) = (wishes.favorite, file) {
            match area {
                Area::Originals => favorite_once_indexed(state.clone(), file),
                Area::Import => favorites::wish(file),
            }
        }
    }
    if changes && response.status().is_success() {
        match area {
            Area::Originals => state.library.index_soon(),
            Area::Import => sweep_inbox_soon(state.clone(), user),
        }
    }
    response
}

/// What a PUT asks for besides its bytes, in the headers Nextcloud clients and PhotoSync send.
struct PutWishes {
    /// `X-OC-MTime`: the file's modification time on the client, in seconds since 1970.
    mtime: Option<SystemTime>,
    /// `X-Favorite: 1`: the photo is a favourite.
    favorite: bool,
}

impl PutWishes {
    /// Read before anything is written, so a bad header leaves nothing behind.
    fn read(headers: &axum::http::HeaderMap) -> Result<PutWishes, &'static str> {
        let mtime = match headers.get("x-oc-mtime") {
            None => None,
            Some(v) => {
                let secs = v.to_str().ok().and_then(|t| t.trim().parse::<f64>().ok()).filter(|s| s.is_finite());
                let Some(secs) = secs.filter(|s| (0.0..=MAX_MTIME_SECS).contains(s)) else {
                    return Err("X-OC-MTime must be the modification time in seconds since 1970 (e.g. 1700000000).");
                };
                Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs_f64(secs))
            }
        };
        let favorite = headers.get("x-favorite").is_some_and(|v| v.as_bytes().trim_ascii() == b"1");
        Ok(PutWishes { mtime, favorite })
    }
}

/// The year 9999: later times are a client's mistake, not a photo's.
const MAX_MTIME_SECS: f64 = 253_402_300_799.0;

async fn set_mtime(file: PathBuf, mtime: SystemTime) -> std::io::Result<()> {
    tokio::task::spawn_blocking(move || std::fs::File::open(&file)?.set_modified(mtime))
        .await
        .map_err(std::io::Error::other)?
}

/// How long a favourite wish waits for its file to be indexed before it is dropped.
const FAVORITE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Marks the photo of `file` (under ORIGINALS_PATH) a favourite after the index run that the
/// PUT starts has indexed it; a file the index skips (not a photo) is left alone.
fn favorite_once_indexed(state: AppState, file: PathBuf) {
    let Some(rel) = crate::library::index::relative(state.library.originals(), &file) else { return };
    // Subscribed before the run that the PUT starts (INDEX_DEBOUNCE from now), so its end is seen.
    let mut events = state.library.subscribe();
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + FAVORITE_PATIENCE;
        loop {
            let event = match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) | Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => break,
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => continue,
                Ok(Ok(event)) => event,
            };
            if !matches!(event, crate::library::Progress::Finished { .. }) {
                continue;
            }
            match favorites::mark_file(&state.db, &rel).await {
                Ok(favorites::Marked::Done | favorites::Marked::NotAPhoto) => return,
                Ok(favorites::Marked::NotYet) => {}
                Err(e) => {
                    tracing::warn!(error = %e, file = %rel, "X-Favorite: the photo was not marked");
                    return;
                }
            }
        }
        tracing::info!(file = %rel, "X-Favorite: the file was not indexed in time; not marked");
    });
}

/// `X-Favorite: 1` on the way into the library.
mod favorites {
    use std::collections::HashSet;
    use std::path::{Path, PathBuf};
    use std::sync::{LazyLock, Mutex};

    use sqlx::SqlitePool;

    /// Inbox files sent with `X-Favorite: 1`, until the inbox sweep stores them. Kept in memory:
    /// a restart in the seconds between the PUT and the sweep loses the wish, not the photo.
    static WISHES: LazyLock<Mutex<HashSet<PathBuf>>> = LazyLock::new(Mutex::default);

    pub fn wish(file: PathBuf) {
        if let Ok(mut w) = WISHES.lock() {
            w.insert(file);
        }
    }

    /// Whether `file` was sent as a favourite; the wish is used up.
    pub fn take(file: &Path) -> bool {
        WISHES.lock().is_ok_and(|mut w| w.remove(file))
    }

    pub enum Marked {
        Done,
        NotYet,
        NotAPhoto,
    }

    /// Marks the photo of the file at `rel` (under ORIGINALS_PATH) a favourite of its owner.
    pub async fn mark_file(db: &SqlitePool, rel: &str) -> anyhow::Result<Marked> {
        let row: Option<(String, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT f.status, p.id, p.owner_id FROM files f LEFT JOIN photos p ON p.id = f.photo_id WHERE f.path = ?",
        )
        .bind(rel)
        .fetch_optional(db)
        .await?;
        match row {
            Some((status, Some(photo), Some(owner))) if status == "indexed" => {
                mark_photo(db, owner, photo).await?;
                Ok(Marked::Done)
            }
            Some((status, _, _)) if status == "skipped" => Ok(Marked::NotAPhoto),
            _ => Ok(Marked::NotYet),
        }
    }

    pub async fn mark_photo(db: &SqlitePool, owner: i64, photo: i64) -> anyhow::Result<()> {
        crate::library::catalog::set_favorite(db, owner, &[photo], true).await?;
        Ok(())
    }
}

/// Files that arrived in an inbox move into the library like uploads (`<yyyy>/<mm>/`, duplicates
/// recognised, nothing overwritten) a moment after the last write, so a file still arriving is
/// left for the next sweep. A file the library refuses stays in the inbox, and the log says why.
fn sweep_inbox_soon(state: AppState, user: User) {
    tokio::spawn(async move {
        tokio::time::sleep(INBOX_SETTLE).await;
        let dir = inbox(state.library.originals(), &user.username);
        let mut waiting = Vec::new();
        let mut dirs = vec![dir.clone()];
        while let Some(d) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else { continue };
            for e in entries.flatten() {
                match e.file_type() {
                    Ok(t) if t.is_dir() => dirs.push(e.path()),
                    Ok(t) if t.is_file() => waiting.push(e.path()),
                    _ => {}
                }
            }
        }
        let mut still_arriving = false;
        for path in waiting {
            // The change time, not the modification time: X-OC-MTime sets the latter to the
            // phone's (old, or ahead of the server's clock), the former is when it was written.
            let settled = std::fs::metadata(&path).is_ok_and(|m| {
                use std::os::unix::fs::MetadataExt;
                let changed = std::time::UNIX_EPOCH
                    + std::time::Duration::new(m.ctime().max(0) as u64, m.ctime_nsec().clamp(0, 999_999_999) as u32);
                changed.elapsed().is_ok_and(|age| age >= INBOX_SETTLE)
            });
            if !settled {
                still_arriving = true;
                continue;
            }
            if let Err(e) = store_from_inbox(&state, &user, &path).await {
                tracing::warn!(error = format!("{e:#}"), file = %path.display(), "a file in the import inbox was not stored");
            }
        }
        if still_arriving {
            sweep_inbox_soon(state, user);
        }
    });
}

/// How long an inbox file must be unchanged before it is stored.
const INBOX_SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

async fn store_from_inbox(state: &AppState, user: &User, path: &std::path::Path) -> anyhow::Result<()> {
    use crate::library::upload::UploadResult;
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let taken = std::fs::metadata(path)?.modified().map(chrono::DateTime::<chrono::Utc>::from)?;
    // A second name for the same bytes: the library takes the staging name, the inbox keeps its
    // own until the library has the file, so a refusal or a crash loses nothing.
    let staged = state.library.staging_file()?;
    std::fs::remove_file(staged.path())?;
    std::fs::hard_link(path, staged.path())?;
    match state.library.receive_staged(user.id, &user.username, staged, &name, taken).await? {
        UploadResult::Refused(r) => {
            tracing::warn!(file = %path.display(), reason = %r.reason, "the import inbox keeps a file the library refused");
        }
        UploadResult::New { photo_id, .. } | UploadResult::Existing { photo_id, .. } => {
            std::fs::remove_file(path)?;
            if favorites::take(path) {
                favorites::mark_photo(&state.db, user.id, photo_id).await?;
            }
        }
    }
    Ok(())
}

fn challenge(status: StatusCode, message: &str) -> Response {
    let mut r = (status, message.to_string()).into_response();
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Shoebox\", charset=\"UTF-8\""));
    r
}

/// The account that HTTP Basic names, when its app password (or, if allowed, its password) is right.
async fn sign_in_basic(state: &AppState, addr: ClientAddr, headers: &axum::http::HeaderMap) -> Result<User, Response> {
    let Some((username, secret)) = basic_credentials(headers) else {
        return Err(challenge(
            StatusCode::UNAUTHORIZED,
            "Sign in with your username and an app password (Account page).",
        ));
    };
    let addr_text = addr.to_string();
    if let Err(wait) = state.throttle.check(&addr_text, &username) {
        let mut r = challenge(StatusCode::TOO_MANY_REQUESTS, "Too many failed sign-ins: wait and try again.");
        r.headers_mut().insert(header::RETRY_AFTER, wait.into());
        return Err(r);
    }
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "WebDAV sign-in: database error");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    };
    let mut user_id =
        app_passwords::verify(&state.db, &username, &secret).await.map_err(|e| internal(&e))?.map(|f| f.1);
    if user_id.is_none() && state.config.webdav.password_login {
        let row = db::users::by_username(&state.db, &username).await.map_err(|e| internal(&e))?;
        let stored = row.as_ref().and_then(|r| r.password_hash.clone());
        if password::verify(secret.clone(), stored).await {
            user_id = row.map(|r| r.id);
        }
    }
    let row = match user_id {
        Some(id) => db::users::by_id(&state.db, id).await.map_err(|e| internal(&e))?,
        None => None,
    };
    let (addr_ref, name) = (&addr_text, &username);
    let refuse = |reason: &'static str, user_id: Option<i64>| async move {
        state.throttle.record_failure(addr_ref, name);
        if let Decision::Record { .. } = state.audit_limit.failed_attempt(addr_ref, false, db::now()) {
            let (method, outcome) = (audit::Method::AppPassword, audit::Outcome::Failure);
            let _ = sign_in::audit(state, user_id, name, method, addr, outcome, reason).await;
        }
        challenge(StatusCode::UNAUTHORIZED, "Wrong username or app password.")
    };
    let Some(row) = row else {
        return Err(refuse("unknown username or wrong app password", None).await);
    };
    if row.disabled {
        return Err(refuse("account disabled", Some(row.id)).await);
    }
    if !in_required_group(state, &row).await.map_err(|e| internal(&e))? {
        return Err(refuse("not in a required group (OIDC_GROUP)", Some(row.id)).await);
    }
    let user = row.to_user().map_err(|e| internal(&e))?;
    if state.audit_limit.success_due(user.id, &addr_text, db::now()) {
        sign_in::audit(
            state,
            Some(user.id),
            &user.username,
            audit::Method::AppPassword,
            addr,
            audit::Outcome::Success,
            "",
        )
        .await
        .map_err(|e| internal(&e))?;
    }
    Ok(user)
}

/// OIDC_GROUP governs single sign-on accounts on every request, not only at sign-in: an app
/// password opens WebDAV only while the groups the provider last reported (stored at each
/// sign-on, cleared by its back-channel logout) include one of OIDC_GROUP, so an account taken
/// out of the group, or a group taken out of OIDC_GROUP, is refused at its next request.
async fn in_required_group(state: &AppState, row: &db::users::UserRow) -> sqlx::Result<bool> {
    let required = &state.config.oidc.groups;
    if required.is_empty() || row.auth_subject.is_none() {
        return Ok(true);
    }
    let member: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM user_groups WHERE user_id = ? AND name IN (SELECT value FROM json_each(?)) LIMIT 1",
    )
    .bind(row.id)
    .bind(serde_json::to_string(required).unwrap_or_default())
    .fetch_optional(&state.db)
    .await?;
    Ok(member.is_some())
}

fn basic_credentials(headers: &axum::http::HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let (user, pass) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((user.trim().to_string(), pass.to_string()))
}

/// `LocalFs` confined to its root: a path that passes through a symbolic link is not found, so a
/// link inside the originals cannot lead a client to files outside its root. (`dav-server`
/// already refuses `..` and normalises encoded paths.)
#[derive(Clone)]
struct Confined {
    inner: Box<LocalFs>,
    confinement: Confinement,
    props: DeadProps,
}

impl Confined {
    fn check(&self, path: &DavPath) -> FsResult<()> {
        self.confinement.check(path)
    }

    /// The resource's path relative to ORIGINALS_PATH, the key of its dead properties.
    fn key(&self, path: &DavPath) -> String {
        let full = self.confinement.root.join(path.as_rel_ospath());
        let rel = full.strip_prefix(&self.props.originals).unwrap_or(&full);
        rel.to_string_lossy().trim_end_matches('/').to_string()
    }

    fn checked<'a, T: Send + 'a>(&'a self, paths: &[&DavPath], then: FsFuture<'a, T>) -> FsFuture<'a, T> {
        match paths.iter().try_for_each(|p| self.check(p)) {
            Ok(()) => then,
            Err(e) => Box::pin(async move { Err(e) }),
        }
    }
}

/// An account's WebDAV root, and the rule that no path through a symbolic link is followed.
#[derive(Clone)]
struct Confinement {
    root: PathBuf,
}

impl Confinement {
    fn check(&self, path: &DavPath) -> FsResult<()> {
        let mut at = self.root.clone();
        for part in path.as_rel_ospath().components() {
            match part {
                Component::Normal(name) => at.push(name),
                Component::CurDir => continue,
                _ => return Err(FsError::Forbidden),
            }
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() => return Err(FsError::NotFound),
                Ok(_) => {}
                // What does not exist yet (a PUT's file, a MKCOL's folder) holds no link.
                Err(_) => break,
            }
        }
        Ok(())
    }
}

impl DavFileSystem for Confined {
    fn open<'a>(&'a self, path: &'a DavPath, options: OpenOptions) -> FsFuture<'a, Box<dyn DavFile>> {
        self.checked(&[path], self.inner.open(path, options))
    }

    fn read_dir<'a>(&'a self, path: &'a DavPath, meta: ReadDirMeta) -> FsFuture<'a, FsStream<Box<dyn DavDirEntry>>> {
        self.checked(&[path], self.inner.read_dir(path, meta))
    }

    fn metadata<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, Box<dyn DavMetaData>> {
        self.checked(&[path], self.inner.metadata(path))
    }

    fn symlink_metadata<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, Box<dyn DavMetaData>> {
        self.checked(&[path], self.inner.symlink_metadata(path))
    }

    fn create_dir<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        self.checked(&[path], self.inner.create_dir(path))
    }

    fn remove_dir<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        let removed = self.inner.remove_dir(path);
        self.checked(
            &[path],
            Box::pin(async move {
                removed.await?;
                self.props.forget(&self.key(path)).await
            }),
        )
    }

    fn remove_file<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        let removed = self.inner.remove_file(path);
        self.checked(
            &[path],
            Box::pin(async move {
                removed.await?;
                self.props.forget(&self.key(path)).await
            }),
        )
    }

    fn rename<'a>(&'a self, from: &'a DavPath, to: &'a DavPath) -> FsFuture<'a, ()> {
        let renamed = self.inner.rename(from, to);
        self.checked(
            &[from, to],
            Box::pin(async move {
                renamed.await?;
                self.props.rename(&self.key(from), &self.key(to)).await
            }),
        )
    }

    fn copy<'a>(&'a self, from: &'a DavPath, to: &'a DavPath) -> FsFuture<'a, ()> {
        let copied = self.inner.copy(from, to);
        self.checked(
            &[from, to],
            Box::pin(async move {
                copied.await?;
                self.props.copy(&self.key(from), &self.key(to)).await
            }),
        )
    }

    fn set_accessed<'a>(&'a self, path: &'a DavPath, tm: SystemTime) -> FsFuture<'a, ()> {
        self.checked(&[path], self.inner.set_accessed(path, tm))
    }

    fn set_modified<'a>(&'a self, path: &'a DavPath, tm: SystemTime) -> FsFuture<'a, ()> {
        self.checked(&[path], self.inner.set_modified(path, tm))
    }

    fn have_props<'a>(&'a self, _: &'a DavPath) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
        Box::pin(async { true })
    }

    fn patch_props<'a>(
        &'a self,
        path: &'a DavPath,
        patch: Vec<(bool, DavProp)>,
    ) -> FsFuture<'a, Vec<(StatusCode, DavProp)>> {
        let exists = self.inner.metadata(path);
        self.checked(
            &[path],
            Box::pin(async move {
                exists.await?;
                self.props.patch(&self.key(path), patch).await
            }),
        )
    }

    fn get_props<'a>(&'a self, path: &'a DavPath, do_content: bool) -> FsFuture<'a, Vec<DavProp>> {
        self.checked(&[path], Box::pin(self.props.all(self.key(path), do_content)))
    }

    fn get_prop<'a>(&'a self, path: &'a DavPath, prop: DavProp) -> FsFuture<'a, Vec<u8>> {
        self.checked(&[path], Box::pin(self.props.one(self.key(path), prop)))
    }

    fn get_quota(&self) -> FsFuture<'_, (u64, Option<u64>)> {
        self.inner.get_quota()
    }
}

/// A stored property: namespace, name, prefix, value.
type StoredProp = (String, String, Option<String>, Option<Vec<u8>>);

/// Dead properties (what PROPPATCH sets), kept in the database by path.
#[derive(Clone)]
struct DeadProps {
    db: sqlx::SqlitePool,
    originals: PathBuf,
}

fn failed(e: sqlx::Error) -> FsError {
    tracing::error!(error = %e, "WebDAV properties: database error");
    FsError::GeneralFailure
}

impl DeadProps {
    async fn patch(&self, path: &str, patch: Vec<(bool, DavProp)>) -> FsResult<Vec<(StatusCode, DavProp)>> {
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

    async fn all(&self, path: String, with_values: bool) -> FsResult<Vec<DavProp>> {
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

    async fn one(&self, path: String, prop: DavProp) -> FsResult<Vec<u8>> {
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

    async fn forget(&self, path: &str) -> FsResult<()> {
        let sql = format!("DELETE FROM webdav_props WHERE {}", Self::BELOW);
        db::retry_busy(|| sqlx::query(&sql).bind(path).execute(&self.db)).await.map_err(failed)?;
        Ok(())
    }

    async fn rename(&self, from: &str, to: &str) -> FsResult<()> {
        let mut tx = db::write_tx(&self.db).await.map_err(failed)?;
        let sql = format!("DELETE FROM webdav_props WHERE {}", Self::BELOW);
        sqlx::query(&sql).bind(to).execute(&mut *tx).await.map_err(failed)?;
        let sql = format!("UPDATE webdav_props SET path = ?2 || substr(path, length(?1) + 1) WHERE {}", Self::BELOW);
        sqlx::query(&sql).bind(from).bind(to).execute(&mut *tx).await.map_err(failed)?;
        tx.commit().await.map_err(failed)
    }

    async fn copy(&self, from: &str, to: &str) -> FsResult<()> {
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
