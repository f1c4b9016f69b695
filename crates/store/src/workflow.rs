//! Applying workflow actions: the rules come from `pressroom_core::workflow::check`; this
//! module makes their effects durable in one transaction — state, live revision, official
//! number, publication record and audit entry together or not at all.

use jiff::{SignedDuration, Timestamp};
use pressroom_core::Invalid;
use pressroom_core::numbering::numbering_year;
use pressroom_core::outbox::Event;
use pressroom_core::release::{ReleaseId, Translation, TranslationId};
use pressroom_core::workflow::{self, Action, ActionKind, Correction, State};
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use crate::audit::{NewAuditEntry, append};
use crate::authenticity::{log_withdrawal, sign_publication};
use crate::error::duplicate;
use crate::releases::{
    RELEASE_COLUMNS, head_author, lock_translation, release_from_row, workflow_actor,
};
use crate::rows::{from_json, micros, sql, to_json};
use crate::users::By;
use crate::{Result, Store, StoreError};

/// A historical number carried by an imported release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedNumber {
    /// Series key.
    pub series: String,
    /// Year of the number.
    pub year: i16,
    /// Position in the year.
    pub seq: i64,
}

/// A scheduled publication that the scheduler carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePublication {
    /// The translation published.
    pub translation_id: TranslationId,
    /// When it was due.
    pub scheduled_at: Timestamp,
    /// How late it went out (zero or more).
    pub late_by: SignedDuration,
}

impl Store {
    /// Applies a workflow action to a translation at time `now`. `expected_version`, when
    /// given, refuses the action if the translation changed since the person looked at it.
    pub async fn apply(
        &self,
        translation_id: TranslationId,
        expected_version: Option<i64>,
        action: &Action,
        by: By<'_>,
        mut now: Timestamp,
    ) -> Result<Translation> {
        let actor = workflow_actor(by)?;
        if action.kind() == ActionKind::Edit {
            return Err(Invalid::field("action", "save a revision to edit").into());
        }
        // Publications and withdrawals are signed and logged in their own transaction, so
        // without the key they must not start.
        let signing = match action {
            Action::ApprovePublish { .. }
            | Action::PublishScheduled
            | Action::ForcePublish { .. }
            | Action::Withdraw { .. } => Some(self.signing()?),
            _ => None,
        };
        let settings = self.site_settings().await?;
        let mut tx = self.write_tx().await?;
        let translation = lock_translation(&mut tx, self.for_update(), translation_id).await?;
        if let Some(expected) = expected_version
            && expected != translation.version
        {
            return Err(StoreError::Conflict {
                expected,
                current: translation.version,
            });
        }
        let ctx = workflow::Context {
            actor,
            last_author: head_author(&mut tx, translation.head_revision_id).await?,
            two_person_rule: settings.two_person_rule,
            is_live: translation.live_revision_id.is_some(),
            now,
        };
        let outcome = workflow::check(translation.state, action, &ctx)?;
        // Media (issue 7): what is published or scheduled must describe its banner in the
        // translation's language. Checked when scheduling too, so the scheduler never meets it.
        if outcome.publishes || outcome.next == State::Scheduled {
            crate::media::check_publishable(
                &mut tx,
                translation.head_revision_id,
                &translation.lang,
            )
            .await?;
        }
        let mut details = json!({ "from": translation.state.as_str(), "to": outcome.next.as_str(), "revision": translation.head_revision_id });
        match action {
            Action::Reject { comment } => details["comment"] = json!(comment),
            Action::ForcePublish { reason, .. } => details["reason"] = json!(reason),
            Action::Withdraw { explanation } => details["explanation"] = json!(explanation),
            Action::ApproveSchedule { at, .. } => details["publish_at"] = json!(at.to_string()),
            _ => {}
        }
        if outcome.publishes {
            let correction = match action {
                Action::PublishScheduled => pending_correction(&mut tx, translation_id).await?,
                other => other.correction().cloned(),
            };
            if let Some(c) = &correction {
                details["correction"] = json!(c);
            }
            let tz = settings.tz();
            // The instant of record is settled under the numbering lock (see
            // `number_release`), so everything this publication writes carries it.
            now = publish(
                &mut tx,
                &translation,
                correction.as_ref(),
                by,
                outcome.flagged,
                now,
                &tz,
            )
            .await?;
            if let Some(signing) = &signing {
                sign_publication(
                    &mut tx,
                    signing,
                    &translation,
                    correction.as_ref(),
                    now,
                    &tz,
                    false,
                )
                .await?;
            }
        } else {
            let (scheduled_at, pending) = match action {
                Action::ApproveSchedule { at, correction } => (
                    Some(micros(*at)),
                    correction.as_ref().map(to_json).transpose()?,
                ),
                _ => (None, None),
            };
            let (withdrawn_at, explanation) = match action {
                Action::Withdraw { explanation } => {
                    if let Some(signing) = &signing {
                        log_withdrawal(&mut tx, signing, &translation, explanation, now).await?;
                    }
                    (Some(micros(now)), Some(explanation.trim().to_owned()))
                }
                _ => (
                    translation.withdrawn_at.map(micros),
                    translation.withdrawal_explanation.clone(),
                ),
            };
            sqlx::query(
                "UPDATE translations SET state = $1, scheduled_at = $2, pending_correction = $3, withdrawn_at = $4, \
                 withdrawal_explanation = $5, version = version + 1, updated_at = $6 WHERE id = $7",
            )
            .bind(outcome.next.as_str())
            .bind(scheduled_at)
            .bind(pending)
            .bind(withdrawn_at)
            .bind(explanation)
            .bind(micros(now))
            .bind(translation_id)
            .execute(&mut *tx)
            .await?;
        }
        let mut entry = NewAuditEntry::new(
            &by,
            action.kind().as_str(),
            format!("translation:{translation_id}"),
            details,
        );
        entry.at = now;
        entry.flagged = outcome.flagged;
        append(&mut *tx, entry).await?;
        let change = (outcome.publishes || outcome.next == State::Withdrawn).then(|| {
            crate::Change::Release {
                release_id: translation.release_id,
                lang: translation.lang.clone(),
            }
        });
        let seq = match &change {
            Some(change) => Some(crate::changes::record(&mut tx, self.backend, change, now).await?),
            None => None,
        };
        // What receivers are told: a first publication, a correction of a live text, or a
        // withdrawal of one. Written in this transaction, so it commits with the publication.
        let event = if outcome.publishes {
            Some(if ctx.is_live {
                Event::Corrected
            } else {
                Event::Published
            })
        } else if outcome.next == State::Withdrawn {
            Some(Event::Withdrawn)
        } else {
            None
        };
        if let (Some(event), Some(seq)) = (event, seq) {
            let revision = match event {
                Event::Withdrawn => translation
                    .live_revision_id
                    .unwrap_or(translation.head_revision_id),
                _ => translation.head_revision_id,
            };
            let publication = crate::outbox::Publication {
                event,
                release_id: translation.release_id,
                translation_id,
                revision_id: revision,
                lang: &translation.lang,
                seq,
                at: now,
            };
            crate::outbox::enqueue(&mut tx, &publication).await?;
        }
        tx.commit().await?;
        if let (Some(change), Some(seq)) = (&change, seq) {
            self.notify(change, seq);
        }
        self.translation(translation_id).await
    }

