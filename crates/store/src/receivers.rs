//! What webhook receivers and messaging channels share in storage: one row each, a secret the
//! sender alone reads (a signing secret, a bot token), the events they take, and an on/off
//! switch that is audited.

use pressroom_core::Invalid;
use pressroom_core::outbox::Event;
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{NewAuditEntry, append};
use crate::rows::sql;
use crate::{By, Result, Store, StoreError};

/// A kind of configured receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Receiver {
    /// A row of `webhooks`.
    Webhook,
    /// A row of `channels`.
    Channel,
}

impl Receiver {
    fn table(self) -> &'static str {
        match self {
            Receiver::Webhook => "webhooks",
            Receiver::Channel => "channels",
        }
    }

    /// The word in errors and audit subjects (`webhook:3`).
    fn noun(self) -> &'static str {
        match self {
            Receiver::Webhook => "webhook",
            Receiver::Channel => "channel",
        }
    }

    fn secret_column(self) -> &'static str {
        match self {
            Receiver::Webhook => "secret",
            Receiver::Channel => "token",
        }
    }
}

/// The events as stored: known names only, sorted, comma-separated; errors go to `invalid`.
pub(crate) fn events_column(names: &[String], invalid: &mut Invalid) -> String {
    let mut events = Vec::new();
    for name in names {
        match name.parse::<Event>() {
            Ok(event) if !events.contains(&event) => events.push(event),
            Ok(_) => {}
            Err(message) => invalid.push("events", message),
        }
    }
    events.sort();
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// The events a receiver's row takes; empty means every event.
pub(crate) fn events_of(row: &AnyRow) -> Result<Vec<String>> {
    let events: String = row.try_get("events")?;
    Ok(events
        .split(',')
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect())
}

impl Store {
    pub(crate) async fn receiver_row(&self, receiver: Receiver, id: i64) -> Result<AnyRow> {
        sqlx::query(sql(format!(
            "SELECT * FROM {} WHERE id = $1",
            receiver.table()
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("{} {id}", receiver.noun())))
    }

    /// Every row, oldest first.
    pub(crate) async fn receiver_rows(&self, receiver: Receiver) -> Result<Vec<AnyRow>> {
        Ok(sqlx::query(sql(format!(
            "SELECT * FROM {} ORDER BY id",
            receiver.table()
        )))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The secret only the sender reads.
    pub(crate) async fn receiver_secret(&self, receiver: Receiver, id: i64) -> Result<String> {
        let row = self.receiver_row(receiver, id).await?;
        Ok(row.try_get(receiver.secret_column())?)
    }

    /// Switches a receiver on or off (off: no new deliveries; queued ones still go), with
    /// `reason` when the receiver's own answer did it, and an audit entry.
    pub(crate) async fn switch_receiver(
        &self,
        receiver: Receiver,
        id: i64,
        enabled: bool,
        reason: Option<&str>,
        by: By<'_>,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(sql(format!(
            "UPDATE {} SET enabled = $1, disabled_reason = $2 WHERE id = $3",
            receiver.table()
        )))
        .bind(i64::from(enabled))
        .bind(reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("{} {id}", receiver.noun())));
        }
        let action = format!(
            "{}.{}",
            receiver.noun(),
            if enabled { "enable" } else { "disable" }
        );
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                &action,
                format!("{}:{id}", receiver.noun()),
                json!({ "reason": reason }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
