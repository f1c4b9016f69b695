//! Sends the outbox's deliveries: signed webhooks (Standard Webhooks), with the release's
//! Ed25519-signed form inside so a receiver can check it came from the ministry; and posts
//! to Telegram channels through the Bot API (`sendMessage`), in the channel's language.
//!
//! [`follow`] runs on every server: it claims due deliveries (the store makes sure each is
//! claimed by one worker), POSTs them, and records each attempt. It wakes on a commit in this
//! process, when the next retry is due, and at least every [`POLL`] for deliveries written by
//! other servers. A receiver that hangs costs one worker slot for [`TIMEOUT`], never a
//! publication: deliveries are already committed when they are sent.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use jiff::{SignedDuration, Timestamp};
use pressroom_core::outbox::Event;
use pressroom_store::{Delivery, DeliveryState, Finished, Outcome, Store, StoreError};
use serde_json::json;
use tokio::sync::watch;

use crate::templates::html_escape;
use crate::view::release_path;
use crate::{AppState, mail};

/// The longest a worker waits for new deliveries written by another server.
pub const POLL: Duration = Duration::from_secs(2);
/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim lasts before another worker may take the delivery over: longer than
/// [`TIMEOUT`] with room to record the attempt.
const LEASE: SignedDuration = SignedDuration::from_secs(60);
/// Deliveries claimed per round, and sent at the same time (mail through the SMTP pool's
/// connections): enough that a publication to ten thousand subscribers costs a few hundred
/// rounds, few enough that a round's slowest receiver (at most [`TIMEOUT`]) holds back little.
const BATCH: i64 = 64;
/// Longest error text kept from a receiver's answer.
const MAX_DETAIL: usize = 300;

/// The HTTP client deliveries are sent with: no redirects (a receiver's address is what the
/// admin typed; following a redirect could send the signed message elsewhere), a timeout.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent(concat!(
            "Pressroom/",
            env!("CARGO_PKG_VERSION"),
            " (webhooks)"
        ))
        .build()
}

/// Claims and sends what is due now, once; returns how many deliveries were attempted.
/// [`follow`] calls it in a loop; tests call it directly.
pub async fn send_due(state: &AppState, client: &reqwest::Client) -> Result<usize, StoreError> {
    let store = state.store();
    let now = Timestamp::now();
    let claimed = store.claim_deliveries(now, BATCH, LEASE).await?;
    let count = claimed.len();
    let units = messages(store, claimed, now).await?;
    let facts = read_facts(state, &units).await;
    let facts = &facts;
    let results: Vec<(Vec<Delivery>, Outcome, Timestamp, Timestamp)> =
        futures_util::stream::iter(units)
            .map(|unit| async move {
                let started = Timestamp::now();
                let outcome = attempt(state, client, &unit, facts).await;
                (unit, outcome, started, Timestamp::now())
            })
            .buffer_unordered(BATCH as usize)
            .collect()
            .await;
    // One commit for the round. A crash before it leaves the round claimed: another worker
    // sends it again when the lease ends, under the same message ids.
    let finished: Vec<Finished<'_>> = results
        .iter()
        .flat_map(|(unit, outcome, started, ended)| {
            unit.iter().map(move |delivery| Finished {
                delivery,
                outcome,
                at: *ended,
                duration: ended.duration_since(*started),
            })
        })
        .collect();
    let states = store.finish_attempts(&finished).await?;
    for (done, new_state) in finished.iter().zip(states) {
        state.metrics().record_delivery(new_state);
        log_attempt(done.delivery, new_state, done.outcome);
    }
    for (unit, outcome, ..) in &results {
        if let (
            Outcome::GiveUp {
                status: Some(status),
                ..
            },
            Some(delivery),
        ) = (outcome, unit.first())
        {
            switch_off(store, delivery, *status).await?;
        }
    }
    Ok(count)
}

