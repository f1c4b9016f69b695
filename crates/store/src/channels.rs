//! Messaging channels of the outbox: a Telegram channel in one language, posted to through the
//! Bot API. A publication in that language writes one delivery per channel that takes the
//! event (`outbox::enqueue`); the web crate's sender posts it.

use jiff::Timestamp;
use pressroom_core::Invalid;
use pressroom_core::outbox::{check_bot_token, check_chat_id, check_endpoint_url};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{NewAuditEntry, append};
use crate::receivers::{Receiver, events_column, events_of};
use crate::rows::{instant, micros};
use crate::{By, Result, Store};

/// Where the Bot API is unless a channel says otherwise.
pub const TELEGRAM_API: &str = "https://api.telegram.org";

/// A channel an admin configured. The bot token is not in it: only the sender reads that
/// ([`Store::channel_token`]), so no page can show it by mistake.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Channel {
    /// Its id.
    pub id: i64,
    /// `telegram`.
    pub kind: String,
    /// What the admin called it.
    pub name: String,
    /// The chat posted to (`@name` or a numeric id).
    pub chat_id: String,
    /// The Bot API's address.
    pub api_base: String,
    /// The one language whose translations it posts.
    pub lang: String,
    /// The events it posts; empty means every event.
    pub events: Vec<String>,
    /// Whether new deliveries are written for it.
    pub enabled: bool,
    /// Why the Bot API's answer switched it off, if it did.
    pub disabled_reason: Option<String>,
    /// When it was added.
    pub created_at: Timestamp,
}

/// What an admin fills in to add a Telegram channel.
#[derive(Debug, Clone, Default)]
pub struct NewChannel {
    /// A name for the list.
    pub name: String,
    /// `@channelname` or a numeric chat id.
    pub chat_id: String,
    /// The bot's token (the bot must be an administrator of the channel).
    pub token: String,
    /// The Bot API's address; empty for [`TELEGRAM_API`].
    pub api_base: String,
    /// The language it posts.
    pub lang: String,
    /// Event names; empty means every event.
    pub events: Vec<String>,
}

fn channel_from_row(row: &AnyRow) -> Result<Channel> {
    Ok(Channel {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        name: row.try_get("name")?,
        chat_id: row.try_get("chat_id")?,
        api_base: row.try_get("api_base")?,
        lang: row.try_get("lang")?,
        events: events_of(row)?,
        enabled: row.try_get::<i64, _>("enabled")? != 0,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: instant(row.try_get("created_at")?)?,
    })
}

impl Store {
    /// Adds a Telegram channel.
    pub async fn add_channel(&self, new: &NewChannel, by: By<'_>) -> Result<Channel> {
        let mut invalid = Invalid::default();
        if new.name.trim().is_empty() || new.name.chars().count() > 200 {
            invalid.push("name", "give the channel a name of up to 200 characters");
        }
        if let Err(message) = check_chat_id(&new.chat_id) {
            invalid.push("chat_id", message);
        }
        if let Err(message) = check_bot_token(&new.token) {
            invalid.push("token", message);
        }
        let api_base = match new.api_base.trim() {
            "" => TELEGRAM_API.to_owned(),
            typed => match check_endpoint_url(typed) {
                Ok(url) => url.as_str().trim_end_matches('/').to_owned(),
                Err(message) => {
                    invalid.push("api_base", message);
                    String::new()
                }
            },
        };
        let languages: Vec<String> = self
            .site_settings()
            .await?
            .languages
            .into_iter()
            .map(|l| l.code)
            .collect();
        if !languages.iter().any(|l| l == new.lang.trim()) {
            invalid.push(
                "lang",
                format!(
                    "choose one of the site's languages: {}",
                    languages.join(", ")
                ),
            );
        }
        let events = events_column(&new.events, &mut invalid);
        invalid.into_result(())?;
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO channels (kind, name, chat_id, token, api_base, lang, events, enabled, created_at) \
             VALUES ('telegram', $1, $2, $3, $4, $5, $6, 1, $7) RETURNING id",
        )
        .bind(new.name.trim())
        .bind(new.chat_id.trim())
        .bind(new.token.trim())
        .bind(&api_base)
        .bind(new.lang.trim())
        .bind(&events)
        .bind(micros(Timestamp::now()))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                "channel.add",
                format!("channel:{id}"),
                json!({ "chat": new.chat_id.trim(), "lang": new.lang.trim(), "events": events }),
            ),
        )
        .await?;
        tx.commit().await?;
        self.channel(id).await
    }

    /// One channel.
    pub async fn channel(&self, id: i64) -> Result<Channel> {
        channel_from_row(&self.receiver_row(Receiver::Channel, id).await?)
    }

    /// Every channel, oldest first.
    pub async fn channels(&self) -> Result<Vec<Channel>> {
        let rows = self.receiver_rows(Receiver::Channel).await?;
        rows.iter().map(channel_from_row).collect()
    }

    /// A channel's bot token, for the sender.
    pub async fn channel_token(&self, id: i64) -> Result<String> {
        self.receiver_secret(Receiver::Channel, id).await
    }

    /// Switches a channel on or off; `reason` when the Bot API's answer did it.
    pub async fn set_channel_enabled(
        &self,
        id: i64,
        enabled: bool,
        reason: Option<&str>,
        by: By<'_>,
    ) -> Result<()> {
        self.switch_receiver(Receiver::Channel, id, enabled, reason, by)
            .await
    }
}
