//! The read side of the search index: every published translation's live text, in pages of
//! releases, for a rebuild, or for the releases a change named.

use std::collections::HashMap;

use pressroom_core::release::{Release, ReleaseId, Spokesperson};
use sqlx::Row;

use crate::releases::{RELEASE_COLUMNS, release_from_row};
use crate::rows::sql;
use crate::{Result, Store};

/// A published (or withdrawn) translation as the search index needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchableText {
    /// The release (number, kind, first publication).
    pub release: Release,
    /// The translation.
    pub translation_id: i64,
    /// Its language.
    pub lang: String,
    /// Its slug, for the page's address.
    pub slug: String,
    /// Live headline.
    pub title: String,
    /// Live lead.
    pub lead: String,
    /// Live body (Markdown).
    pub body: String,
    /// Slugs of the live revision's topics.
    pub topics: Vec<String>,
    /// The live revision's spokesperson.
    pub spokesperson: Option<Spokesperson>,
    /// Whether it was withdrawn (it stays findable, marked).
    pub withdrawn: bool,
}

impl Store {
    /// The searchable translations of releases with ids in `(after, upto]`, by release id then
    /// translation id. A rebuild walks the archive with it a page of ids at a time; a follower
    /// asks for one release with `(id - 1, id]`. Drafts and deleted translations never appear.
    pub async fn searchable(
        &self,
        after: ReleaseId,
        upto: ReleaseId,
    ) -> Result<Vec<SearchableText>> {
        let rows = sqlx::query(sql(format!(
            "SELECT {RELEASE_COLUMNS}, t.id AS translation_id, t.lang, t.slug, t.state, \
             t.live_revision_id, v.title, v.lead, v.body, v.spokesperson_id \
             FROM translations t JOIN releases r ON r.id = t.release_id \
             JOIN revisions v ON v.id = t.live_revision_id \
             WHERE t.release_id > $1 AND t.release_id <= $2 AND t.state <> 'deleted' \
             ORDER BY t.release_id, t.id"
        )))
        .bind(after)
        .bind(upto)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let topic_rows = sqlx::query(
            "SELECT rt.revision_id, tp.slug FROM revision_topics rt \
             JOIN topics tp ON tp.id = rt.topic_id \
             JOIN translations t ON t.live_revision_id = rt.revision_id \
             WHERE t.release_id > $1 AND t.release_id <= $2 ORDER BY tp.slug",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(&self.pool)
        .await?;
        let mut topics: HashMap<i64, Vec<String>> = HashMap::new();
        for row in &topic_rows {
            topics
                .entry(row.try_get("revision_id")?)
                .or_default()
                .push(row.try_get("slug")?);
        }
        let people = self.list_spokespeople().await?;
        rows.iter()
            .map(|row| {
                let revision: i64 = row.try_get("live_revision_id")?;
                let person: Option<i64> = row.try_get("spokesperson_id")?;
                Ok(SearchableText {
                    release: release_from_row(row)?,
                    translation_id: row.try_get("translation_id")?,
                    lang: row.try_get("lang")?,
                    slug: row.try_get("slug")?,
                    title: row.try_get("title")?,
                    lead: row.try_get("lead")?,
                    body: row.try_get("body")?,
                    topics: topics.get(&revision).cloned().unwrap_or_default(),
                    spokesperson: person.and_then(|id| people.iter().find(|p| p.id == id).cloned()),
                    withdrawn: row.try_get::<String, _>("state")? == "withdrawn",
                })
            })
            .collect()
    }

    /// How many translations [`Store::searchable`] would give over the whole archive, and the
    /// highest release id: a rebuild's total for its progress bar and where its walk ends.
    pub async fn searchable_extent(&self) -> Result<(u64, ReleaseId)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, COALESCE(MAX(t.release_id), 0) AS last FROM translations t \
             WHERE t.live_revision_id IS NOT NULL AND t.state <> 'deleted'",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get::<i64, _>("n")? as u64, row.try_get("last")?))
    }
}
