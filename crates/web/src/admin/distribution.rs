//! Distribution in the editorial area (admins): webhook receivers, and the outbox's
//! deliveries with their attempts and a "Resend".

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use minijinja::context;
use pressroom_core::Invalid;
use pressroom_core::outbox::Event;
use pressroom_store::{
    By, Delivery, DeliveryFilter, DeliveryState, NewChannel, NewWebhook, StoreError,
};
use serde::Deserialize;

use super::forms::{Fields, errors_map};
use super::{SignedIn, page};
use crate::{AppState, WebError};

/// Deliveries per page of the list.
const PAGE_SIZE: i64 = 50;

pub(super) fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/webhooks", get(webhooks).post(webhook_action))
        .route("/admin/deliveries", get(deliveries))
        .route("/admin/deliveries/{id}", get(delivery))
        .route("/admin/deliveries/{id}/resend", post(resend))
}

async fn webhooks(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
) -> Result<Response, WebError> {
    render_webhooks(&state, &signed, Typed::default()).await
}

/// What the page shows besides the lists: a new receiver's secret, or the form that failed
/// with its errors and what was typed.
#[derive(Default)]
struct Typed<'a> {
    created: Option<(String, String)>,
    errors: Option<&'a Invalid>,
    webhook: NewWebhook,
    channel: NewChannel,
}

async fn render_webhooks(
    state: &AppState,
    signed: &SignedIn,
    typed: Typed<'_>,
) -> Result<Response, WebError> {
    let tz = state.store().site_settings().await?.tz();
    let hooks: Vec<_> = state
        .store()
        .webhooks()
        .await?
        .into_iter()
        .map(|w| {
            context! {
                id => w.id, url => w.url, description => w.description,
                events => if w.events.is_empty() { "every event".to_owned() } else { w.events.join(", ") },
                enabled => w.enabled, disabled_reason => w.disabled_reason,
                created => w.created_at.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string(),
            }
        })
        .collect();
    let channels: Vec<_> = state
        .store()
        .channels()
        .await?
        .into_iter()
        .map(|c| {
            context! {
                id => c.id, name => c.name, chat_id => c.chat_id, lang => c.lang, api_base => c.api_base,
                events => if c.events.is_empty() { "every event".to_owned() } else { c.events.join(", ") },
                enabled => c.enabled, disabled_reason => c.disabled_reason,
            }
        })
        .collect();
    let stats = state.store().outbox_stats(jiff::Timestamp::now()).await?;
    let choices = |picked: &[String]| -> Vec<minijinja::Value> {
        Event::ALL
            .iter()
            .map(|e| context! { name => e.as_str(), checked => picked.iter().any(|t| t == e.as_str()) })
            .collect()
    };
    let languages: Vec<String> = state
        .store()
        .site_settings()
        .await?
        .languages
        .into_iter()
        .map(|l| l.code)
        .collect();
    let (w, c) = (&typed.webhook, &typed.channel);
    page(
        state,
        "admin/webhooks.html",
        Some(signed),
        context! {
            hooks, channels, stats, languages, created => typed.created,
            events => choices(&w.events), channel_events => choices(&c.events),
            url => w.url, description => w.description,
            channel_name => c.name, chat_id => c.chat_id, api_base => c.api_base, channel_lang => c.lang,
            errors => errors_map(typed.errors),
        },
    )
}

async fn webhook_action(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let fields = Fields(raw);
    let by = By::User(&signed.user);
    match fields.get("op") {
        "create" => {
            let new = NewWebhook {
                url: fields.get("url").to_owned(),
                description: fields.get("description").to_owned(),
                events: fields
                    .all("events")
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            };
            match state.store().add_webhook(&new, by).await {
                Ok((hook, secret)) => {
                    let created = Some((hook.url, secret.to_string()));
                    let shown = Typed {
                        created,
                        ..Typed::default()
                    };
                    render_webhooks(&state, &signed, shown).await
                }
                Err(StoreError::Invalid(invalid)) => {
                    let typed = Typed {
                        errors: Some(&invalid),
                        webhook: new,
                        ..Typed::default()
                    };
                    refused(render_webhooks(&state, &signed, typed).await)
                }
                Err(e) => Err(e.into()),
            }
        }
        "create_channel" => {
            let new = NewChannel {
                name: fields.get("channel_name").to_owned(),
                chat_id: fields.get("chat_id").to_owned(),
                token: fields.get("token").to_owned(),
                api_base: fields.get("api_base").to_owned(),
                lang: fields.get("channel_lang").to_owned(),
                events: fields
                    .all("channel_events")
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            };
            match state.store().add_channel(&new, by).await {
                Ok(_) => Ok(Redirect::to("/admin/webhooks").into_response()),
                Err(StoreError::Invalid(invalid)) => {
                    // The token is never typed back into the page.
                    let typed = Typed {
                        errors: Some(&invalid),
                        channel: NewChannel {
                            token: String::new(),
                            ..new
                        },
                        ..Typed::default()
                    };
                    refused(render_webhooks(&state, &signed, typed).await)
                }
                Err(e) => Err(e.into()),
            }
        }
        op @ ("enable_channel" | "disable_channel") => {
            let id: i64 = fields
                .get("id")
                .parse()
                .map_err(|_| WebError::BadRequest("Choose a channel from the list.".to_owned()))?;
            state
                .store()
                .set_channel_enabled(id, op == "enable_channel", None, by)
                .await?;
            Ok(Redirect::to("/admin/webhooks").into_response())
        }
        op @ ("enable" | "disable") => {
            let id: i64 = fields
                .get("id")
                .parse()
                .map_err(|_| WebError::BadRequest("Choose a receiver from the list.".to_owned()))?;
            state
                .store()
                .set_webhook_enabled(id, op == "enable", None, by)
                .await?;
            Ok(Redirect::to("/admin/webhooks").into_response())
        }
        _ => Err(WebError::BadRequest("Unknown operation.".to_owned())),
    }
}

