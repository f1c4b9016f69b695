//! The outbox: webhook receivers, and the deliveries a publication writes in its own
//! transaction and workers send.
//!
//! [`enqueue`] runs inside `Store::apply`, right after the change is recorded, so a
//! publication commits together with one delivery per receiver or not at all. Workers on
//! any number of servers call [`Store::claim_deliveries`]: on PostgreSQL the due rows are
//! locked with `FOR UPDATE SKIP LOCKED`, so two workers never claim the same row; on SQLite
//! the write lock does the same. A claim is a lease: a worker that dies mid-send leaves the
//! row `sending` until the lease runs out, and then another worker takes it over — the
//! receiver may then see a message twice, with the same `webhook-id` to recognise it by.

use jiff::{SignedDuration, Timestamp};
use pressroom_core::Invalid;
use pressroom_core::outbox::{Event, WebhookSecret, after_failure, check_endpoint_url};
use pressroom_core::release::{ReleaseId, RevisionId, TranslationId};
use pressroom_core::subscription::next_digest_at;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::audit::{NewAuditEntry, append};
use crate::receivers::{Receiver, events_column, events_of};
use crate::rows::{instant, micros, sql};
use crate::{Backend, By, Result, Store, StoreError};

/// Longest description of a receiver.
const MAX_DESCRIPTION: usize = 200;

/// A webhook receiver an admin configured.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Webhook {
    /// Its id.
    pub id: i64,
    /// Where deliveries are POSTed.
    pub url: String,
    /// What the admin called it.
    pub description: String,
    /// The events it receives.
    pub events: Vec<String>,
    /// Whether new deliveries are written for it.
    pub enabled: bool,
    /// Why it was switched off by the receiver's answer, if it was.
    pub disabled_reason: Option<String>,
    /// When it was added.
    pub created_at: Timestamp,
}

/// What an admin fills in to add a receiver.
#[derive(Debug, Clone, Default)]
pub struct NewWebhook {
    /// The receiver's address (`https://…`).
    pub url: String,
    /// A name for the list.
    pub description: String,
    /// Event names it receives; empty means every event.
    pub events: Vec<String>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Waiting for its (next) attempt.
    Queued,
    /// Claimed by a worker that is sending it.
    Sending,
    /// Accepted by the receiver.
    Sent,
    /// Given up: attempts used up, or refused for good.
    Failed,
}

impl DeliveryState {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
        }
    }

    /// Every state, in the order a delivery goes through them.
    pub const ALL: [DeliveryState; 4] = [
        DeliveryState::Queued,
        DeliveryState::Sending,
        DeliveryState::Sent,
        DeliveryState::Failed,
    ];

    /// The state named `text` (as [`DeliveryState::as_str`] writes it).
    pub fn from_name(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    fn parse(text: &str) -> Result<Self> {
        Self::from_name(text).ok_or_else(|| StoreError::Corrupt(format!("delivery state `{text}`")))
    }
}

/// One message to one receiver.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    /// Its id.
    pub id: i64,
    /// The receiver's idempotency key (`webhook-id`), the same on every attempt.
    pub message_id: String,
    /// The kind of receiver: `webhook` or `telegram`.
    pub channel: String,
    /// The receiver: a webhook's or a channel's id.
    pub target_id: i64,
    /// What happened.
    pub event: Event,
    /// The change-stream entry of the publication that wrote it.
    pub change_seq: u64,
    /// The release.
    pub release_id: ReleaseId,
    /// The translation.
    pub translation_id: TranslationId,
    /// The revision published (or, for a withdrawal, the one withdrawn).
    pub revision_id: RevisionId,
    /// When the publication happened.
    pub occurred_at: Timestamp,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far, counting one being made.
    pub attempts: u32,
    /// When it is (or was) due.
    pub next_attempt_at: Timestamp,
    /// What went wrong last, if anything did.
    pub last_error: Option<String>,
    /// When it was written.
    pub created_at: Timestamp,
    /// When the receiver accepted it.
    pub sent_at: Option<Timestamp>,
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryAttempt {
    /// When it was made.
    pub at: Timestamp,
    /// Whether the receiver accepted it.
    pub ok: bool,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// What happened, for the admin.
    pub detail: String,
    /// How long it took.
    pub duration_ms: i64,
}

