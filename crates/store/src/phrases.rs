//! The phrase fingerprints of signed revisions (`revision_phrases`): how the verify page
//! finds the revisions a pasted text may quote without reading every signed revision.
//!
//! Each signed revision keeps the winnowed hashes of its three-word phrases
//! ([`phrase_fingerprints`]); a pasted text's own fingerprints are looked up, at most
//! [`LOOKED_UP`] of them and at most [`PER_PHRASE`] revisions each, so one lookup reads the
//! same few index entries in an archive of any size. The revisions sharing most of them are
//! the candidates the text is then compared with phrase by phrase.

use std::collections::HashMap;

use pressroom_core::verify::phrase_fingerprints;
use sqlx::{Any, Row, Transaction};

use crate::Result;
use crate::rows::sql;

/// The most fingerprints of one pasted text looked up: its smallest ones, an even sample of
/// its phrases. A shared passage of six words holds one, so short pastes use all they have;
/// a long paste needs far fewer than it has to point at the revision it comes from.
pub(crate) const LOOKED_UP: usize = 64;

/// The most revisions read for one fingerprint. A phrase found in more (a stock phrase of
/// the ministry's) says little about which statement a text quotes and is not counted, unless
/// no rarer phrase matched at all.
pub(crate) const PER_PHRASE: usize = 32;

/// The most candidates a lookup returns.
pub(crate) const CANDIDATES: usize = 20;

/// Fingerprints inserted per statement (two parameters each).
const INSERT_ROWS: usize = 400;

/// Writes the fingerprints of a revision being signed, in the signing transaction.
pub(crate) async fn write_phrases(
    tx: &mut Transaction<'static, Any>,
    revision_id: i64,
    plain_text: &str,
) -> Result<()> {
    let phrases = phrase_fingerprints(plain_text);
    for chunk in phrases.chunks(INSERT_ROWS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let text = format!(
            "INSERT INTO revision_phrases (phrase, revision_id) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(sql(text));
        for phrase in chunk {
            query = query.bind(*phrase).bind(revision_id);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Writes the fingerprints of every signed revision into an empty `revision_phrases`: the
/// migration that made the table (revisions signed before it), and a restore (backups leave
/// derived rows out). Pages by revision id, so memory stays at 500 texts.
pub(crate) async fn fill_phrases(tx: &mut Transaction<'static, Any>) -> Result<u64> {
    let mut after = 0_i64;
    let mut filled = 0;
    loop {
        let rows = sqlx::query(
            "SELECT revision_id, plain_text FROM revision_signatures WHERE revision_id > $1 \
             ORDER BY revision_id LIMIT 500",
        )
        .bind(after)
        .fetch_all(&mut **tx)
        .await?;
        let Some(last) = rows.last() else {
            return Ok(filled);
        };
        after = last.try_get("revision_id")?;
        for row in &rows {
            let plain: String = row.try_get("plain_text")?;
            write_phrases(tx, row.try_get("revision_id")?, &plain).await?;
            filled += 1;
        }
    }
}

impl crate::Store {
    /// The signed revisions sharing most phrase fingerprints with a normalised pasted text,
    /// best first: at most [`CANDIDATES`], from at most [`LOOKED_UP`] × [`PER_PHRASE`] index
    /// entries, in one statement.
    pub(crate) async fn phrase_candidates(&self, normalised: &str) -> Result<Vec<i64>> {
        let mut phrases = phrase_fingerprints(normalised);
        phrases.truncate(LOOKED_UP);
        if phrases.is_empty() {
            return Ok(Vec::new());
        }
        // One capped scan of the primary key per phrase (newest revisions first), joined with
        // UNION ALL: a portable per-phrase LIMIT in a single round trip.
        let text = (1..=phrases.len())
            .map(|i| {
                format!(
                    "SELECT phrase, revision_id FROM (SELECT phrase, revision_id FROM \
                     revision_phrases WHERE phrase = ${i} ORDER BY revision_id DESC LIMIT {}) p{i}",
                    PER_PHRASE + 1
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let mut query = sqlx::query(sql(text));
        for phrase in &phrases {
            query = query.bind(*phrase);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut found: HashMap<i64, Vec<i64>> = HashMap::new();
        for row in &rows {
            found
                .entry(row.try_get("phrase")?)
                .or_default()
                .push(row.try_get("revision_id")?);
        }
        let rare = found.values().any(|ids| ids.len() <= PER_PHRASE);
        let mut score: HashMap<i64, usize> = HashMap::new();
        for ids in found.values() {
            if rare && ids.len() > PER_PHRASE {
                continue;
            }
            for id in ids {
                *score.entry(*id).or_default() += 1;
            }
        }
        let mut ranked: Vec<(usize, i64)> = score.into_iter().map(|(id, n)| (n, id)).collect();
        // Most shared phrases first; among equals the newest revision.
        ranked.sort_unstable_by(|a, b| b.cmp(a));
        ranked.truncate(CANDIDATES);
        Ok(ranked.into_iter().map(|(_, id)| id).collect())
    }
}
