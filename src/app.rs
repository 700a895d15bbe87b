//! Building the application: state, router and layers in one place; binding the listener;
//! serving connections within their limits until a shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use anyhow::Context;
use axum::http::{HeaderName, Request};
use axum::{Router, middleware};
use hyper::body::{Body as HttpBody, Bytes, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use sqlx::SqlitePool;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::{Service, ServiceExt};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;
use tracing::Level;

use crate::accounts::throttle::LoginThrottle;
use crate::accounts::{self, Bootstrap};
use crate::config::{AuthMode, Config, HttpLimits};
use crate::db;
use crate::http;
use crate::oidc::Oidc;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "shoebox_session";
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl App {
    /// Opens the database (migrating it), creates the administrator on first start and binds the
    /// listener, so `port()` is known before serving (tests bind port 0).
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let pool = db::connect(&config.database_path()).await?;
        db::migrate(&pool).await?;
        bootstrap_admin(&pool, &config).await?;
        if config.auth_mode == AuthMode::Public {
            tracing::warn!(
                "AUTH_MODE=public: nobody signs in and every visitor acts as the administrator. \
                 Use this only on a private network you trust."
            );
        }
        let addr = SocketAddr::new(config.http_host, config.http_port);
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!("cannot listen on {addr}: is another program using it? Set HTTP_PORT (or HTTP_HOST) to a free one")
        })?;
        let oidc = Oidc::from_config(&config)?;
        if let Some(o) = &oidc {
            if o.settings.insecure {
                tracing::warn!(
                    "OIDC_INSECURE=true: single sign-on accepts an http issuer and site URL. Use this for local testing only."
                );
            }
            tracing::info!(
                redirect_uri = %config.oidc_redirect_uri(),
                issuer = %o.issuer,
                "single sign-on is on: register exactly this redirect URI for client {:?} at the provider",
                o.client_id
            );
            o.spawn_discovery();
        }
        let library = crate::library::Library::open(&config, pool.clone())?;
        let visitor_key = crate::auth::visitor::load_key(&config.storage_path)?;
        let state = AppState {
            oidc,
            library,
            security_headers: Arc::new(http::middleware::security_headers::security_headers(&config)),
            config: Arc::new(config),
            db: pool,
            throttle: Arc::new(LoginThrottle::default()),
            audit_limit: Arc::default(),
            visitor_key,
        };
        let router = router(state.clone());
        Ok(App { listener, router, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves; requests in flight then get SHUTDOWN_TIMEOUT to finish.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        // Expired sessions and old audit rows are removed at start and hourly.
        let cleanup = crate::auth::housekeeping::spawn(self.state.db.clone(), self.state.config.audit_days);
        // Originals added by anything else are noticed as they arrive where the OS allows it; the
        // watch is in place before the startup index, so no file falls between the two.
        let interval = self.state.config.library.index_interval;
        let watching = self.state.library.watch_originals(interval).await;
        // New and changed originals are picked up in the background at every start.
        let _ = self.state.library.start_index(crate::library::IndexOptions::default());
        // Photos in the trash longer than TRASH_DAYS are deleted for good, checked hourly.
        let purge = self.state.library.spawn_trash_purge();
        // And every INDEX_INTERVAL, for what a watch cannot see (changes made on another machine
        // to a network mount) or where watching failed.
        let rescans = self.state.library.spawn_periodic_index(interval);
        // Changes committed outside a request (index runs, the purge, the command line) reach
        // the thumbnail route's memory through this watcher.
        let media_watch = self.state.library.media_access().spawn_watch(self.state.db.clone());
        // Videos browsers cannot play are transcoded in the background, one at a time.
        let transcoder = self.state.library.spawn_transcoder();
        tracing::info!(address = %self.listener.local_addr()?, site_url = %self.state.config.site_url, "Shoebox is listening");
        let limits = self.state.config.http_limits;
        serve(self.listener, self.router, limits, shutdown).await;
        cleanup.abort();
        purge.abort();
        rescans.abort();
        media_watch.abort();
        drop(watching);
        // A running transcode is killed and queued again rather than waited for (it may take hours).
        transcoder.stop().await;
        self.state.db.close().await;
        Ok(())
    }
}

