//! Sends the outbox's deliveries: signed webhooks (Standard Webhooks), with the release's
//! Ed25519-signed form inside so a receiver can check it came from the ministry.
//!
//! [`follow`] runs on every server: it claims due deliveries (the store makes sure each is
//! claimed by one worker), POSTs them, and records each attempt. It wakes on a commit in this
//! process, when the next retry is due, and at least every [`POLL`] for deliveries written by
//! other servers. A receiver that hangs costs one worker slot for [`TIMEOUT`], never a
//! publication: deliveries are already committed when they are sent.

use std::time::Duration;

use futures_util::StreamExt;
use jiff::{SignedDuration, Timestamp};
use pressroom_core::outbox::Event;
use pressroom_store::{Delivery, DeliveryState, Outcome, Store, StoreError};
use serde_json::json;
use tokio::sync::watch;

use crate::AppState;
use crate::view::release_path;

/// The longest a worker waits for new deliveries written by another server.
pub const POLL: Duration = Duration::from_secs(2);
/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim lasts before another worker may take the delivery over: longer than
/// [`TIMEOUT`] with room to record the attempt.
const LEASE: SignedDuration = SignedDuration::from_secs(60);
/// Deliveries claimed per round, and sent at the same time.
const BATCH: i64 = 16;
/// Longest error text kept from a receiver's answer.
const MAX_DETAIL: usize = 300;

/// The HTTP client deliveries are sent with: no redirects (a receiver's address is what the
/// admin typed; following a redirect could send the signed message elsewhere), a timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent(concat!(
            "Pressroom/",
            env!("CARGO_PKG_VERSION"),
            " (webhooks)"
        ))
        .build()
        .expect("a client with rustls and no proxy settings to read")
}

/// Claims and sends what is due now, once; returns how many deliveries were attempted.
/// [`follow`] calls it in a loop; tests call it directly.
pub async fn send_due(state: &AppState, client: &reqwest::Client) -> Result<usize, StoreError> {
    let store = state.store();
    let claimed = store
        .claim_deliveries(Timestamp::now(), BATCH, LEASE)
        .await?;
    let count = claimed.len();
    let results: Vec<Result<(), StoreError>> = futures_util::stream::iter(claimed)
        .map(|delivery| async move {
            let started = Timestamp::now();
            let outcome = attempt(state, client, &delivery).await;
            let finished = Timestamp::now();
            let new_state = store
                .finish_attempt(
                    &delivery,
                    &outcome,
                    finished,
                    finished.duration_since(started),
                )
                .await?;
            state.metrics().record_delivery(new_state);
            if let Outcome::GiveUp {
                status: Some(410), ..
            } = outcome
            {
                // Standard Webhooks: 410 Gone means "stop sending to this endpoint".
                store
                    .set_webhook_enabled(
                        delivery.target_id,
                        false,
                        Some("the receiver answered 410 Gone"),
                        pressroom_store::By::Cli,
                    )
                    .await?;
            }
            match new_state {
                DeliveryState::Failed => tracing::warn!(
                    delivery = delivery.id,
                    attempts = delivery.attempts,
                    ?outcome,
                    "delivery failed for good"
                ),
                DeliveryState::Queued => tracing::info!(
                    delivery = delivery.id,
                    attempts = delivery.attempts,
                    ?outcome,
                    "delivery will be retried"
                ),
                _ => {}
            }
            Ok(())
        })
        .buffer_unordered(BATCH as usize)
        .collect()
        .await;
    results.into_iter().collect::<Result<(), _>>()?;
    Ok(count)
}

