//! Checking what was published: the whole log for the operator (`pressroom log verify`), and
//! the texts and signed files readers bring to the verify page.
//!
//! Every check trusts signatures, not rows: a person with write access to the database can
//! change a revision or a stored payload, but cannot sign, so the first mismatch is reported
//! and a "genuine" verdict is only given for content whose signature verifies.

use pressroom_core::Invalid;
use pressroom_core::release::TranslationId;
use pressroom_core::signing::{
    GENESIS_SHA256, LogEntry, PublicKey, ReleasePayload, SignatureError, SignedDocument,
    canonical_json, sha256_hex, verify_log,
};
use pressroom_core::verify::{
    MIN_SIMILARITY, MIN_WORDS, Phrases, Verdict, condense, diff_words, full_text, normalise,
    only_page_labels, quoted_window,
};
use pressroom_core::workflow::State;
use sqlx::Row;

use crate::authenticity::signed_document;
use crate::rows::sql;
use crate::{Result, Store, StoreError};

/// Words of unchanged text kept around each change when a diff is shown.
const DIFF_CONTEXT: usize = 8;

/// The outcome of checking the whole log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReport {
    /// Entries checked.
    pub entries: i64,
    /// Signed revisions checked against their stored text.
    pub revisions: i64,
    /// The first thing that does not match, if any.
    pub problem: Option<LogProblem>,
}

/// Where the log stops matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogProblem {
    /// The log entry, or `None` for something missing from the log.
    pub seq: Option<i64>,
    /// What does not match.
    pub reason: String,
}

