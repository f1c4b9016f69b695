//! The archive path: releases brought in from an old site, published with the numbers, dates
//! and addresses they had. Each translation goes through the same steps a publication takes
//! one by one — publication record, signature and log entry, audit entry, change-stream entry
//! — so the register, the verify page and the search index treat an imported release like any
//! other; the signed payload says it was imported (`ImportedMark`).
//!
//! An import runs in two passes over its source: [`Store::check_import`] judges every release
//! (what it would do, or why not) without writing, remembering across the run what the file
//! claims (numbers, ids, addresses) so duplicates inside it are found too; then
//! [`Store::import_releases`] writes batches, each in one transaction.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use pressroom_core::Invalid;
use pressroom_core::fold::fold;
use pressroom_core::import::{ImportRelease, old_path};
use pressroom_core::media::{NewAttachment, NewBanner, RevisionMedia};
use pressroom_core::numbering::{Number, NumberSeries, numbering_year};
use pressroom_core::release::{
    Kind, ReleaseId, RevisionInput, Spokesperson, SpokespersonId, Topic, TopicId,
};
use pressroom_core::slug::slugify;
use pressroom_core::user::Capability;
use serde_json::json;
use sqlx::{Any, Row, Transaction};

use crate::audit::{NewAuditEntry, append};
use crate::authenticity::sign_publication;
use crate::error::duplicate;
use crate::releases::{InputCheck, insert_revision, insert_translation, lock_translation};
use crate::rows::micros;
use crate::users::By;
use crate::workflow::publish;
use crate::{Change, Result, Store};

/// A release to import with its media already processed and their files stored.
#[derive(Debug, Clone)]
pub struct PreparedImport {
    /// What the archive says.
    pub release: ImportRelease,
    /// Its banner, processed.
    pub banner: Option<NewBanner>,
    /// Its attachments, processed, in order.
    pub attachments: Vec<NewAttachment>,
}

impl From<ImportRelease> for PreparedImport {
    fn from(release: ImportRelease) -> Self {
        Self {
            release,
            banner: None,
            attachments: Vec::new(),
        }
    }
}

/// What an import does with one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It is imported; the warnings say what was changed or left out on the way.
    Import {
        /// The number as the page will show it, if any (`No:367/21`).
        number: Option<String>,
        /// Things the report should mention.
        warnings: Vec<String>,
    },
    /// An earlier run imported it: nothing is done.
    Skip {
        /// The release it became.
        release_id: ReleaseId,
    },
    /// It cannot be imported; each reason names the problem and the fix.
    Refuse {
        /// Why.
        reasons: Vec<String>,
    },
}

/// One import run: the site it is checked against and what the source has claimed so far.
pub struct ImportRun {
    check: InputCheck,
    series: Vec<NumberSeries>,
    topics: Vec<Topic>,
    spokespeople: Vec<Spokesperson>,
    sources: HashSet<String>,
    numbers: HashMap<(String, i16, i64), String>,
    paths: HashSet<String>,
    new_topics: HashSet<String>,
}

impl ImportRun {
    /// Topics the run creates (by folded name), for the report.
    pub fn new_topic_count(&self) -> usize {
        self.new_topics.len()
    }

    fn kind(&self, key: &str) -> Option<&Kind> {
        self.check.kinds.iter().find(|k| k.key == key)
    }

    fn year(&self, release: &ImportRelease) -> i16 {
        release
            .number_year
            .unwrap_or_else(|| numbering_year(release.published_at, &self.check.settings.tz()))
    }

    fn display(&self, series: &str, lang: &str, release: &ImportRelease, seq: i64) -> String {
        let year = self.year(release);
        let date = release
            .published_at
            .to_zoned_datetime(self.check.settings.tz())
            .date();
        self.series.iter().find(|s| s.key == series).map_or_else(
            || format!("{seq}/{year}"),
            |s| s.display(lang, Number { year, seq }, date),
        )
    }

    /// The existing topic `name` means: by slug, else by name in any language (folded, so
    /// `Xarici Siyasət` and `xarici siyaset` are one topic).
    fn topic(&self, name: &str, lang: &str) -> Option<TopicId> {
        let key = fold(name.trim());
        let slug = slugify(lang, name);
        self.topics
            .iter()
            .find(|t| {
                t.slug == name.trim() || t.slug == slug || t.names.values().any(|n| fold(n) == key)
            })
            .map(|t| t.id)
    }

    fn spokesperson(&self, name: &str) -> Option<SpokespersonId> {
        let key = fold(name.trim());
        self.spokespeople
            .iter()
            .find(|s| s.key == name.trim() || s.names.values().any(|n| fold(n) == key))
            .map(|s| s.id)
    }
}

