//! E-mail subscribers: the public form's double opt-in, the links in every mail (manage,
//! confirm, unsubscribe, each carrying the subscriber's secret token), and the admin's export
//! and erasure of one subscriber's personal data.
//!
//! Mails about the subscription itself are deliveries of [`Event::Subscription`] on the
//! `subscription` channel, written in the transaction that records the request, so a
//! confirmation mail is retried like any other message. The sender decides at sending time
//! which mail it is: a pending subscriber gets the confirmation link, a confirmed one the
//! "already subscribed" note with the link to manage — the form's answer never says which,
//! so nobody learns from it whether an address is subscribed.
//!
//! Releases reach subscribers through `outbox::enqueue`, which selects the matching
//! confirmed subscribers in the publication's transaction.

use jiff::Timestamp;
use pressroom_core::Invalid;
use pressroom_core::outbox::Event;
use pressroom_core::subscription::{Frequency, check_email, may_mail};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::audit::{NewAuditEntry, append};
use crate::rows::{instant, micros, sql};
use crate::{By, Result, Store, StoreError, random_token};

/// The delivery channels that carry mail to subscribers: a release per mail, a release in a
/// daily digest, and mails about the subscription.
pub const MAIL_CHANNELS: [&str; 3] = ["email", "digest", "subscription"];

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberState {
    /// Waiting for the address's owner to follow the confirmation link.
    Pending,
    /// Confirmed: receives releases.
    Confirmed,
}

impl SubscriberState {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriberState::Pending => "pending",
            SubscriberState::Confirmed => "confirmed",
        }
    }

    fn parse(text: &str) -> Result<Self> {
        match text {
            "pending" => Ok(SubscriberState::Pending),
            "confirmed" => Ok(SubscriberState::Confirmed),
            other => Err(StoreError::Corrupt(format!("subscriber state `{other}`"))),
        }
    }
}

/// What a subscriber wants to receive.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Choices {
    /// The releases' languages (codes); empty means every language.
    pub langs: Vec<String>,
    /// Kinds (keys); empty means every kind.
    pub kinds: Vec<String>,
    /// Topics (slugs); empty means every topic, and releases without one.
    pub topics: Vec<String>,
    /// A mail per release, or a daily digest.
    pub frequency: Frequency,
}

/// One subscriber.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Subscriber {
    /// Its id (what deliveries and the audit log name it by).
    pub id: i64,
    /// The address.
    pub email: String,
    /// The site language it subscribed in: its mails' and pages' language.
    pub lang: String,
    /// What it receives.
    pub choices: Choices,
    /// Pending or confirmed.
    pub state: SubscriberState,
    /// When it first asked.
    pub created_at: Timestamp,
    /// When it confirmed.
    pub confirmed_at: Option<Timestamp>,
    /// The secret of its links; never shown on an admin page.
    #[serde(skip)]
    pub token: String,
}

/// One subscriber of a list being imported.
#[derive(Debug, Clone)]
pub struct SubscriberEntry {
    /// Where it came from, for error messages: `line 12`.
    pub at: String,
    /// The address.
    pub email: String,
    /// The site language of its mails and pages.
    pub lang: String,
    /// What it receives.
    pub choices: Choices,
}

/// Counts for the admin page and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SubscriberCounts {
    /// Not confirmed yet.
    pub pending: u64,
    /// Confirmed, a mail per release.
    pub immediate: u64,
    /// Confirmed, a daily digest.
    pub daily: u64,
}

const COLUMNS: &str = "id, email, token, lang, langs, kinds, topics, frequency, state, created_at, \
     confirmed_at, mailed_at, mail_count, mail_window_at";

