//! WebDAV at `/originals/` (PhotoPrism's path, so PhotoSync's PhotoPrism target, rclone, Finder,
//! Windows and davfs2 work unchanged). The protocol is `dav-server`'s; here: the sign-in (HTTP
//! Basic with an app password, or the account password when `WEBDAV_PASSWORD_LOGIN` allows it),
//! throttled and audited like sign-ins; each account's root (`ORIGINALS_PATH/<username>/`, the
//! whole originals folder for administrators); confinement (no symlink is followed, so nothing
//! outside the root is reachable); read-only for viewers and with `WEBDAV_READONLY`; and an index
//! run soon after every change, so a file written over WebDAV shows up in the timeline.

mod arrivals;
mod basic_auth;
mod confined;
mod dead_props;

use std::path::PathBuf;
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use dav_server::davpath::DavPath;
use dav_server::fakels::FakeLs;
use dav_server::localfs::LocalFs;
use dav_server::{DavHandler, DavMethodSet};

use crate::accounts::Role;
use crate::auth::client::ClientAddr;
use crate::state::AppState;
use arrivals::{favorite_once_indexed, favorites, sweep_inbox_soon};
use basic_auth::sign_in_basic;
use confined::{Confined, Confinement};
use dead_props::DeadProps;

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