impl Store {
    /// Checks every log entry (hash, link, signature), every signed revision it names
    /// (payload hash, signature, and that the stored revision still says what was signed),
    /// and that every publication is in the log. Stops at the first problem.
    pub async fn verify_log(&self) -> Result<LogReport> {
        let keys = self.signing_keys().await?;
        let mut report = LogReport {
            entries: 0,
            revisions: 0,
            problem: None,
        };
        let mut previous = GENESIS_SHA256.to_owned();
        let mut from = 1;
        loop {
            let page = self.log_entries(from, 500).await?;
            let Some(last) = page.last() else { break };
            if let Err((seq, reason)) = verify_log(&page, &previous, &keys) {
                report.problem = Some(LogProblem {
                    seq: Some(seq),
                    reason,
                });
                return Ok(report);
            }
            previous = last.entry_sha256.clone();
            for signed in &page {
                let entry: LogEntry = serde_json::from_value(signed.entry.clone())
                    .map_err(|e| StoreError::Corrupt(format!("log entry: {e}")))?;
                report.entries += 1;
                if entry.payload_sha256.is_none() {
                    continue;
                }
                report.revisions += 1;
                if let Some(reason) = self.check_signed_revision(&entry, &keys).await? {
                    report.problem = Some(LogProblem {
                        seq: Some(entry.seq),
                        reason,
                    });
                    return Ok(report);
                }
            }
            from += i64::try_from(page.len()).unwrap_or(i64::MAX);
        }
        let head = sqlx::query("SELECT size, head_sha256 FROM publication_log_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        if head.try_get::<i64, _>("size")? != report.entries
            || head.try_get::<String, _>("head_sha256")? != previous
        {
            report.problem = Some(LogProblem {
                seq: Some(report.entries + 1),
                reason: "entries after this point were removed from the log".to_owned(),
            });
            return Ok(report);
        }
        let unlogged = sqlx::query(
            "SELECT p.revision_id FROM publications p WHERE NOT EXISTS \
             (SELECT 1 FROM publication_log l WHERE l.revision_id = p.revision_id AND l.action <> 'withdraw') \
             AND EXISTS (SELECT 1 FROM revision_signatures s WHERE s.revision_id = p.revision_id) \
             ORDER BY p.id LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = unlogged {
            let revision: i64 = row.try_get("revision_id")?;
            report.problem = Some(LogProblem {
                seq: None,
                reason: format!("the publication of revision {revision} is not in the log"),
            });
        }
        Ok(report)
    }

    /// Why the revision a log entry names no longer matches what was signed, if it does not.
    async fn check_signed_revision(
        &self,
        entry: &LogEntry,
        keys: &[PublicKey],
    ) -> Result<Option<String>> {
        let id = entry.revision_id;
        let Some(row) = sqlx::query(
            "SELECT s.payload, s.key_id, s.signature, s.signature_sha256, v.title, v.lead, v.body \
             FROM revision_signatures s JOIN revisions v ON v.id = s.revision_id WHERE s.revision_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(Some(format!("revision {id} has no stored signature")));
        };
        let stored: String = row.try_get("payload")?;
        if Some(sha256_hex(stored.as_bytes())) != entry.payload_sha256 {
            return Ok(Some(format!(
                "the stored signed text of revision {id} is not the one the log names"
            )));
        }
        let doc = signed_document(&row)?;
        if Some(doc.signature_sha256()) != entry.signature_sha256
            || row.try_get::<String, _>("signature_sha256")? != doc.signature_sha256()
        {
            return Ok(Some(format!(
                "the stored signature of revision {id} is not the one the log names"
            )));
        }
        if canonical_json(&doc.payload).ok().as_deref() != Some(stored.as_str()) {
            return Ok(Some(format!(
                "the stored signed text of revision {id} is not canonical"
            )));
        }
        let payload = match doc.verify(keys) {
            Ok(p) => p,
            Err(e) => return Ok(Some(format!("revision {id}: {e}"))),
        };
        if payload.revision_id != id {
            return Ok(Some(format!(
                "the signed text names revision {}, not {id}",
                payload.revision_id
            )));
        }
        for field in ["title", "lead", "body"] {
            let now: String = row.try_get(field)?;
            let signed = match field {
                "title" => &payload.title,
                "lead" => &payload.lead,
                _ => &payload.body,
            };
            if &now != signed {
                return Ok(Some(format!(
                    "revision {id} was changed in the database after it was signed: its {field} \
                     differs from the signed text"
                )));
            }
        }
        Ok(None)
    }

    /// Checks a text a reader pasted: exactly published, a passage of a published revision,
    /// a modified version of one (with the differences), or unknown. Finds the revisions it
    /// may come from by its phrases (`revision_phrases`), never by reading every revision, so
    /// a lookup costs the same in an archive of any size; [`Store::verify_text_among`] adds
    /// the search index's candidates.
    pub async fn verify_text(&self, text: &str) -> Result<Verdict> {
        self.check_pasted(text, &[]).await
    }

    /// [`Store::verify_text`], also comparing phrase by phrase with the signed revisions of
    /// `translations` (the search index's candidates: texts sharing words rather than whole
    /// phrases). An exact copy of any signed revision is still found by its hash, and a
    /// passage of one outside `translations` by its phrases.
    pub async fn verify_text_among(
        &self,
        text: &str,
        translations: &[TranslationId],
    ) -> Result<Verdict> {
        self.check_pasted(text, translations).await
    }

    async fn check_pasted(&self, text: &str, among: &[TranslationId]) -> Result<Verdict> {
        let checked = normalise(text);
        if checked.split(' ').filter(|w| !w.is_empty()).count() < MIN_WORDS {
            return Err(Invalid::field(
                "text",
                format!("paste at least {MIN_WORDS} words of the statement, ideally all of it"),
            )
            .into());
        }
        let hash = sha256_hex(checked.as_bytes());
        let exact = sqlx::query(
            "SELECT revision_id FROM revision_signatures WHERE body_sha256 = $1 \
             OR title_body_sha256 = $1 OR full_sha256 = $1 ORDER BY revision_id DESC LIMIT 1",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = exact {
            return self.genuine(row.try_get("revision_id")?, false).await;
        }
        // No exact match: the candidate whose text shares most phrases with the pasted one.
        let revisions = self.phrase_candidates(&checked).await?;
        if revisions.is_empty() && among.is_empty() {
            return Ok(Verdict::NotFound);
        }
        let list = |ids: &[i64]| match ids {
            [] => "NULL".to_owned(),
            _ => ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        };
        // Whole numbers only, so the lists are written into the statement.
        let scan = format!(
            "SELECT revision_id, plain_text FROM revision_signatures \
             WHERE revision_id IN ({}) OR translation_id IN ({}) ORDER BY revision_id DESC",
            list(&revisions),
            list(among)
        );
        let rows = sqlx::query(sql(scan)).fetch_all(&self.pool).await?;
        let padded = format!(" {checked} ");
        let phrases = Phrases::of(&checked);
        let mut best: Option<(f64, i64, String)> = None;
        for row in &rows {
            let plain: String = row.try_get("plain_text")?;
            let id: i64 = row.try_get("revision_id")?;
            if format!(" {plain} ").contains(&padded) {
                return self.genuine(id, true).await;
            }
            let score = phrases.share_in(&plain);
            if best.as_ref().is_none_or(|(s, ..)| score > *s) {
                best = Some((score, id, plain));
            }
        }
        match best {
            Some((score, id, plain)) if score >= MIN_SIMILARITY => {
                let window = quoted_window(&checked, &plain);
                let words: Vec<&str> = checked.split(' ').collect();
                let diff = diff_words(&window, &words);
                if only_page_labels(&diff) {
                    let excerpt = window.len() < plain.split(' ').count();
                    return self.genuine(id, excerpt).await;
                }
                let revision = self.signed_payload(id).await?;
                Ok(Verdict::Modified {
                    revision: revision.map(Box::new),
                    diff: condense(diff, DIFF_CONTEXT),
                    reason: "this text resembles a published statement but differs from it"
                        .to_owned(),
                })
            }
            _ => Ok(Verdict::NotFound),
        }
    }

    /// Checks a signed file a reader uploaded.
    pub async fn verify_document(&self, text: &str) -> Result<Verdict> {
        let doc = SignedDocument::parse(text).map_err(|e| Invalid::field("file", e.to_string()))?;
        let keys = self.signing_keys().await?;
        match doc.verify(&keys) {
            Ok(payload) => self.genuine(payload.revision_id, false).await,
            Err(SignatureError::UnknownKey(_)) => Ok(Verdict::NotFound),
            Err(SignatureError::Malformed(message)) => Err(Invalid::field("file", message).into()),
            Err(e) => {
                let claimed = doc
                    .payload
                    .get("revision_id")
                    .and_then(serde_json::Value::as_i64);
                let published = match claimed {
                    Some(id) => self.signed_payload(id).await?,
                    None => None,
                };
                let text_of = |p: &serde_json::Value| {
                    let field =
                        |k: &str| p.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
                    full_text(field("title"), field("lead"), field("body"))
                };
                let diff = match &published {
                    Some(p) => {
                        let ours = full_text(&p.title, &p.lead, &p.body);
                        let theirs = text_of(&doc.payload);
                        let a: Vec<&str> = ours.split(' ').collect();
                        let b: Vec<&str> = theirs.split(' ').collect();
                        condense(diff_words(&a, &b), DIFF_CONTEXT)
                    }
                    None => Vec::new(),
                };
                Ok(Verdict::Modified {
                    revision: published.map(Box::new),
                    diff,
                    reason: format!("the file does not verify: {e}"),
                })
            }
        }
    }

    /// The signed payload of a revision, if it was published and signed.
    async fn signed_payload(&self, revision_id: i64) -> Result<Option<ReleasePayload>> {
        match self.signed_revision(revision_id).await {
            Ok(doc) => Ok(serde_json::from_value(doc.payload).ok()),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The verdict for a matched revision: genuine if its stored signature still verifies,
    /// and whether it was replaced or withdrawn since.
    async fn genuine(&self, revision_id: i64, excerpt: bool) -> Result<Verdict> {
        let doc = self.signed_revision(revision_id).await?;
        let keys = self.signing_keys().await?;
        let payload = match doc.verify(&keys) {
            Ok(p) => p,
            Err(e) => {
                return Ok(Verdict::Modified {
                    revision: None,
                    diff: Vec::new(),
                    reason: format!("the site's record of this statement was altered: {e}"),
                });
            }
        };
        let row = sqlx::query("SELECT state, live_revision_id FROM translations WHERE id = $1")
            .bind(payload.translation_id)
            .fetch_one(&self.pool)
            .await?;
        let state: String = row.try_get("state")?;
        let live: Option<i64> = row.try_get("live_revision_id")?;
        Ok(Verdict::Genuine {
            changed_later: live != Some(revision_id),
            withdrawn: state == State::Withdrawn.as_str(),
            revision: Box::new(payload),
            excerpt,
        })
    }
}