/// How an attempt ended, as the sender reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver accepted the message (HTTP 2xx).
    Accepted {
        /// Its status.
        status: u16,
    },
    /// Worth trying again later: a timeout, a refused connection, a 5xx, a 429.
    Retry {
        /// The status, if the receiver answered.
        status: Option<u16>,
        /// What happened.
        detail: String,
    },
    /// Never worth trying again (the receiver answered 410 Gone, or the message cannot be
    /// built): the delivery fails at once.
    GiveUp {
        /// The status, if the receiver answered.
        status: Option<u16>,
        /// What happened.
        detail: String,
    },
}

/// Counts for `/metrics` and the admin page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxStats {
    /// Waiting (or being retried).
    pub queued: u64,
    /// Claimed by a worker now.
    pub sending: u64,
    /// Accepted.
    pub sent: u64,
    /// Given up.
    pub failed: u64,
    /// Age in seconds of the oldest delivery not yet sent or failed (0 when none).
    pub oldest_pending_secs: u64,
}

/// One attempt a worker finished, for [`Store::finish_attempts`].
#[derive(Debug, Clone, Copy)]
pub struct Finished<'a> {
    /// The claimed delivery.
    pub delivery: &'a Delivery,
    /// How the attempt ended.
    pub outcome: &'a Outcome,
    /// When it ended.
    pub at: Timestamp,
    /// How long it took.
    pub duration: SignedDuration,
}

/// Filters of the admin's delivery list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only this state.
    pub state: Option<DeliveryState>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

const DELIVERY_COLUMNS: &str = "id, message_id, channel, target_id, event, change_seq, release_id, \
     translation_id, revision_id, occurred_at, state, attempts, next_attempt_at, last_error, \
     created_at, sent_at";

fn delivery_from_row(row: &AnyRow) -> Result<Delivery> {
    let event: String = row.try_get("event")?;
    let sent_at: Option<i64> = row.try_get("sent_at")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        message_id: row.try_get("message_id")?,
        channel: row.try_get("channel")?,
        target_id: row.try_get("target_id")?,
        event: Event::from_stored(&event)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery event `{event}`")))?,
        change_seq: u64::try_from(row.try_get::<i64, _>("change_seq")?).unwrap_or_default(),
        release_id: row.try_get("release_id")?,
        translation_id: row.try_get("translation_id")?,
        revision_id: row.try_get("revision_id")?,
        occurred_at: instant(row.try_get("occurred_at")?)?,
        state: DeliveryState::parse(&row.try_get::<String, _>("state")?)?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or_default(),
        next_attempt_at: instant(row.try_get("next_attempt_at")?)?,
        last_error: row.try_get("last_error")?,
        created_at: instant(row.try_get("created_at")?)?,
        sent_at: sent_at.map(instant).transpose()?,
    })
}

fn webhook_from_row(row: &AnyRow) -> Result<Webhook> {
    Ok(Webhook {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        description: row.try_get("description")?,
        events: events_of(row)?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: instant(row.try_get("created_at")?)?,
    })
}

/// What a publication tells the outbox.
pub(crate) struct Publication<'a> {
    pub event: Event,
    pub release_id: ReleaseId,
    pub translation_id: TranslationId,
    pub revision_id: RevisionId,
    /// The translation's language: channels post only their own.
    pub lang: &'a str,
    /// The change-stream entry of the publication.
    pub seq: u64,
    pub at: Timestamp,
}