impl Store {
    /// Starts an import run: reads the site's kinds, series, topics and spokespeople once.
    pub async fn begin_import(&self) -> Result<ImportRun> {
        Ok(ImportRun {
            check: self.input_check().await?,
            series: self.list_series().await?,
            topics: self.list_topics().await?,
            spokespeople: self.list_spokespeople().await?,
            sources: HashSet::new(),
            numbers: HashMap::new(),
            paths: HashSet::new(),
            new_topics: HashSet::new(),
        })
    }

    /// Judges one release without writing: a release imported before is skipped; one whose
    /// number, kind, language, text or address is wrong, or whose number or id the same
    /// source already claimed, is refused with every reason. What a release claims is
    /// remembered in `run`, so check every release of the source once, in order.
    pub async fn check_import(
        &self,
        run: &mut ImportRun,
        release: &ImportRelease,
    ) -> Result<Verdict> {
        let mut reasons: Vec<String> = Vec::new();
        let mut warnings = Vec::new();
        if let Err(e) = release.validate() {
            reasons.extend(e.errors.into_iter().map(|e| e.message));
        }
        let source = release.source_id.trim().to_owned();
        if let Some(release_id) = self.imported_release(&source).await? {
            return Ok(Verdict::Skip { release_id });
        }
        if !run.sources.insert(source.clone()) {
            reasons.push(format!(
                "source id `{source}` is given twice in this import; each release needs its own"
            ));
        }
        let mut shown = None;
        match run.kind(&release.kind).cloned() {
            None => {
                let keys: Vec<&str> = run.check.kinds.iter().map(|k| k.key.as_str()).collect();
                reasons.push(format!(
                    "there is no kind `{}`; use one of: {}",
                    release.kind,
                    keys.join(", ")
                ));
            }
            Some(kind) => {
                for t in &release.translations {
                    let input = RevisionInput {
                        title: t.title.clone(),
                        lead: t.lead.clone(),
                        body: t.body.clone(),
                        spokesperson_id: None,
                        topic_ids: Vec::new(),
                        slug: t.slug.clone(),
                    };
                    if let Err(e) = run.check.check(&kind, &t.lang, &input) {
                        reasons.extend(
                            e.errors
                                .into_iter()
                                .map(|e| format!("{} ({}): {}", e.field, t.lang, e.message)),
                        );
                    }
                }
                let lang = release
                    .translations
                    .first()
                    .map_or("en", |t| t.lang.as_str());
                match (&kind.series, release.number) {
                    (Some(series), Some(seq)) => {
                        let year = run.year(release);
                        let display = run.display(series, lang, release, seq);
                        if let Some(other) = self.numbered_release(series, year, seq).await? {
                            reasons.push(format!(
                                "{display} (series `{series}`, {year}) already belongs to release {other}; numbers are never given twice — correct the number in the source"
                            ));
                        } else if let Some(other) = run
                            .numbers
                            .insert((series.clone(), year, seq), source.clone())
                        {
                            reasons.push(format!(
                                "{display} (series `{series}`, {year}) is also the number of `{other}` in this import"
                            ));
                        }
                        shown = Some(display);
                    }
                    (Some(series), None) => reasons.push(format!(
                        "a `{}` release needs its number in series `{series}`; give one, or import it as a kind without numbers",
                        kind.key
                    )),
                    (None, Some(seq)) => warnings.push(format!(
                        "kind `{}` has no numbers; number {seq} is left out",
                        kind.key
                    )),
                    (None, None) => {}
                }
            }
        }
        for t in &release.translations {
            for url in &t.old_urls {
                let Some(path) = old_path(url) else { continue };
                if !run.paths.insert(path.clone()) {
                    reasons.push(format!(
                        "the old address {path} is given twice in this import"
                    ));
                } else if self.redirect_exists(&path).await? {
                    warnings.push(format!(
                        "the old address {path} already redirects elsewhere; it is kept as it is"
                    ));
                }
            }
        }
        let lang = release.translations.first().map_or("", |t| t.lang.as_str());
        for name in &release.topics {
            if name.trim().is_empty() {
                continue;
            }
            if run.topic(name, lang).is_none() && run.new_topics.insert(fold(name.trim())) {
                warnings.push(format!("creates the topic “{}”", name.trim()));
            }
        }
        if let Some(name) = &release.spokesperson
            && run.spokesperson(name).is_none()
        {
            warnings.push(format!(
                "there is no spokesperson “{name}”; add them in the admin area and import again to attribute it"
            ));
        }
        if let Some(banner) = &release.banner {
            for t in &release.translations {
                if banner.alt.get(&t.lang).is_none_or(|a| a.trim().is_empty()) {
                    warnings.push(format!("the banner has no description in `{}`", t.lang));
                }
            }
        }
        Ok(if reasons.is_empty() {
            Verdict::Import {
                number: shown,
                warnings,
            }
        } else {
            Verdict::Refuse { reasons }
        })
    }

