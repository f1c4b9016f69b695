//! The editorial area under `/admin`: sign-in, the release editor, review, people, settings.
//!
//! Who may open what is decided in one place, [`router`]: each group of routes is wrapped in
//! [`guard`] with the capability it needs. The guard also checks the session, the second
//! factor and the CSRF token of every form post, and marks responses `no-store`. Workflow
//! actions are further checked by `pressroom_core::workflow::check` inside the store.

mod auth;
mod distribution;
pub(crate) mod forms;
mod lists;
mod media;
mod people;
mod redirects;
mod releases;
mod site;
mod subscribers;
mod translate;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, HeaderValue};
use axum::http::{HeaderMap, Method};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::Timestamp;
use pressroom_core::user::{Capability, User};
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::{AppState, WebError};

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "pressroom_session";
/// Largest form body accepted (editor bodies are at most 200,000 characters).
pub(crate) const MAX_FORM_BYTES: usize = 2 << 20;

/// The signed-in person, as handlers see them.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub user: User,
    pub csrf: String,
    pub token: String,
}

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let guarded = |cap: Capability, routes: Router<AppState>| {
        routes.layer(from_fn_with_state((state.clone(), cap), guard))
    };
    Router::new()
        .merge(auth::public_routes())
        .merge(guarded(Capability::Write, auth::signed_routes()))
        .merge(guarded(Capability::Write, releases::routes()))
        .merge(guarded(Capability::Write, media::routes()))
        .merge(guarded(Capability::Write, people::account_routes()))
        .merge(guarded(Capability::Review, site::review_routes()))
        .merge(guarded(Capability::Administer, people::admin_routes()))
        .merge(guarded(Capability::Administer, site::admin_routes()))
        .merge(guarded(
            Capability::Administer,
            distribution::admin_routes(),
        ))
        .merge(guarded(Capability::Administer, subscribers::admin_routes()))
        .merge(guarded(Capability::Administer, redirects::admin_routes()))
}

/// Reads a cookie from the request headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Compares secrets in constant time, so timing does not reveal how much of a guess matched.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn login_redirect(path: &str) -> Response {
    Redirect::to(&format!(
        "/admin/login?next={}",
        pressroom_core::slug::percent_encode(path)
    ))
    .into_response()
}

/// Session, second factor, capability and CSRF checks for one group of routes.
async fn guard(
    State((state, capability)): State<(AppState, Capability)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return login_redirect(&path);
    };
    let session = match state.store().session(&token, Timestamp::now()).await {
        Ok(Some(session)) => session,
        Ok(None) => return login_redirect(&path),
        Err(e) => return WebError::from(e).into_response(),
    };
    if !session.second_factor_ok {
        return Redirect::to("/admin/login/code").into_response();
    }
    if !path.starts_with("/admin/account") && path != "/admin/logout" {
        let settings = match state.store().site_settings().await {
            Ok(s) => s,
            Err(e) => return WebError::from(e).into_response(),
        };
        if settings.require_totp
            && matches!(state.store().totp_secret(session.user.id).await, Ok(None))
        {
            return Redirect::to("/admin/account?totp=required").into_response();
        }
    }
    if !session.user.role.can(capability) {
        let role = session.user.role;
        return WebError::Forbidden(format!(
            "Your role ({role}) does not allow this. Ask an administrator if you need it."
        ))
        .into_response();
    }
    let body = if parts.method == Method::POST {
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let refused = || {
            WebError::Forbidden(
                "This form has expired or did not come from this site. Go back, reload the page and try again.".to_owned(),
            )
            .into_response()
        };
        if content_type.starts_with("multipart/form-data") {
            // Uploads carry the token in the query string: reading it from the body would mean
            // buffering the whole upload before knowing whether to accept it.
            let sent = parts
                .uri
                .query()
                .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
                .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v))
                .unwrap_or_default();
            if !same_secret(&sent, &session.csrf_token) {
                return refused();
            }
            body
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
                return (
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "The form is larger than 2 MiB.",
                )
                    .into_response();
            };
            let fields: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
            let sent = fields
                .iter()
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            if !same_secret(sent, &session.csrf_token) {
                return refused();
            }
            Body::from(bytes)
        } else {
            return WebError::BadRequest(
                "Forms must be sent as application/x-www-form-urlencoded or multipart/form-data."
                    .to_owned(),
            )
            .into_response();
        }
    } else {
        body
    };
    parts.extensions.insert(SignedIn {
        user: session.user,
        csrf: session.csrf_token,
        token,
    });
    let mut response = next.run(Request::from_parts(parts, body)).await;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Renders an admin template; `signed` fills the header (user menu) and the CSRF field.
pub(crate) fn page(
    state: &AppState,
    name: &str,
    signed: Option<&SignedIn>,
    ctx: impl Serialize,
) -> Result<Response, WebError> {
    let nav = signed.map(|s| {
        minijinja::context! {
            username => s.user.username,
            display_name => s.user.display_name,
            role => s.user.role.as_str(),
            review => s.user.role.can(Capability::Review),
            admin => s.user.role.can(Capability::Administer),
        }
    });
    let csrf = signed.map(|s| s.csrf.clone()).unwrap_or_default();
    let css_url = state.inner.assets.url("admin.css");
    let js_url = state.inner.assets.url("admin.js");
    // `ui_lang` is the interface's language; `lang` stays free for the content's own (a
    // translation, a page), which the handler's context names.
    let html = state.inner.templates.render(name, minijinja::context! { nav, csrf, css_url, js_url, ui_lang => "en", ..minijinja::Value::from_serialize(ctx) })?;
    Ok(Html(html).into_response())
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_match_only_when_equal_in_full() {
        assert!(same_secret("token-123", "token-123"));
        assert!(!same_secret("token-123", "token-124"));
        assert!(!same_secret("token-123", "token-1234"));
        assert!(!same_secret("token-123", ""));
    }
}