/// Switches a receiver off that said "stop" (Standard Webhooks: 410 Gone), or a channel the
/// Bot API refuses for good, until an admin switches it on.
async fn switch_off(store: &Store, delivery: &Delivery, status: u16) -> Result<(), StoreError> {
    let by = pressroom_store::By::Cli;
    match delivery.channel.as_str() {
        "webhook" if status == 410 => {
            let reason = Some("the receiver answered 410 Gone");
            store
                .set_webhook_enabled(delivery.target_id, false, reason, by)
                .await
        }
        "telegram" => {
            let reason = format!("the Bot API refused a post with HTTP {status}");
            store
                .set_channel_enabled(delivery.target_id, false, Some(&reason), by)
                .await
        }
        _ => Ok(()),
    }
}

fn log_attempt(delivery: &Delivery, new_state: DeliveryState, outcome: &Outcome) {
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
}

/// The claimed deliveries as messages: one each, except a daily subscriber's digest rows,
/// which go together in one mail (with any of its due digest rows another round left).
async fn messages(
    store: &Store,
    claimed: Vec<Delivery>,
    now: Timestamp,
) -> Result<Vec<Vec<Delivery>>, StoreError> {
    let mut units: Vec<Vec<Delivery>> = Vec::new();
    let mut digests: HashMap<i64, usize> = HashMap::new();
    for delivery in claimed {
        if delivery.channel == "digest" {
            if let Some(&at) = digests.get(&delivery.target_id) {
                units[at].push(delivery);
                continue;
            }
            digests.insert(delivery.target_id, units.len());
        }
        units.push(vec![delivery]);
    }
    for (subscriber, at) in digests {
        let ids: Vec<i64> = units[at].iter().map(|d| d.id).collect();
        let more = store.claim_digest(subscriber, &ids, now, LEASE).await?;
        units[at].extend(more);
        units[at].sort_by_key(|d| d.id);
    }
    Ok(units)
}

/// What a delivery's message says about a publication: the same for every receiver of it.
type FactsKey = (i64, i64, Event);

fn facts_key(delivery: &Delivery) -> FactsKey {
    (
        delivery.translation_id,
        delivery.revision_id,
        delivery.event,
    )
}

/// Reads the facts of every publication the messages are about, once each: a publication
/// mailed to ten thousand subscribers is read once per round, not per mail.
async fn read_facts(
    state: &AppState,
    units: &[Vec<Delivery>],
) -> HashMap<FactsKey, Result<Facts, String>> {
    let mut all = HashMap::new();
    for delivery in units.iter().flatten() {
        if delivery.event == Event::Subscription {
            continue;
        }
        let key = facts_key(delivery);
        if let std::collections::hash_map::Entry::Vacant(slot) = all.entry(key) {
            slot.insert(facts(state, delivery).await.map_err(|e| e.to_string()));
        }
    }
    all
}

/// One attempt at a message, by its channel.
async fn attempt(
    state: &AppState,
    client: &reqwest::Client,
    unit: &[Delivery],
    facts: &HashMap<FactsKey, Result<Facts, String>>,
) -> Outcome {
    let Some(first) = unit.first() else {
        return Outcome::GiveUp {
            status: None,
            detail: "nothing to send".to_owned(),
        };
    };
    let fact = |delivery: &Delivery| match facts.get(&facts_key(delivery)) {
        Some(Ok(f)) => Ok(f),
        Some(Err(e)) => Err(e.clone()),
        None => Err("the publication could not be read".to_owned()),
    };
    let given_up = |e: String| Outcome::GiveUp {
        status: None,
        detail: format!("the message could not be built: {e}"),
    };
    match first.channel.as_str() {
        "subscription" => mail::subscription_mail(state, first).await,
        "email" | "digest" => {
            let mut items = Vec::with_capacity(unit.len());
            for delivery in unit {
                match fact(delivery) {
                    Ok(f) => items.push((delivery, f)),
                    Err(e) => return given_up(e),
                }
            }
            mail::release_mail(state, &items).await
        }
        "webhook" => match fact(first) {
            Ok(f) => webhook(state, client, first, f).await,
            Err(e) => given_up(e),
        },
        "telegram" => match fact(first) {
            Ok(f) => telegram(state, client, first, f).await,
            Err(e) => given_up(e),
        },
        other => Outcome::GiveUp {
            status: None,
            detail: format!("unknown channel `{other}`"),
        },
    }
}

