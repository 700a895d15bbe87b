//! After every request that may have changed something (any method but GET, HEAD and OPTIONS),
//! the thumbnail route's remembered decisions are forgotten, so a right taken away through the
//! API, a page, WebDAV or back-channel logout stops being served with the very next request.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

pub async fn after_changes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let may_change = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let response = next.run(request).await;
    if may_change {
        state.library.media_access().forget_all();
    }
    response
}