/// A form's page answered 422, so the browser and tests see it was refused.
fn refused(page: Result<Response, WebError>) -> Result<Response, WebError> {
    let mut response = page?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[derive(Debug, Deserialize, Default)]
struct DeliveriesQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: Option<i64>,
}

fn parse_state(text: &str) -> Result<Option<DeliveryState>, WebError> {
    if text.is_empty() {
        return Ok(None);
    }
    DeliveryState::from_name(text).map(Some).ok_or_else(|| {
        WebError::BadRequest(format!(
            "`{text}` is not a delivery state; use queued, sending, sent or failed."
        ))
    })
}

/// The table's view of a delivery.
fn row(delivery: &Delivery, tz: &jiff::tz::TimeZone) -> minijinja::Value {
    let at = |t: jiff::Timestamp| {
        t.to_zoned_datetime(tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    context! {
        id => delivery.id, event => delivery.event.as_str(), state => delivery.state.as_str(),
        target => delivery.target_id, message_id => delivery.message_id,
        translation => delivery.translation_id, attempts => delivery.attempts,
        created => at(delivery.created_at),
        next => (delivery.state == DeliveryState::Queued).then(|| at(delivery.next_attempt_at)),
        sent => delivery.sent_at.map(at), last_error => delivery.last_error,
        resendable => matches!(delivery.state, DeliveryState::Sent | DeliveryState::Failed),
    }
}

async fn deliveries(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Query(q): Query<DeliveriesQuery>,
) -> Result<Response, WebError> {
    let wanted = parse_state(&q.state)?;
    let page_no = q.page.unwrap_or(1).max(1);
    let found = state
        .store()
        .deliveries(&DeliveryFilter {
            state: wanted,
            limit: PAGE_SIZE + 1,
            offset: (page_no - 1).saturating_mul(PAGE_SIZE),
        })
        .await?;
    let more = found.len() as i64 > PAGE_SIZE;
    let tz = state.store().site_settings().await?.tz();
    let rows: Vec<_> = found
        .iter()
        .take(PAGE_SIZE as usize)
        .map(|d| row(d, &tz))
        .collect();
    let stats = state.store().outbox_stats(jiff::Timestamp::now()).await?;
    page(
        &state,
        "admin/deliveries.html",
        Some(&signed),
        context! { rows, stats, more, page_no, state_filter => q.state, states => DeliveryState::ALL.map(DeliveryState::as_str) },
    )
}

async fn delivery(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (delivery, attempts) = state.store().delivery(id).await?;
    let tz = state.store().site_settings().await?.tz();
    // What the receiver is called: a webhook's address, a channel's name, a subscriber by
    // number only (the address is personal data and stays on the subscribers page).
    let receiver = match delivery.channel.as_str() {
        "webhook" => state
            .store()
            .webhook(delivery.target_id)
            .await
            .ok()
            .map(|h| h.url),
        "telegram" => state
            .store()
            .channel(delivery.target_id)
            .await
            .ok()
            .map(|c| format!("Telegram {}", c.chat_id)),
        _ => Some(format!(
            "subscriber {} ({} mail)",
            delivery.target_id, delivery.channel
        )),
    };
    let attempts: Vec<_> = attempts
        .iter()
        .map(|a| {
            context! {
                at => a.at.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M:%S").to_string(),
                ok => a.ok, status => a.status, detail => a.detail, duration_ms => a.duration_ms,
            }
        })
        .collect();
    page(
        &state,
        "admin/delivery.html",
        Some(&signed),
        context! { d => row(&delivery, &tz), attempts, receiver },
    )
}

async fn resend(
    State(state): State<AppState>,
    Extension(signed): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    match state
        .store()
        .resend_delivery(id, By::User(&signed.user))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/admin/deliveries/{id}")).into_response()),
        Err(StoreError::Invalid(invalid)) => Err(WebError::BadRequest(
            invalid
                .errors
                .first()
                .map(|e| format!("This delivery cannot be resent: {}.", e.message))
                .unwrap_or_default(),
        )),
        Err(e) => Err(e.into()),
    }
}
