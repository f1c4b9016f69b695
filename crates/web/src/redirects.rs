//! The old site's addresses. A ministry that moves to Pressroom keeps every link to its old
//! pages working: a GET that would be a 404 (or the old site's `/?p=123` form, which would
//! otherwise be the home page) is looked up in the store's redirect table and answered `301`
//! to the page's address now. Only misses pay for the lookup.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header::LOCATION};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Answers an old address with a permanent redirect, else lets the request through.
pub(crate) async fn old_addresses(
    State(state): State<crate::AppState>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) || internal(request.uri().path()) {
        return next.run(request).await;
    }
    let old_home_link = request.uri().path() == "/" && request.uri().query().is_some();
    if old_home_link && let Some(found) = redirect(&state, &target_of(request.uri())).await {
        return found;
    }
    // Only a miss pays for the address's copy and the lookup.
    let uri = request.uri().clone();
    let response = next.run(request).await;
    if response.status() != StatusCode::NOT_FOUND {
        return response;
    }
    // An old address may carry a query (`/news.php?id=5`); try it with and then without.
    if let Some(found) = redirect(&state, &target_of(&uri)).await {
        return found;
    }
    if uri.query().is_some()
        && let Some(found) = redirect(&state, uri.path()).await
    {
        return found;
    }
    response
}

/// The path with its query, as old addresses are kept.
fn target_of(uri: &axum::http::Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned())
}

/// Paths that are never an old page: the editorial area, the API, files.
fn internal(path: &str) -> bool {
    [
        "/admin", "/api/", "/media/", "/assets/", "/health", "/metrics",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

async fn redirect(state: &crate::AppState, path: &str) -> Option<Response> {
    match state.store().redirect_target(path).await {
        Ok(Some(target)) => {
            let location = HeaderValue::from_str(&target).ok()?;
            Some((StatusCode::MOVED_PERMANENTLY, [(LOCATION, location)]).into_response())
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look up an old address");
            None
        }
    }
}