    /// Publishes every scheduled translation due at `now`. Safe to run on several servers at
    /// once: each translation is re-checked under lock, so exactly one of them publishes it.
    pub async fn publish_due(&self, now: Timestamp) -> Result<Vec<DuePublication>> {
        let rows = sqlx::query(
            "SELECT id, scheduled_at FROM translations WHERE state = 'scheduled' AND scheduled_at <= $1 ORDER BY scheduled_at",
        )
        .bind(micros(now))
        .fetch_all(&self.pool)
        .await?;
        let mut done = Vec::new();
        for row in rows {
            let id: TranslationId = row.try_get("id")?;
            let scheduled_at = crate::rows::instant(row.try_get("scheduled_at")?)?;
            match self
                .apply(id, None, &Action::PublishScheduled, By::Scheduler, now)
                .await
            {
                Ok(_) => done.push(DuePublication {
                    translation_id: id,
                    scheduled_at,
                    late_by: now.duration_since(scheduled_at),
                }),
                // Another server published (or someone unscheduled) it first.
                Err(StoreError::Workflow(workflow::WorkflowError::NotFromState { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// When the next scheduled publication is due, if any.
    pub async fn next_due(&self) -> Result<Option<Timestamp>> {
        let row = sqlx::query(
            "SELECT MIN(scheduled_at) AS due FROM translations WHERE state = 'scheduled'",
        )
        .fetch_one(&self.pool)
        .await?;
        crate::rows::opt_instant(row.try_get("due")?)
    }

    /// Gives an unpublished release the historical number it had before Pressroom. The number
    /// is reserved: the series' counter moves past it, so it is never allocated again.
    pub async fn import_number(
        &self,
        release_id: ReleaseId,
        number: &ImportedNumber,
        by: By<'_>,
    ) -> Result<()> {
        if number.seq < 1 {
            return Err(Invalid::field("number", "a number starts at 1").into());
        }
        if !self
            .list_series()
            .await?
            .iter()
            .any(|s| s.key == number.series)
        {
            return Err(Invalid::field(
                "series",
                format!("there is no number series `{}`", number.series),
            )
            .into());
        }
        let mut tx = self.write_tx().await?;
        let release = sqlx::query(sql(format!(
            "SELECT {RELEASE_COLUMNS} FROM releases r WHERE r.id = $1{}",
            self.for_update()
        )))
        .bind(release_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("release {release_id}")))?;
        let release = release_from_row(&release)?;
        if release.number.is_some() || release.first_published_at.is_some() {
            return Err(Invalid::field("number", "this release already has its number").into());
        }
        sqlx::query("UPDATE releases SET series = $1, year = $2, seq = $3 WHERE id = $4")
            .bind(&number.series)
            .bind(i64::from(number.year))
            .bind(number.seq)
            .bind(release_id)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                duplicate(e, || {
                    format!(
                        "number {} of {} in series `{}` belongs to another release",
                        number.seq, number.year, number.series
                    )
                })
            })?;
        crate::import::reserve_number(&mut tx, &number.series, i64::from(number.year), number.seq)
            .await?;
        let details = json!({ "series": number.series, "year": number.year, "seq": number.seq });
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                "release.import_number",
                format!("release:{release_id}"),
                details,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn pending_correction(
    tx: &mut Transaction<'static, Any>,
    id: TranslationId,
) -> Result<Option<Correction>> {
    let text: Option<String> =
        sqlx::query("SELECT pending_correction FROM translations WHERE id = $1")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?
            .try_get("pending_correction")?;
    text.map(|t| from_json(&t, "pending correction"))
        .transpose()
}

/// Makes the head revision live: numbers the release if this is its first publication,
/// records the publication, and updates the translation. Returns the publication's instant,
/// which a first publication may move past `now` (see `number_release`).
pub(crate) async fn publish(
    tx: &mut Transaction<'static, Any>,
    translation: &Translation,
    correction: Option<&Correction>,
    by: By<'_>,
    flagged: bool,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Result<Timestamp> {
    let now = number_release(tx, translation.release_id, now, tz).await?;
    sqlx::query(
        "INSERT INTO publications (translation_id, revision_id, published_at, correction_kind, change_note, publisher_id, flagged) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(translation.id)
    .bind(translation.head_revision_id)
    .bind(micros(now))
    .bind(correction.map(|c| match c {
        Correction::Major { .. } => "major",
        Correction::Minor => "minor",
    }))
    .bind(correction.and_then(Correction::note).map(str::trim))
    .bind(by.id())
    .bind(i64::from(flagged))
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE translations SET state = $1, live_revision_id = head_revision_id, scheduled_at = NULL, \
         pending_correction = NULL, first_published_at = COALESCE(first_published_at, $2), version = version + 1, \
         updated_at = $2 WHERE id = $3",
    )
    .bind(State::Published.as_str())
    .bind(micros(now))
    .bind(translation.id)
    .execute(&mut **tx)
    .await?;
    Ok(now)
}

/// On a release's first publication, fixes its year and, for a numbered kind, allocates the
/// next number of its series in that year. Running inside the publishing transaction is what
/// makes numbers gap-free: if the publication fails, so does the allocation.
///
/// Returns the publication's instant. `now` was taken when the request arrived, before it
/// queued for the numbering lock, so a request that waited can hold an earlier instant than
/// the number allocated just before it. The register must read in order, so the instant is
/// settled here, under the lock: never before the previous number's.
async fn number_release(
    tx: &mut Transaction<'static, Any>,
    release_id: ReleaseId,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Result<Timestamp> {
    let row = sqlx::query(
        "SELECT r.first_published_at, r.seq, k.series FROM releases r JOIN kinds k ON k.key = r.kind WHERE r.id = $1",
    )
    .bind(release_id)
    .fetch_one(&mut **tx)
    .await?;
    if row
        .try_get::<Option<i64>, _>("first_published_at")?
        .is_some()
    {
        return Ok(now);
    }
    if row.try_get::<Option<i64>, _>("seq")?.is_some() {
        // An imported release keeps the number and year it had.
        sqlx::query("UPDATE releases SET first_published_at = $1 WHERE id = $2")
            .bind(micros(now))
            .bind(release_id)
            .execute(&mut **tx)
            .await?;
        return Ok(now);
    }
    let year = i64::from(numbering_year(now, tz));
    let series: Option<String> = row.try_get("series")?;
    let (seq, now) = match &series {
        Some(series) => {
            let seq = allocate_number(tx, series, year).await?;
            let previous: Option<i64> = sqlx::query_scalar(
                "SELECT first_published_at FROM releases WHERE series = $1 AND year = $2 AND seq = $3",
            )
            .bind(series)
            .bind(year)
            .bind(seq - 1)
            .fetch_optional(&mut **tx)
            .await?
            .flatten();
            let after_previous = previous
                .map(|p| crate::rows::instant(p + 1))
                .transpose()?
                .filter(|p| *p > now);
            (Some(seq), after_previous.unwrap_or(now))
        }
        None => (None, now),
    };
    sqlx::query("UPDATE releases SET series = $1, year = $2, seq = $3, first_published_at = $4 WHERE id = $5")
        .bind(series)
        .bind(year)
        .bind(seq)
        .bind(micros(now))
        .bind(release_id)
        .execute(&mut **tx)
        .await?;
    Ok(now)
}

/// The next number of `series` in `year`. The upsert locks the counter row until the
/// transaction ends, so concurrent publications queue here and each gets the next number.
async fn allocate_number(
    tx: &mut Transaction<'static, Any>,
    series: &str,
    year: i64,
) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO number_counters (series, year, last_seq) VALUES ($1, $2, 1) \
         ON CONFLICT (series, year) DO UPDATE SET last_seq = number_counters.last_seq + 1 RETURNING last_seq",
    )
    .bind(series)
    .bind(year)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("last_seq")?)
}
