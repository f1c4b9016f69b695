//! The read side of the public site: only live revisions, never drafts.

use jiff::Timestamp;
use pressroom_core::release::{
    Publication, Release, ReleaseKey, Revision, Spokesperson, Topic, Translation,
};
use pressroom_core::workflow::Correction;
use sqlx::Row;

use crate::releases::{RELEASE_COLUMNS, release_from_row};
use crate::rows::{instant, sql};
use crate::{Result, SiteReference, Store, StoreError};

/// Which published releases to list.
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    /// Language code.
    pub lang: String,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only releases on this topic (slug).
    pub topic: Option<String>,
    /// Only releases first published in `[from, to)`.
    pub published_between: Option<(Timestamp, Timestamp)>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
    /// Start at this release (its first publication and id, inclusive) instead of skipping
    /// `offset` rows: a deep page read by its key costs what the first page costs. Callers
    /// find the key in the listing's timeline ([`Store::public_timeline`]).
    pub start_at: Option<(Timestamp, i64)>,
}

/// One release in a language's timeline: when it was first published, and its id — the
/// listing's order and the key a page starts at.
pub type TimelineEntry = (Timestamp, i64);

/// One line of a public listing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublicSummary {
    /// The release.
    pub release: Release,
    /// Language code.
    pub lang: String,
    /// Slug in that language.
    pub slug: String,
    /// Live headline.
    pub title: String,
    /// Live lead.
    pub lead: String,
    /// Live body (Markdown), for feeds.
    pub body: String,
    /// The live revision (for its banner).
    pub live_revision_id: i64,
    /// When the live revision was published (the release date for a first publication, later
    /// for a correction).
    pub last_published_at: Timestamp,
    /// Whether the translation was withdrawn.
    pub withdrawn: bool,
}

/// One published translation, for the sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapEntry {
    /// The release.
    pub release: Release,
    /// Language code.
    pub lang: String,
    /// Slug in that language.
    pub slug: String,
    /// When the live revision was published.
    pub last_published_at: Timestamp,
}

/// A published translation with everything its page shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublicRelease {
    /// The release.
    pub release: Release,
    /// The translation.
    pub translation: Translation,
    /// The live revision.
    pub revision: Revision,
    /// Every publication of this translation, oldest first.
    pub history: Vec<Publication>,
    /// The other languages it is published in: (code, slug).
    pub other_languages: Vec<(String, String)>,
    /// Its topics.
    pub topics: Vec<Topic>,
    /// Its attribution.
    pub spokesperson: Option<Spokesperson>,
}

const LISTING_WHERE: &str = "t.lang = $1 AND t.live_revision_id IS NOT NULL AND t.state <> 'deleted' \
     AND ($2 = '' OR r.kind = $2) \
     AND ($3 = '' OR EXISTS (SELECT 1 FROM revision_topics rt JOIN topics tp ON tp.id = rt.topic_id \
          WHERE rt.revision_id = t.live_revision_id AND tp.slug = $3)) \
     AND r.first_published_at >= $4 AND r.first_published_at < $5";

/// When the live revision of translation `t` was published.
const LAST_PUBLISHED: &str = "(SELECT MAX(p.published_at) FROM publications p WHERE p.revision_id = t.live_revision_id) AS last_published_at";