/// Writes one delivery per enabled webhook receiver and channel that takes the event (and,
/// for a channel, the language); called in the publication's transaction, after
/// `changes::record` gave it `seq`. Returns how many.
pub(crate) async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    publication: &Publication<'_>,
) -> Result<u64> {
    let Publication {
        event,
        release_id,
        translation_id,
        revision_id,
        lang,
        seq,
        at: now,
    } = *publication;
    let webhooks = sqlx::query(
        "INSERT INTO deliveries (message_id, channel, target_id, event, change_seq, release_id, \
         translation_id, revision_id, occurred_at, state, attempts, next_attempt_at, created_at) \
         SELECT $1 || w.id, 'webhook', w.id, $2, $3, $4, $5, $6, $7, 'queued', 0, $7, $7 \
         FROM webhooks w WHERE w.enabled = 1 AND (w.events = '' OR (',' || w.events || ',') LIKE $8)",
    )
    .bind(format!("msg_{seq}_webhook_"))
    .bind(event.as_str())
    .bind(seq as i64)
    .bind(release_id)
    .bind(translation_id)
    .bind(revision_id)
    .bind(micros(now))
    .bind(format!("%,{},%", event.as_str()))
    .execute(&mut **tx)
    .await?;
    let channels = sqlx::query(
        "INSERT INTO deliveries (message_id, channel, target_id, event, change_seq, release_id, \
         translation_id, revision_id, occurred_at, state, attempts, next_attempt_at, created_at) \
         SELECT $1 || c.id, c.kind, c.id, $2, $3, $4, $5, $6, $7, 'queued', 0, $7, $7 \
         FROM channels c WHERE c.enabled = 1 AND c.lang = $9 \
         AND (c.events = '' OR (',' || c.events || ',') LIKE $8)",
    )
    .bind(format!("msg_{seq}_channel_"))
    .bind(event.as_str())
    .bind(seq as i64)
    .bind(release_id)
    .bind(translation_id)
    .bind(revision_id)
    .bind(micros(now))
    .bind(format!("%,{},%", event.as_str()))
    .bind(lang)
    .execute(&mut **tx)
    .await?;
    let mails = enqueue_mails(tx, publication).await?;
    Ok(webhooks.rows_affected() + channels.rows_affected() + mails)
}