fn list(column: &str) -> Vec<String> {
    column
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn subscriber_from_row(row: &AnyRow) -> Result<Subscriber> {
    let frequency: String = row.try_get("frequency")?;
    Ok(Subscriber {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        lang: row.try_get("lang")?,
        choices: Choices {
            langs: list(&row.try_get::<String, _>("langs")?),
            kinds: list(&row.try_get::<String, _>("kinds")?),
            topics: list(&row.try_get::<String, _>("topics")?),
            frequency: Frequency::from_name(&frequency)
                .ok_or_else(|| StoreError::Corrupt(format!("frequency `{frequency}`")))?,
        },
        state: SubscriberState::parse(&row.try_get::<String, _>("state")?)?,
        created_at: instant(row.try_get("created_at")?)?,
        confirmed_at: row
            .try_get::<Option<i64>, _>("confirmed_at")?
            .map(instant)
            .transpose()?,
        token: row.try_get("token")?,
    })
}

/// Writes a mail about the subscription for `subscriber`, due now.
async fn enqueue_subscription_mail(
    tx: &mut Transaction<'static, Any>,
    subscriber: i64,
    now: Timestamp,
) -> Result<()> {
    let token = random_token();
    sqlx::query(
        "INSERT INTO deliveries (message_id, channel, target_id, event, change_seq, release_id, \
         translation_id, revision_id, occurred_at, state, attempts, next_attempt_at, created_at) \
         VALUES ($1, 'subscription', $2, $3, 0, 0, 0, 0, $4, 'queued', 0, $4, $4)",
    )
    .bind(format!("msg_subscription_{}", &token[..24]))
    .bind(subscriber)
    .bind(Event::Subscription.as_str())
    .bind(micros(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes a subscriber and every delivery to it (with their attempts).
async fn delete_subscriber(tx: &mut Transaction<'static, Any>, id: i64) -> Result<bool> {
    let channels = MAIL_CHANNELS.map(|c| format!("'{c}'")).join(", ");
    sqlx::query(sql(format!(
        "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries \
         WHERE channel IN ({channels}) AND target_id = $1)"
    )))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(sql(format!(
        "DELETE FROM deliveries WHERE channel IN ({channels}) AND target_id = $1"
    )))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    let gone = sqlx::query("DELETE FROM subscribers WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(gone.rows_affected() > 0)
}

/// What choices are checked against: the site's languages, kinds and topics.
struct Known {
    langs: Vec<String>,
    kinds: Vec<String>,
    topics: Vec<String>,
}

impl Known {
    /// Checks `choices`; returns them sorted and without repeats, errors into `invalid`.
    fn check(&self, choices: &Choices, invalid: &mut Invalid) -> Choices {
        let mut checked = |names: &[String], field: &str, known: &[String]| {
            let mut out: Vec<String> = Vec::new();
            for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                if !known.iter().any(|k| k == name) {
                    invalid.push(
                        field,
                        format!("`{name}` is not one of this site's {field}; pick from the list"),
                    );
                } else if !out.iter().any(|o| o == name) {
                    out.push(name.to_owned());
                }
            }
            out.sort();
            out
        };
        Choices {
            langs: checked(&choices.langs, "languages", &self.langs),
            kinds: checked(&choices.kinds, "kinds", &self.kinds),
            topics: checked(&choices.topics, "topics", &self.topics),
            frequency: choices.frequency,
        }
    }
}

impl Store {
    async fn known(&self) -> Result<Known> {
        Ok(Known {
            langs: self
                .site_settings()
                .await?
                .languages
                .into_iter()
                .map(|l| l.code)
                .collect(),
            kinds: self
                .list_kinds()
                .await?
                .into_iter()
                .map(|k| k.key)
                .collect(),
            topics: self
                .list_topics()
                .await?
                .into_iter()
                .map(|t| t.slug)
                .collect(),
        })
    }

    /// The public form: asks for `email` to receive `choices`, in the site language `lang`.
    /// A new or still pending address gets (or gets again) the confirmation mail; a confirmed
    /// one gets the "already subscribed" mail and its choices stay as they were (only its
    /// owner can change them, through the link). Either mail is sent only within the
    /// per-address allowance (`core::subscription::may_mail`). Returns whether a mail was
    /// written — for tests and logs, never for the form's answer.
    pub async fn request_subscription(
        &self,
        email: &str,
        lang: &str,
        choices: &Choices,
    ) -> Result<bool> {
        let mut invalid = Invalid::default();
        let address = match check_email(email) {
            Ok(address) => Some(address),
            Err(message) => {
                invalid.push("email", message);
                None
            }
        };
        let known = self.known().await?;
        if !known.langs.iter().any(|l| l == lang) {
            invalid.push("lang", format!("`{lang}` is not a language of this site"));
        }
        let choices = known.check(choices, &mut invalid);
        invalid.into_result(())?;
        let Some((email, key)) = address else {
            return Ok(false);
        };
        let now = Timestamp::now();
        let mut tx = self.write_tx().await?;
        let found = sqlx::query(sql(format!(
            "SELECT {COLUMNS} FROM subscribers WHERE email_key = $1"
        )))
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
        let (id, allowance) = match &found {
            None => {
                let row = sqlx::query(
                    "INSERT INTO subscribers (email, email_key, token, lang, langs, kinds, topics, \
                     frequency, state, created_at, mailed_at, mail_count, mail_window_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9, 1, $9) RETURNING id",
                )
                .bind(&email)
                .bind(&key)
                .bind(random_token())
                .bind(lang)
                .bind(choices.langs.join(","))
                .bind(choices.kinds.join(","))
                .bind(choices.topics.join(","))
                .bind(choices.frequency.as_str())
                .bind(micros(now))
                .fetch_one(&mut *tx)
                .await?;
                (row.try_get::<i64, _>("id")?, Some((1, now)))
            }
            Some(row) => {
                let subscriber = subscriber_from_row(row)?;
                let mailed_at = row
                    .try_get::<Option<i64>, _>("mailed_at")?
                    .map(instant)
                    .transpose()?;
                let count = u32::try_from(row.try_get::<i64, _>("mail_count")?).unwrap_or(0);
                let window = instant(row.try_get("mail_window_at")?)?;
                if subscriber.state == SubscriberState::Pending {
                    sqlx::query(
                        "UPDATE subscribers SET lang = $1, langs = $2, kinds = $3, topics = $4, \
                         frequency = $5 WHERE id = $6",
                    )
                    .bind(lang)
                    .bind(choices.langs.join(","))
                    .bind(choices.kinds.join(","))
                    .bind(choices.topics.join(","))
                    .bind(choices.frequency.as_str())
                    .bind(subscriber.id)
                    .execute(&mut *tx)
                    .await?;
                }
                let allowance = may_mail(mailed_at, count, window, now);
                if let Some((count, window)) = allowance {
                    sqlx::query(
                        "UPDATE subscribers SET mailed_at = $1, mail_count = $2, \
                         mail_window_at = $3 WHERE id = $4",
                    )
                    .bind(micros(now))
                    .bind(i64::from(count))
                    .bind(micros(window))
                    .bind(subscriber.id)
                    .execute(&mut *tx)
                    .await?;
                }
                (subscriber.id, allowance)
            }
        };
        if allowance.is_some() {
            enqueue_subscription_mail(&mut tx, id, now).await?;
        }
        tx.commit().await?;
        if allowance.is_some() {
            self.notify_outbox();
        }
        Ok(allowance.is_some())
    }

    /// The subscriber whose link carries `token`.
    pub async fn subscriber_by_token(&self, token: &str) -> Result<Subscriber> {
        let row = sqlx::query(sql(format!(
            "SELECT {COLUMNS} FROM subscribers WHERE token = $1"
        )))
        .bind(token)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound("subscription".to_owned()))?;
        subscriber_from_row(&row)
    }

    /// A subscriber by id, for the sender and the admin.
    pub async fn subscriber(&self, id: i64) -> Result<Subscriber> {
        let row = sqlx::query(sql(format!(
            "SELECT {COLUMNS} FROM subscribers WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("subscriber {id}")))?;
        subscriber_from_row(&row)
    }

    /// The subscriber of an address, for the admin's lookup.
    pub async fn find_subscriber(&self, email: &str) -> Result<Option<Subscriber>> {
        let (_, key) = check_email(email).map_err(|m| Invalid::field("email", m))?;
        sqlx::query(sql(format!(
            "SELECT {COLUMNS} FROM subscribers WHERE email_key = $1"
        )))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(subscriber_from_row)
        .transpose()
    }

    /// Confirms the subscription of the link's `token` (the double opt-in's second step);
    /// confirming twice is harmless.
    pub async fn confirm_subscription(&self, token: &str) -> Result<Subscriber> {
        let subscriber = self.subscriber_by_token(token).await?;
        if subscriber.state == SubscriberState::Pending {
            sqlx::query(
                "UPDATE subscribers SET state = 'confirmed', confirmed_at = $1 WHERE id = $2 \
                 AND state = 'pending'",
            )
            .bind(micros(Timestamp::now()))
            .bind(subscriber.id)
            .execute(&self.pool)
            .await?;
        }
        self.subscriber_by_token(token).await
    }

    /// Changes what the link's subscriber receives.
    pub async fn update_subscription(&self, token: &str, choices: &Choices) -> Result<Subscriber> {
        let subscriber = self.subscriber_by_token(token).await?;
        let mut invalid = Invalid::default();
        let choices = self.known().await?.check(choices, &mut invalid);
        invalid.into_result(())?;
        sqlx::query(
            "UPDATE subscribers SET langs = $1, kinds = $2, topics = $3, frequency = $4 \
             WHERE id = $5",
        )
        .bind(choices.langs.join(","))
        .bind(choices.kinds.join(","))
        .bind(choices.topics.join(","))
        .bind(choices.frequency.as_str())
        .bind(subscriber.id)
        .execute(&self.pool)
        .await?;
        self.subscriber_by_token(token).await
    }

    /// Ends the link's subscription: the subscriber and its deliveries are deleted, so the
    /// address is kept nowhere. Returns whether there was one (unsubscribing twice is fine).
    pub async fn unsubscribe(&self, token: &str) -> Result<bool> {
        let Ok(subscriber) = self.subscriber_by_token(token).await else {
            return Ok(false);
        };
        let mut tx = self.write_tx().await?;
        let gone = delete_subscriber(&mut tx, subscriber.id).await?;
        tx.commit().await?;
        Ok(gone)
    }

    /// Everything stored about one subscriber, for an admin answering a request for it: the
    /// subscription and every delivery to it.
    pub async fn export_subscriber(&self, id: i64) -> Result<serde_json::Value> {
        let subscriber = self.subscriber(id).await?;
        let channels = MAIL_CHANNELS.map(|c| format!("'{c}'")).join(", ");
        let deliveries = sqlx::query(sql(format!(
            "SELECT id, event, release_id, translation_id, state, attempts, created_at, sent_at \
             FROM deliveries WHERE channel IN ({channels}) AND target_id = $1 ORDER BY id"
        )))
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let sent_at = r
                .try_get::<Option<i64>, _>("sent_at")?
                .map(instant)
                .transpose()?;
            Ok(json!({
                "id": r.try_get::<i64, _>("id")?,
                "event": r.try_get::<String, _>("event")?,
                "release_id": r.try_get::<i64, _>("release_id")?,
                "translation_id": r.try_get::<i64, _>("translation_id")?,
                "state": r.try_get::<String, _>("state")?,
                "attempts": r.try_get::<i64, _>("attempts")?,
                "written_at": instant(r.try_get("created_at")?)?.to_string(),
                "sent_at": sent_at.map(|t| t.to_string()),
            }))
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(json!({ "subscriber": subscriber, "deliveries": deliveries }))
    }

    /// Erases one subscriber at an admin's request: its row and its deliveries. The audit log
    /// records the erasure by id only, so the address is not kept there either.
    pub async fn erase_subscriber(&self, id: i64, by: By<'_>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        if !delete_subscriber(&mut tx, id).await? {
            return Err(StoreError::NotFound(format!("subscriber {id}")));
        }
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                "subscriber.erase",
                format!("subscriber:{id}"),
                json!({}),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Subscribers by state and frequency.
    pub async fn subscriber_counts(&self) -> Result<SubscriberCounts> {
        let rows = sqlx::query(
            "SELECT state, frequency, COUNT(*) AS n FROM subscribers GROUP BY state, frequency",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut counts = SubscriberCounts::default();
        for row in &rows {
            let n = u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or_default();
            let state: String = row.try_get("state")?;
            let frequency: String = row.try_get("frequency")?;
            match (state.as_str(), frequency.as_str()) {
                ("pending", _) => counts.pending += n,
                (_, "daily") => counts.daily += n,
                _ => counts.immediate += n,
            }
        }
        Ok(counts)
    }

    /// Forgets subscriptions never confirmed whose last confirmation mail (or, when none
    /// could be sent, the request) is older than `before`.
    pub async fn prune_pending_subscribers(&self, before: Timestamp) -> Result<u64> {
        let ids = sqlx::query(
            "SELECT id FROM subscribers WHERE state = 'pending' \
             AND COALESCE(mailed_at, created_at) < $1",
        )
        .bind(micros(before))
        .fetch_all(&self.pool)
        .await?;
        let mut pruned = 0;
        for row in ids {
            let mut tx = self.write_tx().await?;
            pruned += u64::from(delete_subscriber(&mut tx, row.try_get("id")?).await?);
            tx.commit().await?;
        }
        Ok(pruned)
    }

    /// Adds confirmed subscribers in bulk — a list moved from an earlier system, whose
    /// owners already opted in there — skipping addresses already subscribed. Returns how
    /// many were added. Each entry is checked as the public form checks it; one bad entry
    /// adds nothing, and every error names its entry's `at`.
    pub async fn import_subscribers(&self, entries: &[SubscriberEntry]) -> Result<u64> {
        let mut invalid = Invalid::default();
        let known = self.known().await?;
        let mut checked = Vec::with_capacity(entries.len());
        for entry in entries {
            let at = &entry.at;
            match check_email(&entry.email) {
                Ok((email, key)) => {
                    let lang = &entry.lang;
                    if !known.langs.iter().any(|l| l == lang) {
                        invalid.push(
                            "lang",
                            format!("{at}: `{lang}` is not a language of this site"),
                        );
                    }
                    let mut errors = Invalid::default();
                    let choices = known.check(&entry.choices, &mut errors);
                    for error in errors.errors {
                        invalid.push(&error.field, format!("{at}: {}", error.message));
                    }
                    checked.push((email, key, lang, choices));
                }
                Err(message) => invalid.push("email", format!("{at}: {message}")),
            }
        }
        invalid.into_result(())?;
        let now = micros(Timestamp::now());
        let mut added = 0;
        let mut tx = self.write_tx().await?;
        for (email, key, lang, choices) in checked {
            let done = sqlx::query(
                "INSERT INTO subscribers (email, email_key, token, lang, langs, kinds, topics, \
                 frequency, state, created_at, confirmed_at, mail_count, mail_window_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'confirmed', $9, $9, 0, $9) \
                 ON CONFLICT (email_key) DO NOTHING",
            )
            .bind(email)
            .bind(key)
            .bind(random_token())
            .bind(lang)
            .bind(choices.langs.join(","))
            .bind(choices.kinds.join(","))
            .bind(choices.topics.join(","))
            .bind(choices.frequency.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            added += done.rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }
}