impl Store {
    /// The sitemap's children: releases are cut into chunks of `size` by id (chunk `n` holds
    /// ids `n*size+1 ..= (n+1)*size`), so a chunk's URL never changes as the archive grows and
    /// each child stays bounded. Gives each chunk that has published translations, with the
    /// latest publication in it, oldest chunk first.
    pub async fn sitemap_chunks(&self, size: i64) -> Result<Vec<(i64, Timestamp)>> {
        let rows = sqlx::query(
            "SELECT (t.release_id - 1) / $1 AS chunk, MAX(p.published_at) AS lastmod FROM translations t \
             JOIN publications p ON p.translation_id = t.id \
             WHERE t.live_revision_id IS NOT NULL AND t.state <> 'deleted' GROUP BY (t.release_id - 1) / $1 ORDER BY chunk",
        )
        .bind(size.max(1))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("chunk")?, instant(r.try_get("lastmod")?)?)))
            .collect()
    }

    /// The published translations of chunk `chunk` of `size` releases (see
    /// [`Store::sitemap_chunks`]), newest release first.
    pub async fn sitemap_entries(&self, chunk: i64, size: i64) -> Result<Vec<SitemapEntry>> {
        let size = size.max(1);
        let rows = sqlx::query(sql(format!(
            "SELECT {RELEASE_COLUMNS}, t.lang, t.slug, {LAST_PUBLISHED} FROM translations t \
             JOIN releases r ON r.id = t.release_id \
             WHERE t.release_id > $1 AND t.release_id <= $2 AND t.live_revision_id IS NOT NULL AND t.state <> 'deleted' \
             ORDER BY r.id DESC"
        )))
        .bind(chunk.saturating_mul(size))
        .bind(chunk.saturating_add(1).saturating_mul(size))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SitemapEntry {
                    release: release_from_row(r)?,
                    lang: r.try_get("lang")?,
                    slug: r.try_get("slug")?,
                    last_published_at: instant(r.try_get("last_published_at")?)?,
                })
            })
            .collect()
    }

    /// Published translations matching `filter`, newest first. Releases come first in the
    /// join (`CROSS JOIN` fixes that order on SQLite) so the page is read by walking
    /// `releases_published` backwards and stops after `limit` rows instead of sorting the whole
    /// archive for every page.
    pub async fn list_public(&self, filter: &ReleaseFilter) -> Result<Vec<PublicSummary>> {
        let (from, to) = bounds(filter);
        let start = filter
            .start_at
            .map_or((i64::MAX, i64::MAX), |(at, id)| (at.as_microsecond(), id));
        // The start also bounds the first column, so the planner seeks the index to it
        // (the row value alone was checked row by row from the newest: page 500 cost 2× page 1).
        let to = to.min(start.0.saturating_add(1));
        let rows = sqlx::query(sql(format!(
            "SELECT {RELEASE_COLUMNS}, t.lang, t.slug, t.state, t.live_revision_id, v.title, v.lead, v.body, {LAST_PUBLISHED} \
             FROM releases r CROSS JOIN translations t JOIN revisions v ON v.id = t.live_revision_id \
             WHERE t.release_id = r.id AND {LISTING_WHERE} AND (r.first_published_at, r.id) <= ($8, $9) \
             ORDER BY r.first_published_at DESC, r.id DESC LIMIT $6 OFFSET $7"
        )))
        .bind(&filter.lang)
        .bind(filter.kind.as_deref().unwrap_or(""))
        .bind(filter.topic.as_deref().unwrap_or(""))
        .bind(from)
        .bind(to)
        .bind(filter.limit)
        .bind(filter.offset)
        .bind(start.0)
        .bind(start.1)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PublicSummary {
                    release: release_from_row(r)?,
                    lang: r.try_get("lang")?,
                    slug: r.try_get("slug")?,
                    title: r.try_get("title")?,
                    lead: r.try_get("lead")?,
                    body: r.try_get("body")?,
                    live_revision_id: r.try_get("live_revision_id")?,
                    last_published_at: instant(r.try_get("last_published_at")?)?,
                    withdrawn: r.try_get::<String, _>("state")? == "withdrawn",
                })
            })
            .collect()
    }

    /// How many published translations match `filter` (ignoring its page).
    pub async fn count_public(&self, filter: &ReleaseFilter) -> Result<i64> {
        let (from, to) = bounds(filter);
        let row = sqlx::query(sql(format!(
            "SELECT COUNT(*) AS n FROM translations t JOIN releases r ON r.id = t.release_id WHERE {LISTING_WHERE}"
        )))
        .bind(&filter.lang)
        .bind(filter.kind.as_deref().unwrap_or(""))
        .bind(filter.topic.as_deref().unwrap_or(""))
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    /// The published translation in `lang` of the release with `key` in `year`; its topics
    /// and spokesperson are taken from `reference` (the caller's copy in memory).
    pub async fn find_public(
        &self,
        reference: &SiteReference,
        lang: &str,
        year: i16,
        key: &ReleaseKey,
    ) -> Result<PublicRelease> {
        let not_found = || StoreError::not_found(format!("release {key:?} of {year} in `{lang}`"));
        let row = match key {
            ReleaseKey::Numbered { series, seq } => {
                sqlx::query(sql(format!("SELECT {RELEASE_COLUMNS} FROM releases r WHERE r.series = $1 AND r.year = $2 AND r.seq = $3")))
                    .bind(series)
                    .bind(i64::from(year))
                    .bind(seq)
                    .fetch_optional(&self.pool)
                    .await?
            }
            ReleaseKey::Unnumbered { id } => {
                sqlx::query(sql(format!("SELECT {RELEASE_COLUMNS} FROM releases r WHERE r.id = $1 AND r.year = $2 AND r.seq IS NULL")))
                    .bind(id)
                    .bind(i64::from(year))
                    .fetch_optional(&self.pool)
                    .await?
            }
        }
        .ok_or_else(not_found)?;
        let release = release_from_row(&row)?;
        let translations = self.translations_of(release.id).await?;
        let is_public =
            |t: &&Translation| t.live_revision_id.is_some() && t.state.as_str() != "deleted";
        let translation = translations
            .iter()
            .filter(is_public)
            .find(|t| t.lang == lang)
            .cloned()
            .ok_or_else(not_found)?;
        let other_languages = translations
            .iter()
            .filter(is_public)
            .filter(|t| t.lang != lang)
            .map(|t| (t.lang.clone(), t.slug.clone()))
            .collect();
        let revision = self
            .revision(
                translation
                    .live_revision_id
                    .unwrap_or(translation.head_revision_id),
            )
            .await?;
        let history = self.publications(translation.id).await?;
        let topics = reference
            .topics
            .iter()
            .filter(|t| revision.topic_ids.contains(&t.id))
            .cloned()
            .collect();
        let spokesperson = revision
            .spokesperson_id
            .and_then(|id| reference.spokespeople.iter().find(|s| s.id == id).cloned());
        Ok(PublicRelease {
            release,
            translation,
            revision,
            history,
            other_languages,
            topics,
            spokesperson,
        })
    }

    /// Every publication of a translation, oldest first.
    pub async fn publications(&self, translation_id: i64) -> Result<Vec<Publication>> {
        let rows = sqlx::query(
            "SELECT revision_id, published_at, correction_kind, change_note FROM publications \
             WHERE translation_id = $1 ORDER BY published_at, id",
        )
        .bind(translation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: Option<String> = r.try_get("correction_kind")?;
                let note: Option<String> = r.try_get("change_note")?;
                Ok(Publication {
                    revision_id: r.try_get("revision_id")?,
                    published_at: instant(r.try_get("published_at")?)?,
                    correction: match kind.as_deref() {
                        Some("major") => Some(Correction::Major {
                            note: note.unwrap_or_default(),
                        }),
                        Some("minor") => Some(Correction::Minor),
                        _ => None,
                    },
                })
            })
            .collect()
    }

    /// Every publication of a public translation as (release id, language, revision id, the
    /// translation's live revision id), by release, language and revision: the old
    /// revisions its pages link and the signed forms they offer, in one read for the static
    /// export.
    pub async fn public_publications(&self) -> Result<Vec<(i64, String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT t.release_id, t.lang, p.revision_id, t.live_revision_id FROM publications p \
             JOIN translations t ON t.id = p.translation_id \
             WHERE t.live_revision_id IS NOT NULL AND t.state <> 'deleted' \
             ORDER BY t.release_id, t.lang, p.revision_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("release_id")?,
                    r.try_get("lang")?,
                    r.try_get("revision_id")?,
                    r.try_get("live_revision_id")?,
                ))
            })
            .collect()
    }

    /// Every number of a series in a year, ascending; for checks and reports.
    pub async fn numbers_in(&self, series: &str, year: i16) -> Result<Vec<i64>> {
        let rows = sqlx::query("SELECT seq FROM releases WHERE series = $1 AND year = $2 AND seq IS NOT NULL ORDER BY seq")
            .bind(series)
            .bind(i64::from(year))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("seq")?)).collect()
    }

    /// Every release published in `lang` (live, not deleted; withdrawn ones are listed too),
    /// newest first, as the listings order them: small enough to hold in memory (16 bytes a
    /// release), it gives the listings their counts, years and months, and each page's key.
    pub async fn public_timeline(&self, lang: &str) -> Result<Vec<TimelineEntry>> {
        let rows = sqlx::query(
            "SELECT r.first_published_at, r.id FROM releases r CROSS JOIN translations t \
             WHERE t.release_id = r.id AND t.lang = $1 AND t.live_revision_id IS NOT NULL \
             AND t.state <> 'deleted' AND r.first_published_at IS NOT NULL \
             ORDER BY r.first_published_at DESC, r.id DESC",
        )
        .bind(lang)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((instant(r.try_get("first_published_at")?)?, r.try_get("id")?)))
            .collect()
    }
}

fn bounds(filter: &ReleaseFilter) -> (i64, i64) {
    match filter.published_between {
        Some((from, to)) => (from.as_microsecond(), to.as_microsecond()),
        None => (i64::MIN, i64::MAX),
    }
}
