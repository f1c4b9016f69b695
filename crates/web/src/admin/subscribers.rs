//! Subscribers in the editorial area (admins): how many there are, and one subscriber looked
//! up by address — to answer the person's request for what is stored about them (export) or
//! to delete it (erase). There is deliberately no list of addresses: the page never shows
//! more personal data than the one address the admin already has.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use minijinja::context;
use pressroom_store::{By, StoreError};
use serde::Deserialize;

use super::forms::HtmlForm;
use super::{SignedIn, page};
use crate::{AppState, WebError};

pub(super) fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/subscribers", get(overview).post(look_up))
        .route("/admin/subscribers/{id}/export", get(export))
        .route("/admin/subscribers/{id}/erase", post(erase))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LookUp {
    email: String,
}

/// The page: counts, the lookup form, and what it found or why not.
async fn render(
    state: &AppState,
    signed: &SignedIn,
    email: &str,
    found: Option<minijinja::Value>,
    message: Option<String>,
) -> Result<Response, WebError> {
    let counts = state.store().subscriber_counts().await?;
    page(
        state,
        "admin/subscribers.html",
        Some(signed),
        context! { counts, email, found, message, mail_enabled => state.inner.mailer.is_some() },
    )
}

async fn overview(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Result<Response, WebError> {
    render(&state, &signed, "", None, None).await
}

async fn look_up(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    HtmlForm(form): HtmlForm<LookUp>,
) -> Result<Response, WebError> {
    let tz = state.store().site_settings().await?.tz();
    let at = |t: jiff::Timestamp| {
        t.to_zoned_datetime(tz.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    match state.store().find_subscriber(&form.email).await {
        Ok(Some(s)) => {
            let found = context! {
                id => s.id, email => s.email, lang => s.lang, state => s.state.as_str(),
                frequency => s.choices.frequency.as_str(), langs => s.choices.langs,
                kinds => s.choices.kinds, topics => s.choices.topics,
                created => at(s.created_at), confirmed => s.confirmed_at.map(at),
            };
            render(&state, &signed, &form.email, Some(found), None).await
        }
        Ok(None) => {
            let message = format!("No subscriber has the address {}.", form.email.trim());
            render(&state, &signed, &form.email, None, Some(message)).await
        }
        Err(StoreError::Invalid(invalid)) => {
            let message = invalid.errors.first().map(|e| e.message.clone());
            render(&state, &signed, &form.email, None, message).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Everything stored about one subscriber, as a JSON file to hand to them.
async fn export(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let data = state.store().export_subscriber(id).await?;
    let body = serde_json::to_string_pretty(&data).unwrap_or_default();
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"subscriber-{id}.json\""))
    {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

async fn erase(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    state
        .store()
        .erase_subscriber(id, By::User(&signed.user))
        .await?;
    let message = format!("Subscriber {id} was erased, with every delivery to them.");
    render(&state, &signed, "", None, Some(message)).await
}
