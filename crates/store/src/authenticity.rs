//! Signing keys, the signature of every publication, and the hash-chained publication log.
//!
//! Signing happens inside the publishing transaction (`workflow::publish`), so a revision is
//! never public without its signature and log entry, and a failed signature means no
//! publication. The store never holds the private key: the binary loads it and hands the
//! store a [`Sign`] with [`Store::use_signer`]. Formats and checks are `pressroom_core::signing`.

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use pressroom_core::numbering::{Number, NumberSeries};
use pressroom_core::release::{Translation, TranslationId};
use pressroom_core::signing::{
    ALGORITHM, ImportedMark, LOG_ENTRY_FORMAT, LogAction, LogEntry, PreviousRevision, PublicKey,
    RELEASE_FORMAT, ReleasePayload, Sign, SignedDocument, SignedLogEntry, SignedNumber,
    instant_text, sha256_hex, to_hex,
};
use pressroom_core::verify::{fingerprints, full_text};
use pressroom_core::workflow::Correction;
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use crate::audit::{NewAuditEntry, append};
use crate::rows::{from_json, instant, micros};
use crate::users::By;
use crate::{Result, Store, StoreError};

/// Log entries per page of `/.well-known/pressroom/log`.
pub const LOG_PAGE: i64 = 100;

/// The signer and the site address its signatures name.
pub(crate) struct Signing {
    signer: Arc<dyn Sign>,
    site: String,
}

impl fmt::Debug for Signing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signing")
            .field("key_id", &self.signer.key_id())
            .field("site", &self.site)
            .finish()
    }
}

fn key_from_row(row: &sqlx::any::AnyRow) -> Result<PublicKey> {
    Ok(PublicKey {
        key_id: row.try_get("key_id")?,
        algorithm: row.try_get("algorithm")?,
        public_key: row.try_get("public_key")?,
        valid_from: instant_text(instant(row.try_get("valid_from")?)?),
        valid_until: row
            .try_get::<Option<i64>, _>("valid_until")?
            .map(|us| instant(us).map(instant_text))
            .transpose()?,
    })
}