/// Writes the e-mail deliveries of a publication. A first publication goes to every confirmed
/// subscriber whose choices it matches (language, kind, a topic of the revision), due now for
/// those who want each release and at the next digest hour for the daily ones. A correction
/// or withdrawal goes to everyone who was sent the first version (and is still subscribed),
/// whatever their choices are now.
async fn enqueue_mails(
    tx: &mut Transaction<'static, Any>,
    publication: &Publication<'_>,
) -> Result<u64> {
    let settings = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(crate::catalog::SITE_SETTINGS_KEY)
        .fetch_optional(&mut **tx)
        .await?;
    let settings: pressroom_core::settings::SiteSettings = match settings {
        Some(row) => crate::rows::from_json(&row.try_get::<String, _>("value")?, "site settings")?,
        None => Default::default(),
    };
    let digest_at = next_digest_at(publication.at, &settings.tz());
    let audience = match publication.event {
        Event::Published => {
            "(s.langs = '' OR (',' || s.langs || ',') LIKE $9) \
             AND (s.kinds = '' OR (',' || s.kinds || ',') LIKE \
             (SELECT '%,' || r.kind || ',%' FROM releases r WHERE r.id = $4)) \
             AND (s.topics = '' OR EXISTS (SELECT 1 FROM revision_topics rt \
             JOIN topics t ON t.id = rt.topic_id WHERE rt.revision_id = $6 \
             AND (',' || s.topics || ',') LIKE ('%,' || t.slug || ',%')))"
        }
        _ => {
            "$9 <> '' AND EXISTS (SELECT 1 FROM deliveries d WHERE d.channel IN ('email', 'digest') \
             AND d.target_id = s.id AND d.translation_id = $5 \
             AND d.event = 'release.published' AND d.state <> 'failed')"
        }
    };
    let done = sqlx::query(sql(format!(
        "INSERT INTO deliveries (message_id, channel, target_id, event, change_seq, release_id, \
         translation_id, revision_id, occurred_at, state, attempts, next_attempt_at, created_at) \
         SELECT $1 || s.id, CASE WHEN s.frequency = 'daily' THEN 'digest' ELSE 'email' END, \
         s.id, $2, $3, $4, $5, $6, $7, 'queued', 0, \
         CASE WHEN s.frequency = 'daily' THEN $8 ELSE $7 END, $7 \
         FROM subscribers s WHERE s.state = 'confirmed' AND {audience}"
    )))
    .bind(format!("msg_{}_email_", publication.seq))
    .bind(publication.event.as_str())
    .bind(publication.seq as i64)
    .bind(publication.release_id)
    .bind(publication.translation_id)
    .bind(publication.revision_id)
    .bind(micros(publication.at))
    .bind(micros(digest_at))
    .bind(format!("%,{},%", publication.lang))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

fn check_new_webhook(new: &NewWebhook) -> Result<(String, String)> {
    let mut invalid = Invalid::default();
    let url = match check_endpoint_url(&new.url) {
        Ok(url) => url.to_string(),
        Err(message) => {
            invalid.push("url", message);
            String::new()
        }
    };
    if new.description.chars().count() > MAX_DESCRIPTION {
        invalid.push(
            "description",
            format!("keep the description under {MAX_DESCRIPTION} characters"),
        );
    }
    let events = events_column(&new.events, &mut invalid);
    invalid.into_result(())?;
    Ok((url, events))
}

impl Store {
    /// Adds a webhook receiver; returns it with its new signing secret, which is shown to the
    /// admin once to give to the receiver's owner.
    pub async fn add_webhook(
        &self,
        new: &NewWebhook,
        by: By<'_>,
    ) -> Result<(Webhook, WebhookSecret)> {
        let (url, events) = check_new_webhook(new)?;
        let mut bytes = vec![0_u8; 32];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| StoreError::Corrupt(format!("no random source for the secret: {e}")))?;
        let secret = WebhookSecret::from_bytes(bytes).map_err(StoreError::Corrupt)?;
        let now = Timestamp::now();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO webhooks (url, description, secret, events, enabled, created_at) \
             VALUES ($1, $2, $3, $4, 1, $5) RETURNING id",
        )
        .bind(&url)
        .bind(new.description.trim())
        .bind(secret.to_string())
        .bind(&events)
        .bind(micros(now))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                "webhook.add",
                format!("webhook:{id}"),
                json!({ "url": url, "events": events }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok((self.webhook(id).await?, secret))
    }

    /// One receiver.
    pub async fn webhook(&self, id: i64) -> Result<Webhook> {
        webhook_from_row(&self.receiver_row(Receiver::Webhook, id).await?)
    }

    /// Every receiver, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        let rows = self.receiver_rows(Receiver::Webhook).await?;
        rows.iter().map(webhook_from_row).collect()
    }

    /// A receiver's signing secret, for the sender.
    pub async fn webhook_secret(&self, id: i64) -> Result<WebhookSecret> {
        let secret = self.receiver_secret(Receiver::Webhook, id).await?;
        WebhookSecret::parse(&secret)
            .map_err(|e| StoreError::Corrupt(format!("webhook {id}'s secret: {e}")))
    }

    /// Switches a receiver on or off. Off, it gets no new deliveries; queued ones still go.
    /// `reason` says why when the receiver's own answer switched it off.
    pub async fn set_webhook_enabled(
        &self,
        id: i64,
        enabled: bool,
        reason: Option<&str>,
        by: By<'_>,
    ) -> Result<()> {
        self.switch_receiver(Receiver::Webhook, id, enabled, reason, by)
            .await
    }

    /// Claims up to `limit` due deliveries for `lease` (marks them `sending` and counts the
    /// attempt): first those whose earlier claim's lease ran out (a worker died mid-send),
    /// then queued ones in due order. Two statements rather than one `OR`, so each reads its
    /// rows in index order however many are due (one publication to ten thousand subscribers
    /// queues ten thousand rows due at the same instant).
    pub async fn claim_deliveries(
        &self,
        now: Timestamp,
        limit: i64,
        lease: SignedDuration,
    ) -> Result<Vec<Delivery>> {
        let skip_locked = match self.backend {
            // The write lock taken by `write_tx` already keeps other claimers out.
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let mut tx = self.write_tx().await?;
        let mut claimed = Vec::new();
        for due in [
            "state = 'sending' AND lease_until < $2 ORDER BY lease_until, id",
            "state = 'queued' AND next_attempt_at <= $2 ORDER BY next_attempt_at, id",
        ] {
            let left = limit - claimed.len() as i64;
            if left <= 0 {
                break;
            }
            let rows = sqlx::query(sql(format!(
                "UPDATE deliveries SET state = 'sending', lease_until = $1, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM deliveries WHERE {due} LIMIT $3{skip_locked}) \
                 RETURNING {DELIVERY_COLUMNS}"
            )))
            .bind(micros(now + lease))
            .bind(micros(now))
            .bind(left)
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                claimed.push(delivery_from_row(row)?);
            }
        }
        tx.commit().await?;
        claimed.sort_by_key(|d| (d.next_attempt_at, d.id));
        Ok(claimed)
    }

    /// Claims the rest of a daily subscriber's due digest deliveries, to go in the same mail
    /// as one already claimed: `subscriber`'s `digest` rows that are queued and due (or whose
    /// claim lapsed), except those in `claimed`.
    pub async fn claim_digest(
        &self,
        subscriber: i64,
        claimed: &[i64],
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<Vec<Delivery>> {
        let skip_locked = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        let except = if claimed.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = claimed.iter().map(i64::to_string).collect();
            format!(" AND id NOT IN ({})", ids.join(", "))
        };
        let mut tx = self.write_tx().await?;
        let rows = sqlx::query(sql(format!(
            "UPDATE deliveries SET state = 'sending', lease_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM deliveries WHERE channel = 'digest' AND target_id = $3 \
             AND ((state = 'queued' AND next_attempt_at <= $2) OR (state = 'sending' AND lease_until < $2)){except} \
             ORDER BY id{skip_locked}) RETURNING {DELIVERY_COLUMNS}"
        )))
        .bind(micros(now + lease))
        .bind(micros(now))
        .bind(subscriber)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut claimed = rows
            .iter()
            .map(delivery_from_row)
            .collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|d| d.id);
        Ok(claimed)
    }

    /// Records how an attempt at a claimed delivery ended, and what comes next: sent, queued
    /// again after the backoff, or failed (`core::outbox::after_failure`). Returns the
    /// delivery's new state.
    pub async fn finish_attempt(
        &self,
        delivery: &Delivery,
        outcome: &Outcome,
        at: Timestamp,
        duration: SignedDuration,
    ) -> Result<DeliveryState> {
        let done = [Finished {
            delivery,
            outcome,
            at,
            duration,
        }];
        Ok(self.finish_attempts(&done).await?[0])
    }

    /// [`Store::finish_attempt`] for a worker's whole round in one transaction: a round of
    /// mails costs one commit, not one per subscriber. Returns the new states in order.
    pub async fn finish_attempts(&self, finished: &[Finished<'_>]) -> Result<Vec<DeliveryState>> {
        let mut states = Vec::with_capacity(finished.len());
        let mut tx = self.write_tx().await?;
        for done in finished {
            let (delivery, at) = (done.delivery, done.at);
            let (state, next, status, detail) = match done.outcome {
                Outcome::Accepted { status } => (
                    DeliveryState::Sent,
                    delivery.next_attempt_at,
                    Some(*status),
                    format!("accepted with HTTP {status}"),
                ),
                Outcome::Retry { status, detail } | Outcome::GiveUp { status, detail } => {
                    let retryable = matches!(done.outcome, Outcome::Retry { .. });
                    match after_failure(delivery.attempts, retryable) {
                        Some(delay) => (DeliveryState::Queued, at + delay, *status, detail.clone()),
                        None => (
                            DeliveryState::Failed,
                            delivery.next_attempt_at,
                            *status,
                            detail.clone(),
                        ),
                    }
                }
            };
            sqlx::query(
                "UPDATE deliveries SET state = $1, next_attempt_at = $2, lease_until = NULL, \
                 last_error = $3, sent_at = $4 WHERE id = $5",
            )
            .bind(state.as_str())
            .bind(micros(next))
            .bind((state != DeliveryState::Sent).then_some(detail.as_str()))
            .bind((state == DeliveryState::Sent).then(|| micros(at)))
            .bind(delivery.id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO delivery_attempts (delivery_id, at, ok, status, detail, duration_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(delivery.id)
            .bind(micros(at))
            .bind(i64::from(state == DeliveryState::Sent))
            .bind(status.map(i64::from))
            .bind(&detail)
            .bind(done.duration.as_millis() as i64)
            .execute(&mut *tx)
            .await?;
            states.push(state);
        }
        tx.commit().await?;
        Ok(states)
    }

    /// Queues a sent or failed delivery again, due now, with a fresh set of attempts: the
    /// admin's "Resend". The message keeps its id, so the receiver can tell it is a repeat.
    pub async fn resend_delivery(&self, id: i64, by: By<'_>) -> Result<()> {
        let now = Timestamp::now();
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = $1, \
             lease_until = NULL WHERE id = $2 AND state IN ('sent', 'failed')",
        )
        .bind(micros(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists = sqlx::query("SELECT state FROM deliveries WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match exists {
                None => StoreError::NotFound(format!("delivery {id}")),
                Some(_) => Invalid::field(
                    "delivery",
                    "it is still queued or being sent; only a sent or failed delivery can be resent",
                )
                .into(),
            });
        }
        append(
            &mut *tx,
            NewAuditEntry::new(&by, "delivery.resend", format!("delivery:{id}"), json!({})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deliveries, newest first.
    pub async fn deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<Delivery>> {
        sqlx::query(sql(format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE ($1 = '' OR state = $1) \
             ORDER BY id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(filter.state.map_or("", DeliveryState::as_str))
        .bind(filter.limit)
        .bind(filter.offset)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(delivery_from_row)
        .collect()
    }

    /// One delivery with its attempts, oldest first.
    pub async fn delivery(&self, id: i64) -> Result<(Delivery, Vec<DeliveryAttempt>)> {
        let row = sqlx::query(sql(format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("delivery {id}")))?;
        let attempts = sqlx::query(
            "SELECT at, ok, status, detail, duration_ms FROM delivery_attempts \
             WHERE delivery_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(DeliveryAttempt {
                at: instant(r.try_get("at")?)?,
                ok: r.try_get::<i64, _>("ok")? != 0,
                status: r
                    .try_get::<Option<i64>, _>("status")?
                    .and_then(|s| u16::try_from(s).ok()),
                detail: r.try_get("detail")?,
                duration_ms: r.try_get("duration_ms")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok((delivery_from_row(&row)?, attempts))
    }

    /// When the next queued delivery is due, if any: how long a worker may sleep.
    pub async fn next_delivery_due(&self) -> Result<Option<Timestamp>> {
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN state = 'queued' THEN next_attempt_at ELSE lease_until END) AS due \
             FROM deliveries WHERE state IN ('queued', 'sending')",
        )
        .fetch_one(&self.pool)
        .await?;
        row.try_get::<Option<i64>, _>("due")?
            .map(instant)
            .transpose()
    }

    /// Counts per state and the age of the oldest pending delivery.
    pub async fn outbox_stats(&self, now: Timestamp) -> Result<OutboxStats> {
        let rows = sqlx::query(
            "SELECT state, COUNT(*) AS n, MIN(created_at) AS oldest FROM deliveries GROUP BY state",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut stats = OutboxStats::default();
        let mut oldest: Option<i64> = None;
        for row in &rows {
            let n = u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or_default();
            let state = DeliveryState::parse(&row.try_get::<String, _>("state")?)?;
            match state {
                DeliveryState::Queued => stats.queued = n,
                DeliveryState::Sending => stats.sending = n,
                DeliveryState::Sent => stats.sent = n,
                DeliveryState::Failed => stats.failed = n,
            }
            if matches!(state, DeliveryState::Queued | DeliveryState::Sending) {
                let at: i64 = row.try_get("oldest")?;
                oldest = Some(oldest.map_or(at, |o| o.min(at)));
            }
        }
        if let Some(at) = oldest {
            stats.oldest_pending_secs =
                u64::try_from((micros(now) - at) / 1_000_000).unwrap_or_default();
        }
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_receiver_is_checked_field_by_field() {
        let bad = NewWebhook {
            url: "ftp://x".into(),
            description: "x".repeat(201),
            events: vec!["release.deleted".into()],
        };
        let Err(StoreError::Invalid(invalid)) = check_new_webhook(&bad) else {
            panic!("refused");
        };
        let fields: Vec<&str> = invalid.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["url", "description", "events"]);
        let good = NewWebhook {
            url: " https://hooks.example.org/in ".into(),
            description: "Newsroom".into(),
            events: vec!["release.withdrawn".into(), "release.published".into()],
        };
        assert_eq!(
            check_new_webhook(&good).unwrap(),
            (
                "https://hooks.example.org/in".to_owned(),
                "release.published,release.withdrawn".to_owned()
            )
        );
    }
}
