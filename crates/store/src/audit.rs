//! The audit log: every transition, sign-in and setting change, append-only (the schema
//! refuses updates and deletes).

use jiff::Timestamp;
use pressroom_core::user::UserId;
use sqlx::{Any, Executor, Row};

use crate::rows::{instant, micros};
use crate::{Result, Store};

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Position in the log.
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// The user, when a person acted.
    pub actor_id: Option<UserId>,
    /// Who, in words (`leyla`, `scheduler`, `cli`).
    pub actor: String,
    /// What happened (`approve_publish`, `user.add`, `settings.update`).
    pub action: String,
    /// What it happened to (`translation:12`, `user:3`).
    pub subject: String,
    /// Details as JSON text (comments, reasons, old and new values).
    pub details: String,
    /// Flagged for retrospective review (force publish).
    pub flagged: bool,
}

/// What to record.
pub(crate) struct NewAuditEntry<'a> {
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: String,
    pub details: serde_json::Value,
    pub flagged: bool,
}

/// Appends to the log inside the caller's transaction, so the entry exists exactly when the
/// change does.
pub(crate) async fn append<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    entry: NewAuditEntry<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor, action, subject, details, flagged) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(micros(entry.at))
    .bind(entry.actor_id)
    .bind(entry.actor)
    .bind(entry.action)
    .bind(entry.subject)
    .bind(entry.details.to_string())
    .bind(i64::from(entry.flagged))
    .execute(exec)
    .await?;
    Ok(())
}

impl Store {
    /// The newest `limit` entries, newest first, optionally only for one subject.
    pub async fn audit_log(&self, subject: Option<&str>, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, actor_id, actor, action, subject, details, flagged FROM audit_log \
             WHERE ($1 = '' OR subject = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(subject.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: instant(r.try_get("at")?)?,
                    actor_id: r.try_get("actor_id")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    details: r.try_get("details")?,
                    flagged: r.try_get::<i64, _>("flagged")? != 0,
                })
            })
            .collect()
    }
}

impl<'a> NewAuditEntry<'a> {
    /// An unflagged entry made now by `by`.
    pub(crate) fn new(
        by: &'a crate::users::By<'a>,
        action: &'a str,
        subject: String,
        details: serde_json::Value,
    ) -> Self {
        Self {
            at: Timestamp::now(),
            actor_id: by.id(),
            actor: by.name(),
            action,
            subject,
            details,
            flagged: false,
        }
    }
}
