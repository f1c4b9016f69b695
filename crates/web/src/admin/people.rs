//! Accounts: one's own (password, second factor, sessions) and, for admins, everyone's
//! (users, roles, API tokens).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use jiff::Timestamp;
use minijinja::context;
use pressroom_core::Invalid;
use pressroom_core::user::Role;
use pressroom_store::{By, StoreError};
use serde::Deserialize;

use super::auth::{ClientAddress, code_refusal_message, with_session_cookie};
use super::forms::{Fields, errors_map};
use super::{SignedIn, page};
use crate::{AppState, WebError};

pub(super) fn account_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/account", get(account))
        .route("/admin/account/password", post(change_password))
        .route("/admin/account/totp", post(totp))
        .route(
            "/admin/account/signout-everywhere",
            post(sign_out_everywhere),
        )
}

pub(super) fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(user_action))
        .route("/admin/tokens", get(tokens).post(token_action))
}

#[derive(Debug, Deserialize, Default)]
struct Notice {
    done: Option<String>,
    totp: Option<String>,
}

async fn account(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(notice): Query<Notice>,
) -> Result<Response, WebError> {
    render_account(&state, &signed, notice, None, None).await
}

async fn render_account(
    state: &AppState,
    signed: &SignedIn,
    notice: Notice,
    errors: Option<&Invalid>,
    new_secret: Option<String>,
) -> Result<Response, WebError> {
    let has_totp = state.store().totp_secret(signed.user.id).await?.is_some();
    let settings = state.store().site_settings().await?;
    let issuer = pressroom_core::language::pick(&settings.title, "en", settings.default_language())
        .to_owned();
    let setup = new_secret.map(|secret| {
        let uri = pressroom_core::totp::provisioning_uri(&secret, &issuer, &signed.user.username);
        context! { secret, uri }
    });
    page(
        state,
        "admin/account.html",
        Some(signed),
        context! {
            has_totp, setup,
            required => notice.totp.is_some() || settings.require_totp,
            done => notice.done,
            errors => errors_map(errors),
        },
    )
}

async fn change_password(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    if fields.get("new_password") != fields.get("repeat_password") {
        let invalid = Invalid::field("repeat_password", "does not match the new password");
        return invalid_account(&state, &signed, invalid).await;
    }
    match state
        .store()
        .change_password(
            &signed.user,
            fields.get("current_password"),
            fields.get("new_password"),
            &signed.token,
        )
        .await
    {
        Ok(()) => Ok(Redirect::to("/admin/account?done=password").into_response()),
        Err(StoreError::Invalid(invalid)) => invalid_account(&state, &signed, invalid).await,
        Err(e) => Err(e.into()),
    }
}

