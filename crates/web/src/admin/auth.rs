//! Signing in and out, the second factor, and the login form's own CSRF protection (a
//! double-submit cookie, since there is no session yet).

use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use jiff::Timestamp;
use minijinja::context;
use pressroom_store::{CodeRefusal, SESSION_IDLE, SignInRefusal, random_token};
use serde::Deserialize;

use super::{SESSION_COOKIE, SignedIn, cookie, page, same_secret};
use crate::{AppState, WebError};

const LOGIN_CSRF_COOKIE: &str = "pressroom_login";

pub(super) fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(login_form).post(login))
        .route("/admin/login/code", get(code_form).post(code))
}

pub(super) fn signed_routes() -> Router<AppState> {
    Router::new().route("/admin/logout", post(logout))
}

/// `Secure` is added when the site is served over TLS (its base URL is https).
pub(crate) fn cookie_header(state: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if state.config().base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/admin; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

#[derive(Debug, Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

/// Only same-site admin paths may be a `next` target (no open redirect), and only printable
/// ASCII: it becomes a `Location` header, which cannot hold control characters, spaces or raw
/// non-ASCII (the browser sends those percent-encoded anyway).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/admin/")
                && !n.contains("//")
                && !n.contains('\\')
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_owned()
        }
        _ => "/admin/".to_owned(),
    }
}

async fn login_form(
    State(state): State<AppState>,
    Query(query): Query<NextQuery>,
) -> Result<Response, WebError> {
    render_login(&state, query.next.as_deref(), "", None)
}

fn render_login(
    state: &AppState,
    next: Option<&str>,
    username: &str,
    error: Option<String>,
) -> Result<Response, WebError> {
    let token = random_token();
    let mut response = page(
        state,
        "admin/login.html",
        None,
        context! { next => safe_next(next), username, error, login_csrf => token },
    )?;
    if let Ok(v) = cookie_header(state, LOGIN_CSRF_COOKIE, &token, 3600).parse() {
        response.headers_mut().append(SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    login_csrf: String,
}

async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&expected, &form.login_csrf) {
        return render_login(
            &state,
            form.next.as_deref(),
            &form.username,
            Some("The sign-in form expired. Please try again.".to_owned()),
        );
    }
    let username = form.username.trim().to_lowercase();
    let outcome = state
        .store()
        .sign_in(&username, &form.password, &address, Timestamp::now())
        .await?;
    match outcome {
        Ok((token, session)) => {
            let target = if session.second_factor_ok {
                safe_next(form.next.as_deref())
            } else {
                "/admin/login/code".to_owned()
            };
            let mut response = Redirect::to(&target).into_response();
            let max_age = SESSION_IDLE.as_secs();
            if let Ok(v) = cookie_header(&state, SESSION_COOKIE, &token, max_age).parse() {
                response.headers_mut().append(SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(SignInRefusal::BadCredentials) => render_login(
            &state,
            form.next.as_deref(),
            &username,
            Some("The username or password is not right.".to_owned()),
        ),
        Err(SignInRefusal::Locked(wait)) => {
            let minutes = (wait.as_secs() + 59) / 60;
            let msg = format!(
                "Too many failed attempts. Try again in {minutes} minute(s), or ask an administrator."
            );
            let mut response = render_login(&state, form.next.as_deref(), &username, Some(msg))?;
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            Ok(response)
        }
    }
}

pub(crate) use crate::client::ClientAddress;

async fn code_form(State(state): State<AppState>) -> Result<Response, WebError> {
    page(
        &state,
        "admin/code.html",
        None,
        context! { error => None::<String> },
    )
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    code: String,
}

/// The second step: a six-digit code from the authenticator app. Wrong codes are throttled
/// and audited by the store; a right one gives the session a new cookie.
async fn code(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return Ok(Redirect::to("/admin/login").into_response());
    };
    let now = Timestamp::now();
    let Some(session) = state.store().session(&token, now).await? else {
        return Ok(Redirect::to("/admin/login").into_response());
    };
    let store = state.store();
    let refusal = match store
        .check_totp_code(&session.user, &form.code, &address, now)
        .await?
    {
        Ok(()) => {
            let new_token = store
                .confirm_second_factor(&token, &session.user, &address, now)
                .await?;
            let response = Redirect::to("/admin/").into_response();
            return Ok(with_session_cookie(&state, response, &new_token));
        }
        Err(refusal) => refusal,
    };
    let (status, error) = code_refusal_message(&refusal);
    let mut response = page(&state, "admin/code.html", None, context! { error })?;
    *response.status_mut() = status;
    Ok(response)
}

/// Adds the cookie of a (new) session token.
pub(crate) fn with_session_cookie(
    state: &AppState,
    mut response: Response,
    token: &str,
) -> Response {
    let max_age = SESSION_IDLE.as_secs();
    if let Ok(v) = cookie_header(state, SESSION_COOKIE, token, max_age).parse() {
        response.headers_mut().append(SET_COOKIE, v);
    }
    response
}

/// What the person is told when a code is refused, and the status that goes with it.
pub(crate) fn code_refusal_message(refusal: &CodeRefusal) -> (StatusCode, String) {
    match refusal {
        CodeRefusal::Wrong => (
            StatusCode::OK,
            "That code is not right. Enter the current six-digit code from your app.".to_owned(),
        ),
        CodeRefusal::Reused => (
            StatusCode::OK,
            "That code was already used. Wait for your app to show the next code and enter it."
                .to_owned(),
        ),
        CodeRefusal::Locked(wait) => {
            let minutes = (wait.as_secs() + 59) / 60;
            (
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many wrong codes. Try again in {minutes} minute(s), or ask an administrator."
                ),
            )
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Result<Response, WebError> {
    state.store().sign_out(&signed.token).await?;
    let mut response = Redirect::to("/admin/login").into_response();
    if let Ok(v) = cookie_header(&state, SESSION_COOKIE, "", 0).parse() {
        response.headers_mut().append(SET_COOKIE, v);
    }
    Ok(response)
}