/// One attempt: builds the signed message and POSTs it.
async fn attempt(state: &AppState, client: &reqwest::Client, delivery: &Delivery) -> Outcome {
    let (url, secret, body) = match message(state, delivery).await {
        Ok(parts) => parts,
        Err(e) => {
            return Outcome::GiveUp {
                status: None,
                detail: format!("the message could not be built: {e}"),
            };
        }
    };
    let timestamp = Timestamp::now().as_second();
    let signature = secret.sign(&delivery.message_id, timestamp, &body);
    let sent = client
        .post(&url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            if response.status().is_success() {
                return Outcome::Accepted { status };
            }
            let reason = response
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_DETAIL)
                .collect::<String>();
            let detail = if reason.trim().is_empty() {
                format!("HTTP {status}")
            } else {
                format!("HTTP {status}: {}", reason.trim())
            };
            if status == 410 {
                Outcome::GiveUp {
                    status: Some(status),
                    detail,
                }
            } else {
                Outcome::Retry {
                    status: Some(status),
                    detail,
                }
            }
        }
        Err(e) => Outcome::Retry {
            status: None,
            detail: describe(&e),
        },
    }
}

/// A transport error in words an admin can act on.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("no answer within {} seconds", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "the receiver refused or dropped the connection".to_owned()
    } else {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(inner) = source {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            source = inner.source();
        }
        text
    }
}

/// The receiver's address and secret, and the body: the Standard Webhooks envelope (`type`,
/// `timestamp` of the event, `data`) with the page's address, the note of a correction or the
/// explanation of a withdrawal, and the revision's signed form.
async fn message(
    state: &AppState,
    delivery: &Delivery,
) -> Result<(String, pressroom_core::outbox::WebhookSecret, Vec<u8>), StoreError> {
    let store: &Store = state.store();
    let hook = store.webhook(delivery.target_id).await?;
    let secret = store.webhook_secret(delivery.target_id).await?;
    let translation = store.translation(delivery.translation_id).await?;
    let release = store.release(delivery.release_id).await?;
    let settings = store.site_settings().await?;
    let signed = store.signed_revision(delivery.revision_id).await?;
    let base = state.config().base_url.trim_end_matches('/');
    let path = release_path(&translation.lang, &release, &translation.slug, &settings);
    let payload = &signed.payload;
    let field = |k: &str| payload.get(k).cloned().unwrap_or(serde_json::Value::Null);
    let mut data = json!({
        "release_id": delivery.release_id,
        "translation_id": delivery.translation_id,
        "revision_id": delivery.revision_id,
        "language": translation.lang,
        "kind": release.kind,
        "number": payload.get("number").and_then(|n| n.get("display")).cloned(),
        "title": field("title"),
        "url": format!("{base}{path}"),
        "signed_url": format!("{base}/api/v1/revisions/{}/signed.json", delivery.revision_id),
        "signed": signed,
    });
    match delivery.event {
        Event::Corrected => {
            let note = store
                .publications(delivery.translation_id)
                .await?
                .into_iter()
                .find(|p| p.revision_id == delivery.revision_id)
                .and_then(|p| p.correction)
                .and_then(|c| c.note().map(str::to_owned));
            data["correction_note"] = json!(note);
        }
        Event::Withdrawn => {
            data["explanation"] = json!(translation.withdrawal_explanation);
        }
        Event::Published => {}
    }
    let body = json!({
        "type": delivery.event.as_str(),
        "timestamp": delivery.occurred_at.to_string(),
        "data": data,
    });
    Ok((
        hook.url,
        secret,
        serde_json::to_vec(&body).unwrap_or_default(),
    ))
}

/// Sends deliveries until `shutdown`: see the module docs.
pub async fn follow(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let client = client();
    let mut committed = state.store().change_signal();
    loop {
        if *shutdown.borrow() {
            break;
        }
        let mut busy = false;
        match send_due(&state, &client).await {
            Ok(sent) => busy = sent as i64 == BATCH,
            Err(e) => tracing::warn!(error = %e, "the outbox could not be read; retrying"),
        }
        if busy {
            continue;
        }
        let wait = match state.store().next_delivery_due().await {
            Ok(Some(due)) => {
                let until = due.duration_since(Timestamp::now());
                // At least a moment, so a row another server holds locked is not spun on.
                Duration::try_from(until)
                    .unwrap_or(Duration::ZERO)
                    .clamp(Duration::from_millis(50), POLL)
            }
            _ => POLL,
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = committed.changed() => {}
            _ = shutdown.changed() => {}
        }
    }
}
