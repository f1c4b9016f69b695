//! The read side of the public site: only live revisions, never drafts.

use jiff::Timestamp;
use pressroom_core::release::{
    Publication, Release, ReleaseKey, Revision, Spokesperson, Topic, Translation,
};
use pressroom_core::workflow::Correction;
use sqlx::Row;

use crate::releases::{RELEASE_COLUMNS, release_from_row};
use crate::rows::{instant, sql};
use crate::{Result, Store, StoreError};

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
}

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

    /// When each release published in `lang` within `[from, to)` was first published, for
    /// archive navigation.
    pub async fn public_dates(
        &self,
        lang: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Timestamp>> {
        let rows = sqlx::query(
            "SELECT r.first_published_at FROM releases r JOIN translations t ON t.release_id = r.id \
             WHERE t.lang = $1 AND t.live_revision_id IS NOT NULL AND t.state <> 'deleted' \
             AND r.first_published_at >= $2 AND r.first_published_at < $3",
        )
        .bind(lang)
        .bind(from.as_microsecond())
        .bind(to.as_microsecond())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| instant(r.try_get("first_published_at")?))
            .collect()
    }

    /// Published translations matching `filter`, newest first. Releases come first in the
    /// join (`CROSS JOIN` fixes that order on SQLite) so the page is read by walking
    /// `releases_published` backwards and stops after `limit` rows instead of sorting the whole
    /// archive for every page.
    pub async fn list_public(&self, filter: &ReleaseFilter) -> Result<Vec<PublicSummary>> {
        let (from, to) = bounds(filter);
        let rows = sqlx::query(sql(format!(
            "SELECT {RELEASE_COLUMNS}, t.lang, t.slug, t.state, t.live_revision_id, v.title, v.lead, v.body, {LAST_PUBLISHED} \
             FROM releases r CROSS JOIN translations t JOIN revisions v ON v.id = t.live_revision_id \
             WHERE t.release_id = r.id AND {LISTING_WHERE} ORDER BY r.first_published_at DESC, r.id DESC LIMIT $6 OFFSET $7"
        )))
        .bind(&filter.lang)
        .bind(filter.kind.as_deref().unwrap_or(""))
        .bind(filter.topic.as_deref().unwrap_or(""))
        .bind(from)
        .bind(to)
        .bind(filter.limit)
        .bind(filter.offset)
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

    /// The published translation in `lang` of the release with `key` in `year`.
    pub async fn find_public(
        &self,
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
        let topics = self
            .list_topics()
            .await?
            .into_iter()
            .filter(|t| revision.topic_ids.contains(&t.id))
            .collect();
        let spokesperson = match revision.spokesperson_id {
            Some(id) => self
                .list_spokespeople()
                .await?
                .into_iter()
                .find(|s| s.id == id),
            None => None,
        };
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

    /// The years that have published releases, newest first.
    pub async fn public_years(&self, lang: &str) -> Result<Vec<i16>> {
        let rows = sqlx::query(
            "SELECT DISTINCT r.year FROM releases r JOIN translations t ON t.release_id = r.id \
             WHERE t.lang = $1 AND t.live_revision_id IS NOT NULL AND r.year IS NOT NULL ORDER BY r.year DESC",
        )
        .bind(lang)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let y: i64 = r.try_get("year")?;
                i16::try_from(y).map_err(|_| StoreError::Corrupt(format!("year {y}")))
            })
            .collect()
    }
}

fn bounds(filter: &ReleaseFilter) -> (i64, i64) {
    match filter.published_between {
        Some((from, to)) => (from.as_microsecond(), to.as_microsecond()),
        None => (i64::MIN, i64::MAX),
    }
}