impl Store {
    /// This store, signing every publication with `signer` for the site at `site` (its public
    /// address). The key must be the site's current key; on a site that has none yet (a new
    /// or upgraded database) it becomes the current key.
    pub async fn use_signer(&self, signer: Arc<dyn Sign>, site: &str) -> Result<Store> {
        let key_id = signer.key_id();
        let mut tx = self.write_tx().await?;
        let known = sqlx::query("SELECT valid_until FROM signing_keys WHERE key_id = $1")
            .bind(&key_id)
            .fetch_optional(&mut *tx)
            .await?;
        match known {
            Some(row) => {
                if let Some(until) = row.try_get::<Option<i64>, _>("valid_until")? {
                    return Err(StoreError::Signing(format!(
                        "the key {key_id} was retired at {}; use the site's current key \
                         (`pressroom keys list` shows it)",
                        instant(until)?
                    )));
                }
            }
            None => {
                let current =
                    sqlx::query("SELECT key_id FROM signing_keys WHERE valid_until IS NULL")
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(current) = current {
                    let current: String = current.try_get("key_id")?;
                    return Err(StoreError::Signing(format!(
                        "the key {key_id} is not the site's current key {current}; give every \
                         server the same key file, or replace the key with `pressroom keys rotate`"
                    )));
                }
                insert_key(&mut tx, &signer.public_key(), Timestamp::now()).await?;
                let details = json!({ "key_id": key_id });
                append(
                    &mut *tx,
                    NewAuditEntry::new(&By::Cli, "keys.add", format!("key:{key_id}"), details),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(Store {
            signing: Some(Arc::new(Signing {
                signer,
                site: site.trim_end_matches('/').to_owned(),
            })),
            ..self.clone()
        })
    }

    /// The id of the key this store signs with, if it has one.
    pub fn signing_key_id(&self) -> Option<String> {
        self.signing.as_ref().map(|s| s.signer.key_id())
    }

    /// Every key the site has signed with, oldest first, with its validity.
    pub async fn signing_keys(&self) -> Result<Vec<PublicKey>> {
        let rows = sqlx::query(
            "SELECT key_id, algorithm, public_key, valid_from, valid_until FROM signing_keys \
             ORDER BY valid_from, key_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Retires the current key and puts `public_key` in service, at the same instant. The old
    /// key stays published, so what it signed still verifies. Returns the new key.
    pub async fn rotate_key(&self, public_key: &[u8; 32], by: By<'_>) -> Result<PublicKey> {
        let now = Timestamp::now();
        let new_id = pressroom_core::signing::key_id(public_key);
        let mut tx = self.write_tx().await?;
        let exists = sqlx::query("SELECT 1 FROM signing_keys WHERE key_id = $1")
            .bind(&new_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Duplicate(format!(
                "the key {new_id} was used before; a rotation needs a new key"
            )));
        }
        let retired = sqlx::query(
            "UPDATE signing_keys SET valid_until = $1 WHERE valid_until IS NULL RETURNING key_id",
        )
        .bind(micros(now))
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get::<String, _>("key_id"))
        .transpose()?;
        insert_key(&mut tx, public_key, now).await?;
        let details = json!({ "retired": retired, "key_id": new_id });
        append(
            &mut *tx,
            NewAuditEntry::new(&by, "keys.rotate", format!("key:{new_id}"), details),
        )
        .await?;
        tx.commit().await?;
        self.signing_keys()
            .await?
            .into_iter()
            .find(|k| k.key_id == new_id)
            .ok_or_else(|| StoreError::not_found(format!("key {new_id}")))
    }

    /// The signed form of a published revision, exactly as it was signed.
    pub async fn signed_revision(&self, revision_id: i64) -> Result<SignedDocument> {
        let row = sqlx::query(
            "SELECT payload, key_id, signature FROM revision_signatures WHERE revision_id = $1",
        )
        .bind(revision_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("signed revision {revision_id}")))?;
        signed_document(&row)
    }

    /// How many entries the publication log has.
    pub async fn log_size(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM publication_log")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Up to `limit` log entries from position `from` (the first is 1), in order.
    pub async fn log_entries(&self, from: i64, limit: i64) -> Result<Vec<SignedLogEntry>> {
        let rows = sqlx::query(
            "SELECT entry, entry_sha256, key_id, signature FROM publication_log \
             WHERE seq >= $1 ORDER BY seq LIMIT $2",
        )
        .bind(from)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SignedLogEntry {
                    entry: from_json(&r.try_get::<String, _>("entry")?, "log entry")?,
                    entry_sha256: r.try_get("entry_sha256")?,
                    algorithm: ALGORITHM.to_owned(),
                    key_id: r.try_get("key_id")?,
                    signature: r.try_get("signature")?,
                })
            })
            .collect()
    }

    /// The signer, or why publishing must wait.
    pub(crate) fn signing(&self) -> Result<Arc<Signing>> {
        self.signing.clone().ok_or_else(|| {
            StoreError::Signing(
                "this server has no signing key, and every publication is signed; start it with \
                 the site's key (`pressroom init` creates one, `pressroom keys list` shows it)"
                    .to_owned(),
            )
        })
    }
}

/// A stored signature row as the document readers download.
pub(crate) fn signed_document(row: &sqlx::any::AnyRow) -> Result<SignedDocument> {
    Ok(SignedDocument {
        format: pressroom_core::signing::SIGNED_FORMAT.to_owned(),
        payload: from_json(&row.try_get::<String, _>("payload")?, "signed payload")?,
        algorithm: ALGORITHM.to_owned(),
        key_id: row.try_get("key_id")?,
        signature: row.try_get("signature")?,
    })
}