/// The accept loop. `axum::serve` has no header or body timeouts, no connection cap and waits
/// forever at shutdown, so a few slow clients could hold every file descriptor; here each
/// connection is HTTP/1.1 with HTTP_HEADER_TIMEOUT (which hyper also applies while a keep-alive
/// connection waits for its next request), request bodies get HTTP_BODY_TIMEOUT, connections
/// beyond HTTP_MAX_CONNECTIONS are closed as they arrive, and shutdown waits at most
/// SHUTDOWN_TIMEOUT before dropping what is left.
async fn serve(listener: TcpListener, router: Router, limits: HttpLimits, shutdown: impl Future<Output = ()>) {
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut refused_logged = false;
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: retrying at once would spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        // Closing at once, rather than leaving it waiting in the backlog, gives the descriptor
        // back and lets a later connection in as soon as a slot frees up.
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if !refused_logged {
                tracing::warn!(limit = limits.max_connections, "HTTP_MAX_CONNECTIONS reached: closing new connections");
                refused_logged = true;
            }
            drop(stream);
            continue;
        };
        refused_logged = false;
        let _ = stream.set_nodelay(true);
        let Ok(service) = make_service.call(remote).await;
        let body_timeout = limits.body_timeout;
        let service =
            service.map_request(move |req: Request<Incoming>| req.map(|b| StallLimitedBody::new(b, body_timeout)));
        let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        connections.spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_timeout, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            connections = connections.len(),
            "requests still in flight after SHUTDOWN_TIMEOUT: dropping their connections"
        );
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

/// A request body that fails when nothing arrives for `limit` while it is being read, so an
/// upload that stalls does not hold its connection and staging file forever.
struct StallLimitedBody {
    inner: Incoming,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl StallLimitedBody {
    fn new(inner: Incoming, limit: Duration) -> Self {
        StallLimitedBody { inner, limit, stalled: None }
    }
}

impl HttpBody for StallLimitedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.stalled = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let limit = this.limit;
                let stalled = this.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match stalled.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        Poll::Ready(Some(Err("nothing of the request body arrived within HTTP_BODY_TIMEOUT".into())))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The whole HTTP surface: every resource's router merged, then the layers, outermost last.
pub fn router(state: AppState) -> Router {
    let config = &state.config;
    let store = SqliteStore::new(state.db.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.site_is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(config.session_timeout.as_secs() as i64)));

    http::routes()
        .layer(middleware::from_fn_with_state(state.clone(), http::middleware::forget_access::after_changes))
        .layer(middleware::from_fn_with_state(state.clone(), http::middleware::html_errors::html_errors))
        .layer(middleware::from_fn_with_state(state.clone(), crate::auth::csrf::require_token))
        .layer(middleware::from_fn_with_state(state.clone(), crate::auth::visitor::carry))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(state.clone(), http::middleware::security_headers::add_security_headers))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req.extensions().get::<RequestId>().and_then(|r| r.header_value().to_str().ok());
                    // The path only: query strings can carry one-time codes.
                    let path = http::media_urls::loggable_path(req.uri().path());
                    tracing::info_span!("request", id = id.unwrap_or(""), method = %req.method(), path = %path)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Makes sure an enabled administrator exists: `ADMIN_USER` is made one, or created. Without
/// `ADMIN_PASSWORD`, a generated password is printed once; afterwards an enabled administrator
/// exists and nothing is printed.
pub async fn bootstrap_admin(pool: &SqlitePool, config: &Config) -> anyhow::Result<()> {
    let password = config.admin_password.as_ref().map(|p| p.expose());
    match accounts::ensure_enabled_admin(pool, &config.admin_user, password).await? {
        Bootstrap::Present => {}
        Bootstrap::Promoted(username) => tracing::warn!(
            %username,
            "there was no enabled administrator: made the existing ADMIN_USER account an enabled administrator"
        ),
        Bootstrap::Created { generated_password: Some(password) } => tracing::warn!(
            "Created the administrator \"{}\" with the generated password {password} . \
             Write it down now: it is not shown again. Change it with `shoebox users passwd {}`.",
            config.admin_user,
            config.admin_user
        ),
        Bootstrap::Created { generated_password: None } => {
            tracing::info!(username = %config.admin_user, "created the administrator with the password from ADMIN_PASSWORD")
        }
    }
    Ok(())
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed when this is called, not when
/// the future is first polled, so a signal that arrives right after "Shoebox is listening" is
/// already a clean shutdown rather than the default abrupt exit.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(terminate) => {},
                _ = wait(interrupt) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}