/// Builds the signed webhook message and POSTs it.
async fn webhook(
    state: &AppState,
    client: &reqwest::Client,
    delivery: &Delivery,
    facts: &Facts,
) -> Outcome {
    let (url, secret, body) = match message(state, delivery, facts).await {
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
    judge(sent, |status| status == 410).await
}

/// The outcome of an HTTP answer: 2xx accepted; `permanent` statuses give up at once; any
/// other status, or no answer, is tried again later.
async fn judge(
    sent: Result<reqwest::Response, reqwest::Error>,
    permanent: impl Fn(u16) -> bool,
) -> Outcome {
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
            if permanent(status) {
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

/// Posts the release to a Telegram channel: the headline in bold, the number and date, the
/// page's address; a correction or withdrawal says so first, with its note. The Bot API's
/// 400 (bad chat, bad text), 401 (bad token) and 403 (the bot is not in the channel) need a
/// person to fix the channel, so they give up at once; 429 and 5xx are retried.
async fn telegram(
    state: &AppState,
    client: &reqwest::Client,
    delivery: &Delivery,
    facts: &Facts,
) -> Outcome {
    let built = async {
        let store = state.store();
        let channel = store.channel(delivery.target_id).await?;
        let token = store.channel_token(delivery.target_id).await?;
        Ok::<_, StoreError>((channel, token, post_text(state, delivery, facts)))
    };
    let (channel, token, text) = match built.await {
        Ok(parts) => parts,
        Err(e) => {
            return Outcome::GiveUp {
                status: None,
                detail: format!("the message could not be built: {e}"),
            };
        }
    };
    let url = format!("{}/bot{token}/sendMessage", channel.api_base);
    let sent = client
        .post(&url)
        .header("content-type", "application/json")
        .body(
            json!({
                "chat_id": channel.chat_id,
                "text": text,
                "parse_mode": "HTML",
            })
            .to_string(),
        )
        .send()
        .await;
    // The token is in the URL: keep it out of anything an admin page shows.
    let redact = |detail: String| detail.replace(&token, "<token>");
    match judge(sent, |status| matches!(status, 400 | 401 | 403 | 404)).await {
        Outcome::Retry { status, detail } => Outcome::Retry {
            status,
            detail: redact(detail),
        },
        Outcome::GiveUp { status, detail } => Outcome::GiveUp {
            status,
            detail: redact(detail),
        },
        accepted => accepted,
    }
}

/// What every kind of message says about the published text, read once per round.
pub(crate) struct Facts {
    pub(crate) translation: pressroom_core::release::Translation,
    pub(crate) release: pressroom_core::release::Release,
    /// The revision published (or withdrawn).
    pub(crate) revision: pressroom_core::release::Revision,
    pub(crate) settings: pressroom_core::settings::SiteSettings,
    pub(crate) kinds: Vec<pressroom_core::release::Kind>,
    pub(crate) series: Vec<pressroom_core::numbering::NumberSeries>,
    /// The page's full address.
    pub(crate) url: String,
    /// A correction's public note, or a withdrawal's explanation.
    pub(crate) note: Option<String>,
    /// The revision's body as the page shows it: rendered once for every mail of the round
    /// (Markdown and sanitising cost more than the rest of a mail).
    pub(crate) body_html: String,
}

async fn facts(state: &AppState, delivery: &Delivery) -> Result<Facts, StoreError> {
    let store = state.store();
    let translation = store.translation(delivery.translation_id).await?;
    let release = store.release(delivery.release_id).await?;
    let settings = store.site_settings().await?;
    let url = format!(
        "{}{}",
        state.config().base_url.trim_end_matches('/'),
        release_path(&translation.lang, &release, &translation.slug, &settings)
    );
    let note = match delivery.event {
        Event::Corrected => store
            .publications(delivery.translation_id)
            .await?
            .into_iter()
            .find(|p| p.revision_id == delivery.revision_id)
            .and_then(|p| p.correction)
            .and_then(|c| c.note().map(str::to_owned)),
        Event::Withdrawn => translation.withdrawal_explanation.clone(),
        Event::Published | Event::Subscription => None,
    };
    let revision = store.revision(delivery.revision_id).await?;
    let kinds = store.list_kinds().await?;
    let series = store.list_series().await?;
    let body_html = crate::view::Ctx {
        lang: &translation.lang,
        settings: &settings,
        kinds: &kinds,
        series: &series,
        i18n: &state.inner.i18n,
    }
    .markdown(&revision.body);
    Ok(Facts {
        revision,
        kinds,
        series,
        translation,
        release,
        settings,
        url,
        note,
        body_html,
    })
}

/// The text of a channel post, in the translation's language, as Telegram's HTML.
fn post_text(state: &AppState, delivery: &Delivery, facts: &Facts) -> String {
    let lang = facts.translation.lang.as_str();
    let i18n = &state.inner.i18n;
    let mut text = String::new();
    if let Some(key) = event_label(delivery.event) {
        text.push_str(&i18n.text(lang, key, &[]));
        text.push_str(": ");
    }
    text.push_str(&format!("<b>{}</b>\n", html_escape(&facts.revision.title)));
    let tz = facts.settings.tz();
    let mut shown = Vec::new();
    if let Some(number) = facts.release.display_number(&facts.series, lang, &tz) {
        shown.push(number);
    }
    if let Some(first) = facts.release.first_published_at {
        shown.push(i18n.long_date(lang, first.to_zoned_datetime(tz).date()));
    }
    if !shown.is_empty() {
        text.push_str(&html_escape(&shown.join(" · ")));
        text.push('\n');
    }
    if let Some(note) = facts.note.as_deref().filter(|n| !n.trim().is_empty()) {
        text.push_str(&html_escape(note.trim()));
        text.push('\n');
    }
    text.push_str(&html_escape(&facts.url));
    text
}

/// The interface string that heads a message about `event`, if any: a correction or a
/// withdrawal says so before the headline.
pub(crate) fn event_label(event: Event) -> Option<&'static str> {
    match event {
        Event::Corrected => Some("channel-correction"),
        Event::Withdrawn => Some("withdrawn"),
        Event::Published | Event::Subscription => None,
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
    facts: &Facts,
) -> Result<(String, pressroom_core::outbox::WebhookSecret, Vec<u8>), StoreError> {
    let store: &Store = state.store();
    let hook = store.webhook(delivery.target_id).await?;
    let secret = store.webhook_secret(delivery.target_id).await?;
    let signed = store.signed_revision(delivery.revision_id).await?;
    let base = state.config().base_url.trim_end_matches('/');
    let payload = &signed.payload;
    let field = |k: &str| payload.get(k).cloned().unwrap_or(serde_json::Value::Null);
    let mut data = json!({
        "release_id": delivery.release_id,
        "translation_id": delivery.translation_id,
        "revision_id": delivery.revision_id,
        "language": facts.translation.lang,
        "kind": facts.release.kind,
        "number": payload.get("number").and_then(|n| n.get("display")).cloned(),
        "title": field("title"),
        "url": facts.url,
        "signed_url": format!("{base}/api/v1/revisions/{}/signed.json", delivery.revision_id),
        "signed": signed,
    });
    match delivery.event {
        Event::Corrected => data["correction_note"] = json!(facts.note),
        Event::Withdrawn => data["explanation"] = json!(facts.note),
        Event::Published | Event::Subscription => {}
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
    let client = match client() {
        Ok(client) => client,
        Err(e) => {
            // Deliveries stay queued (and visible on /admin/deliveries) until a restart.
            tracing::error!(error = %e, "cannot make the HTTP client; nothing will be sent");
            return;
        }
    };
    let mut committed = state.store().change_signal();
    let mut outbox = state.store().outbox_signal();
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
            _ = outbox.changed() => {}
            _ = shutdown.changed() => {}
        }
    }
}