async fn insert_key(
    tx: &mut Transaction<'static, Any>,
    public_key: &[u8; 32],
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO signing_keys (key_id, algorithm, public_key, valid_from) VALUES ($1, $2, $3, $4)",
    )
    .bind(pressroom_core::signing::key_id(public_key))
    .bind(ALGORITHM)
    .bind(to_hex(public_key))
    .bind(micros(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Refuses to sign with a key that was retired while this server ran (another server or the
/// command line rotated it): the server must be restarted with the new key.
async fn check_current(tx: &mut Transaction<'static, Any>, signing: &Signing) -> Result<()> {
    let key_id = signing.signer.key_id();
    let row = sqlx::query("SELECT valid_until FROM signing_keys WHERE key_id = $1")
        .bind(&key_id)
        .fetch_optional(&mut **tx)
        .await?;
    match row.map(|r| r.try_get::<Option<i64>, _>("valid_until")) {
        Some(Ok(None)) => Ok(()),
        Some(Err(e)) => Err(e.into()),
        _ => Err(StoreError::Signing(format!(
            "the key {key_id} is no longer the site's current key; restart pressroom with the \
             current key file"
        ))),
    }
}

/// Signs the revision just made live and appends the publication to the log. Runs inside the
/// publishing transaction, after the release is numbered and the publication recorded.
/// `imported` marks a revision brought in from an archive (the payload then says so).
pub(crate) async fn sign_publication(
    tx: &mut Transaction<'static, Any>,
    signing: &Signing,
    translation: &Translation,
    correction: Option<&Correction>,
    now: Timestamp,
    tz: &jiff::tz::TimeZone,
    imported: bool,
) -> Result<()> {
    check_current(tx, signing).await?;
    let revision_id = translation.head_revision_id;
    let release = sqlx::query(
        "SELECT kind, series, year, seq, first_published_at FROM releases WHERE id = $1",
    )
    .bind(translation.release_id)
    .fetch_one(&mut **tx)
    .await?;
    let first_published = instant(release.try_get("first_published_at")?)?;
    let series: Option<String> = release.try_get("series")?;
    let year: Option<i64> = release.try_get("year")?;
    let seq: Option<i64> = release.try_get("seq")?;
    let local_date = first_published.to_zoned_datetime(tz.clone()).date();
    let number = match (series, year, seq) {
        (Some(series), Some(year), Some(seq)) => {
            let row =
                sqlx::query("SELECT name, template, templates FROM number_series WHERE key = $1")
                    .bind(&series)
                    .fetch_one(&mut **tx)
                    .await?;
            let numbering = NumberSeries {
                key: series.clone(),
                name: row.try_get("name")?,
                template: row.try_get("template")?,
                templates: from_json(&row.try_get::<String, _>("templates")?, "series templates")?,
            };
            let short_year =
                i16::try_from(year).map_err(|_| StoreError::Corrupt(format!("year {year}")))?;
            let display = numbering.display(
                &translation.lang,
                Number {
                    year: short_year,
                    seq,
                },
                local_date,
            );
            Some(SignedNumber {
                series,
                year,
                seq,
                display,
            })
        }
        _ => None,
    };
    let revision = sqlx::query("SELECT title, lead, body FROM revisions WHERE id = $1")
        .bind(revision_id)
        .fetch_one(&mut **tx)
        .await?;
    let (title, lead, body): (String, String, String) = (
        revision.try_get("title")?,
        revision.try_get("lead")?,
        revision.try_get("body")?,
    );
    let previous = sqlx::query(
        "SELECT p.revision_id, s.signature_sha256 FROM publications p \
         LEFT JOIN revision_signatures s ON s.revision_id = p.revision_id \
         WHERE p.translation_id = $1 AND p.revision_id <> $2 ORDER BY p.id DESC LIMIT 1",
    )
    .bind(translation.id)
    .bind(revision_id)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| -> Result<PreviousRevision> {
        Ok(PreviousRevision {
            revision_id: r.try_get("revision_id")?,
            signature_sha256: r.try_get("signature_sha256")?,
        })
    })
    .transpose()?;
    let signed_at = Timestamp::now();
    let payload = ReleasePayload {
        format: RELEASE_FORMAT.to_owned(),
        site: signing.site.clone(),
        release_id: translation.release_id,
        translation_id: translation.id,
        revision_id,
        kind: release.try_get("kind")?,
        language: translation.lang.clone(),
        number,
        date: local_date.to_string(),
        first_published_at: instant_text(first_published),
        published_at: instant_text(now),
        signed_at: instant_text(signed_at),
        title,
        lead,
        body,
        attachments: Vec::new(),
        correction: correction.cloned(),
        previous,
        imported: imported.then(|| ImportedMark {
            imported_at: instant_text(signed_at),
            original_published_at: instant_text(first_published),
        }),
    };
    let canonical = payload.canonical();
    let doc = SignedDocument::sign(&payload, signing.signer.as_ref());
    let signature_sha256 = doc.signature_sha256();
    let [body_sha256, title_body_sha256, full_sha256] =
        fingerprints(&payload.title, &payload.lead, &payload.body);
    let plain_text = full_text(&payload.title, &payload.lead, &payload.body);
    sqlx::query(
        "INSERT INTO revision_signatures (revision_id, translation_id, key_id, payload, signature, \
         signature_sha256, body_sha256, title_body_sha256, full_sha256, plain_text, signed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(revision_id)
    .bind(translation.id)
    .bind(&doc.key_id)
    .bind(&canonical)
    .bind(&doc.signature)
    .bind(&signature_sha256)
    .bind(body_sha256)
    .bind(title_body_sha256)
    .bind(full_sha256)
    .bind(&plain_text)
    .bind(micros(signed_at))
    .execute(&mut **tx)
    .await?;
    crate::phrases::write_phrases(tx, revision_id, &plain_text).await?;
    let action = if payload.previous.is_some() {
        LogAction::Correct
    } else {
        LogAction::Publish
    };
    let facts = LogFacts {
        action,
        translation,
        revision_id,
        payload_sha256: Some(sha256_hex(canonical.as_bytes())),
        signature_sha256: Some(signature_sha256),
        explanation: None,
        at: now,
    };
    append_log(tx, signing, facts).await
}

/// Appends a withdrawal to the log, inside the withdrawing transaction.
pub(crate) async fn log_withdrawal(
    tx: &mut Transaction<'static, Any>,
    signing: &Signing,
    translation: &Translation,
    explanation: &str,
    now: Timestamp,
) -> Result<()> {
    check_current(tx, signing).await?;
    let revision_id = translation
        .live_revision_id
        .unwrap_or(translation.head_revision_id);
    let facts = LogFacts {
        action: LogAction::Withdraw,
        translation,
        revision_id,
        payload_sha256: None,
        signature_sha256: None,
        explanation: Some(explanation.trim().to_owned()),
        at: now,
    };
    append_log(tx, signing, facts).await
}

struct LogFacts<'a> {
    action: LogAction,
    translation: &'a Translation,
    revision_id: i64,
    payload_sha256: Option<String>,
    signature_sha256: Option<String>,
    explanation: Option<String>,
    at: Timestamp,
}

/// Takes the next position under the head row's lock, links to the previous entry's hash,
/// signs and stores the entry, and moves the head.
async fn append_log(
    tx: &mut Transaction<'static, Any>,
    signing: &Signing,
    facts: LogFacts<'_>,
) -> Result<()> {
    let head = sqlx::query(
        "UPDATE publication_log_head SET size = size + 1 WHERE id = 1 RETURNING size, head_sha256",
    )
    .fetch_one(&mut **tx)
    .await?;
    let seq: i64 = head.try_get("size")?;
    let translation_id: TranslationId = facts.translation.id;
    let entry = LogEntry {
        format: LOG_ENTRY_FORMAT.to_owned(),
        seq,
        at: instant_text(facts.at),
        signed_at: instant_text(Timestamp::now()),
        action: facts.action,
        site: signing.site.clone(),
        release_id: facts.translation.release_id,
        translation_id,
        language: facts.translation.lang.clone(),
        revision_id: facts.revision_id,
        payload_sha256: facts.payload_sha256,
        signature_sha256: facts.signature_sha256,
        explanation: facts.explanation,
        previous_entry_sha256: head.try_get("head_sha256")?,
    };
    let signed = SignedLogEntry::sign(&entry, signing.signer.as_ref());
    let action = match facts.action {
        LogAction::Publish => "publish",
        LogAction::Correct => "correct",
        LogAction::Withdraw => "withdraw",
    };
    sqlx::query(
        "INSERT INTO publication_log (seq, action, entry, entry_sha256, key_id, signature, translation_id, revision_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(seq)
    .bind(action)
    .bind(entry.canonical())
    .bind(&signed.entry_sha256)
    .bind(&signed.key_id)
    .bind(&signed.signature)
    .bind(translation_id)
    .bind(facts.revision_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE publication_log_head SET head_sha256 = $1 WHERE id = 1")
        .bind(&signed.entry_sha256)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
