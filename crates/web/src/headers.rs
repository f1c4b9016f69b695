//! Security headers on every response. The CSP forbids inline script and style and every
//! other origin: a public page must never make a reader's browser call a third party.
//! A site served over https tells browsers to keep to https (HSTS), and nothing under `/admin`
//! is ever stored by a browser or proxy, whatever the answer (a sign-in page, a 403, a 404).

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers.
pub(crate) async fn security_headers(
    State(state): State<crate::AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let admin = path == "/admin" || path.starts_with("/admin/");
    let mut response = next.run(request).await;
    add(response.headers_mut(), admin, &state);
    response
}

/// Adds the security headers to an answer (`admin`: one under `/admin`). The page cache's
/// fast path ([`crate::cache::serve_hit`]) answers before the middleware and calls this.
pub(crate) fn add(headers: &mut HeaderMap, admin: bool, state: &crate::AppState) {
    if admin {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config().base_url.starts_with("https://") {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}