    /// Publishes `releases` (each checked by [`Store::check_import`]) in one transaction, as
    /// `by` (an admin), and announces them on the change stream. Topics not found are created.
    /// A release imported in the meantime is skipped; a number or address taken in the
    /// meantime fails the whole batch. Writes no outbox deliveries: an archive is not news to
    /// send to subscribers and webhooks. Returns the new releases' ids, in order (`None` for
    /// a skipped one).
    pub async fn import_releases(
        &self,
        run: &mut ImportRun,
        releases: &[PreparedImport],
        by: By<'_>,
    ) -> Result<Vec<Option<ReleaseId>>> {
        let admin = matches!(by, By::User(u) if u.role.can(Capability::Import));
        if !admin {
            return Err(Invalid::field("user", "only an admin can import releases").into());
        }
        let signing = self.signing()?;
        let tz = run.check.settings.tz();
        let author = by.id().unwrap_or_default();
        let mut ids = Vec::with_capacity(releases.len());
        let mut changes = Vec::new();
        let mut tx = self.write_tx().await?;
        let now = Timestamp::now();
        let mut topics_created = false;
        for prepared in releases {
            let release = &prepared.release;
            let source = release.source_id.trim();
            let seen: Option<i64> =
                sqlx::query_scalar("SELECT release_id FROM import_sources WHERE source_id = $1")
                    .bind(source)
                    .fetch_optional(&mut *tx)
                    .await?;
            if seen.is_some() {
                ids.push(None);
                continue;
            }
            let kind = run.kind(&release.kind).cloned().ok_or_else(|| {
                Invalid::field("kind", format!("there is no kind `{}`", release.kind))
            })?;
            let at = release.published_at;
            let year = run.year(release);
            let seq = kind.series.as_ref().and(release.number);
            let release_id: ReleaseId = sqlx::query(
                "INSERT INTO releases (kind, series, year, seq, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&kind.key)
            .bind(seq.and(kind.series.as_deref()))
            .bind(seq.map(|_| i64::from(year)))
            .bind(seq)
            .bind(micros(at))
            .bind(author)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                duplicate(e, || {
                    format!("`{source}`: its number was given to another release during the import; nothing of this batch was imported")
                })
            })?
            .try_get("id")?;
            if let (Some(series), Some(seq)) = (&kind.series, seq) {
                reserve_number(&mut tx, series, i64::from(year), seq).await?;
            }
            let lang = release.translations.first().map_or("", |t| t.lang.as_str());
            let mut topic_ids = Vec::new();
            for name in release.topics.iter().filter(|n| !n.trim().is_empty()) {
                let id = match run.topic(name, lang) {
                    Some(id) => id,
                    None => {
                        topics_created = true;
                        create_topic(&mut tx, run, name.trim(), lang, &by, now).await?
                    }
                };
                if !topic_ids.contains(&id) {
                    topic_ids.push(id);
                }
            }
            let spokesperson_id = release
                .spokesperson
                .as_deref()
                .and_then(|s| run.spokesperson(s));
            let mut media = RevisionMedia::default();
            if let Some(banner) = &prepared.banner {
                let banner = NewBanner {
                    release_id: Some(release_id),
                    ..banner.clone()
                };
                media.banner = Some(crate::media::insert_banner(&mut tx, &banner, &by, now).await?);
            }
            for attachment in &prepared.attachments {
                let attachment = NewAttachment {
                    release_id: Some(release_id),
                    ..attachment.clone()
                };
                media
                    .attachments
                    .push(crate::media::insert_attachment(&mut tx, &attachment, &by, now).await?);
            }
            for t in &release.translations {
                let input = RevisionInput {
                    title: t.title.clone(),
                    lead: t.lead.clone(),
                    body: t.body.clone(),
                    spokesperson_id,
                    topic_ids: topic_ids.clone(),
                    slug: t.slug.clone().filter(|s| !s.trim().is_empty()),
                };
                let translation_id =
                    insert_translation(&mut tx, release_id, &t.lang, &input, at).await?;
                let revision_id =
                    insert_revision(&mut tx, translation_id, 1, &input, author, at).await?;
                crate::media::link_revision(&mut tx, revision_id, revision_id, Some(&media))
                    .await?;
                sqlx::query("UPDATE translations SET head_revision_id = $1 WHERE id = $2")
                    .bind(revision_id)
                    .bind(translation_id)
                    .execute(&mut *tx)
                    .await?;
                let translation =
                    lock_translation(&mut tx, self.for_update(), translation_id).await?;
                let published = publish(&mut tx, &translation, None, by, false, at, &tz).await?;
                sign_publication(&mut tx, &signing, &translation, None, published, &tz, true)
                    .await?;
                for url in &t.old_urls {
                    let Some(path) = old_path(url) else { continue };
                    sqlx::query(
                        "INSERT INTO redirects (old_path, translation_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (old_path) DO NOTHING",
                    )
                    .bind(path)
                    .bind(translation_id)
                    .bind(micros(now))
                    .execute(&mut *tx)
                    .await?;
                }
                let mut entry = NewAuditEntry::new(
                    &by,
                    "release.import",
                    format!("translation:{translation_id}"),
                    json!({ "release": release_id, "lang": t.lang, "revision": revision_id, "source": source }),
                );
                entry.at = now;
                append(&mut *tx, entry).await?;
                changes.push((
                    Change::Release {
                        release_id,
                        lang: t.lang.clone(),
                    },
                    now,
                ));
            }
            sqlx::query(
                "INSERT INTO import_sources (source_id, release_id, imported_at, imported_by) VALUES ($1, $2, $3, $4)",
            )
            .bind(source)
            .bind(release_id)
            .bind(micros(now))
            .bind(by.id())
            .execute(&mut *tx)
            .await?;
            ids.push(Some(release_id));
        }
        if topics_created {
            changes.push((Change::Site, now));
        }
        // Last, just before the commit, as every write does (`changes::record`).
        let mut recorded = Vec::with_capacity(changes.len());
        for (change, at) in changes {
            let seq = crate::changes::record(&mut tx, self.backend, &change, at).await?;
            recorded.push((change, seq));
        }
        tx.commit().await?;
        for (change, seq) in &recorded {
            self.notify(change, *seq);
        }
        Ok(ids)
    }

    /// The release an earlier import made of `source_id`, if any.
    pub async fn imported_release(&self, source_id: &str) -> Result<Option<ReleaseId>> {
        Ok(
            sqlx::query_scalar("SELECT release_id FROM import_sources WHERE source_id = $1")
                .bind(source_id.trim())
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn numbered_release(
        &self,
        series: &str,
        year: i16,
        seq: i64,
    ) -> Result<Option<ReleaseId>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM releases WHERE series = $1 AND year = $2 AND seq = $3",
        )
        .bind(series)
        .bind(i64::from(year))
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn redirect_exists(&self, path: &str) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM redirects WHERE old_path = $1")
            .bind(path)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }
}