async fn invalid_account(
    state: &AppState,
    signed: &SignedIn,
    invalid: Invalid,
) -> Result<Response, WebError> {
    let mut response =
        render_account(state, signed, Notice::default(), Some(&invalid), None).await?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// Starting, confirming or removing the second factor. A new secret is shown once and only
/// saved when the person proves their app has it by typing a current code.
async fn totp(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    ClientAddress(address): ClientAddress,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    match fields.get("step") {
        "start" => {
            let secret = pressroom_core::totp::base32_encode(
                &pressroom_store::random_token().as_bytes()[..20],
            );
            render_account(&state, &signed, Notice::default(), None, Some(secret)).await
        }
        "confirm" => {
            let secret = fields.get("secret");
            let now = Timestamp::now();
            let Some(step) =
                pressroom_core::totp::matching_step(secret, fields.get("code"), now.as_second())
            else {
                let invalid = Invalid::field(
                    "code",
                    "is not the current code of your app; check the app and try again",
                );
                let mut response = render_account(
                    &state,
                    &signed,
                    Notice::default(),
                    Some(&invalid),
                    Some(secret.to_owned()),
                )
                .await?;
                *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                return Ok(response);
            };
            let store = state.store();
            store
                .set_totp_secret(
                    &signed.user,
                    Some(secret),
                    Some(step),
                    By::User(&signed.user),
                )
                .await?;
            let token = store
                .confirm_second_factor(&signed.token, &signed.user, &address, now)
                .await?;
            Ok(with_session_cookie(
                &state,
                Redirect::to("/admin/account?done=totp").into_response(),
                &token,
            ))
        }
        "remove" => {
            if state.store().site_settings().await?.require_totp {
                return Err(WebError::Forbidden(
                    "The site requires a second factor for everyone; it cannot be removed."
                        .to_owned(),
                ));
            }
            // Someone at an unattended, signed-in browser must not be able to drop the factor.
            let checked = state
                .store()
                .check_totp_code(&signed.user, fields.get("code"), &address, Timestamp::now())
                .await?;
            if let Err(refusal) = checked {
                let (status, message) = code_refusal_message(&refusal);
                let invalid = Invalid::field("code", message);
                let mut response =
                    render_account(&state, &signed, Notice::default(), Some(&invalid), None)
                        .await?;
                *response.status_mut() = if status == StatusCode::OK {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    status
                };
                return Ok(response);
            }
            state
                .store()
                .set_totp_secret(&signed.user, None, None, By::User(&signed.user))
                .await?;
            Ok(Redirect::to("/admin/account?done=totp-removed").into_response())
        }
        _ => Err(WebError::BadRequest("Unknown step.".to_owned())),
    }
}

async fn sign_out_everywhere(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Result<Response, WebError> {
    state
        .store()
        .sign_out_everywhere(&signed.user, By::User(&signed.user))
        .await?;
    Ok(Redirect::to("/admin/login").into_response())
}

async fn users(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(notice): Query<Notice>,
) -> Result<Response, WebError> {
    render_users(&state, &signed, notice.done, None, &[], None).await
}

async fn render_users(
    state: &AppState,
    signed: &SignedIn,
    done: Option<String>,
    errors: Option<&Invalid>,
    fields: &[(String, String)],
    password: Option<String>,
) -> Result<Response, WebError> {
    let users = state.store().list_users().await?;
    let values: std::collections::BTreeMap<&str, &str> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    page(
        state,
        "admin/users.html",
        Some(signed),
        context! { users, done, errors => errors_map(errors), values, password, roles => ["author", "editor", "admin"] },
    )
}

async fn user_action(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    let by = By::User(&signed.user);
    let username = fields.get("username").trim().to_owned();
    let role = || {
        fields
            .get("role")
            .parse::<Role>()
            .map_err(|e| StoreError::Invalid(Invalid::field("role", e)))
    };
    let result = match fields.get("op") {
        "add" => {
            let password = pressroom_store::generate_password();
            match role() {
                Ok(role) => state
                    .store()
                    .create_user(&username, fields.get("display_name"), role, &password, by)
                    .await
                    .map(|_| Some(password)),
                Err(e) => Err(e),
            }
        }
        "role" => match role() {
            Ok(role) => state
                .store()
                .set_role(&username, role, by)
                .await
                .map(|()| None),
            Err(e) => Err(e),
        },
        "disable" => state
            .store()
            .set_disabled(&username, true, by)
            .await
            .map(|()| None),
        "enable" => state
            .store()
            .set_disabled(&username, false, by)
            .await
            .map(|()| None),
        "reset" => {
            let password = pressroom_store::generate_password();
            state
                .store()
                .set_password(&username, &password, by)
                .await
                .map(|()| Some(password))
        }
        _ => return Err(WebError::BadRequest("Unknown operation.".to_owned())),
    };
    match result {
        Ok(Some(password)) => {
            render_users(
                &state,
                &signed,
                Some(format!("{}: {username}", fields.get("op"))),
                None,
                &[],
                Some(password),
            )
            .await
        }
        Ok(None) => {
            Ok(Redirect::to(&format!("/admin/users?done={}", fields.get("op"))).into_response())
        }
        Err(StoreError::Invalid(invalid)) => {
            let mut response =
                render_users(&state, &signed, None, Some(&invalid), &fields.0, None).await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(StoreError::Duplicate(msg)) => {
            let invalid = Invalid::field("username", msg);
            let mut response =
                render_users(&state, &signed, None, Some(&invalid), &fields.0, None).await?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

async fn tokens(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Result<Response, WebError> {
    render_tokens(&state, &signed, None, None).await
}

async fn render_tokens(
    state: &AppState,
    signed: &SignedIn,
    created: Option<String>,
    errors: Option<&Invalid>,
) -> Result<Response, WebError> {
    let tokens: Vec<_> = state
        .store()
        .list_api_tokens()
        .await?
        .into_iter()
        .map(|t| context! { id => t.id, name => t.name, user => t.user.username, scopes => t.scopes, created => t.created_at.to_string(), revoked => t.revoked_at.is_some() })
        .collect();
    let users: Vec<String> = state
        .store()
        .list_users()
        .await?
        .into_iter()
        .map(|u| u.username)
        .collect();
    page(
        state,
        "admin/tokens.html",
        Some(signed),
        context! { tokens, users, created, errors => errors_map(errors), scopes => pressroom_core::user::Scope::ALL.map(|s| s.as_str()) },
    )
}

async fn token_action(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    let by = By::User(&signed.user);
    match fields.get("op") {
        "create" => {
            let user = match state.store().user_by_name(fields.get("username")).await {
                Ok(u) => u,
                Err(_) => {
                    return render_tokens(
                        &state,
                        &signed,
                        None,
                        Some(&Invalid::field(
                            "username",
                            "choose the user the token acts as",
                        )),
                    )
                    .await;
                }
            };
            let scopes: Vec<String> = fields
                .all("scopes")
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
            match state
                .store()
                .create_api_token(fields.get("name"), &user, &scopes, by)
                .await
            {
                Ok((secret, _)) => render_tokens(&state, &signed, Some(secret), None).await,
                Err(StoreError::Invalid(invalid)) => {
                    let mut response = render_tokens(&state, &signed, None, Some(&invalid)).await?;
                    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    Ok(response)
                }
                Err(e) => Err(e.into()),
            }
        }
        "revoke" => {
            let id: i64 = fields
                .get("id")
                .parse()
                .map_err(|_| WebError::BadRequest("Choose a token from the list.".to_owned()))?;
            state.store().revoke_api_token(id, by).await?;
            Ok(Redirect::to("/admin/tokens").into_response())
        }
        _ => Err(WebError::BadRequest("Unknown operation.".to_owned())),
    }
}