/// Moves `series`' counter for `year` past `seq`, so the number is never allocated again.
pub(crate) async fn reserve_number(
    tx: &mut Transaction<'static, Any>,
    series: &str,
    year: i64,
    seq: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO number_counters (series, year, last_seq) VALUES ($1, $2, $3) \
         ON CONFLICT (series, year) DO UPDATE SET last_seq = \
         CASE WHEN number_counters.last_seq < excluded.last_seq THEN excluded.last_seq ELSE number_counters.last_seq END",
    )
    .bind(series)
    .bind(year)
    .bind(seq)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Creates the topic `name` (named in `lang`), remembered by the run for later releases.
async fn create_topic(
    tx: &mut Transaction<'static, Any>,
    run: &mut ImportRun,
    name: &str,
    lang: &str,
    by: &By<'_>,
    now: Timestamp,
) -> Result<TopicId> {
    let mut slug = slugify(lang, name);
    if slug.is_empty() {
        slug = format!("topic-{}", run.topics.len() + 1);
    }
    let names = pressroom_core::language::Localized::from([(lang.to_owned(), name.to_owned())]);
    let id: TopicId = sqlx::query("INSERT INTO topics (slug, names) VALUES ($1, $2) RETURNING id")
        .bind(&slug)
        .bind(crate::rows::to_json(&names)?)
        .fetch_one(&mut **tx)
        .await?
        .try_get("id")?;
    let mut entry = NewAuditEntry::new(
        by,
        "topic.add",
        format!("topic:{id}"),
        json!({ "slug": slug, "names": names, "import": true }),
    );
    entry.at = now;
    append(&mut **tx, entry).await?;
    run.topics.push(Topic { id, slug, names });
    Ok(id)
}
