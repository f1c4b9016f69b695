//! Releases, translations and revisions. Every save inserts a new revision (the schema forbids
//! changing one) and moves the translation's head to it, guarded by the translation's version
//! so two people editing at once cannot overwrite each other.

use jiff::Timestamp;
use pressroom_core::Invalid;
use pressroom_core::numbering::Number;
use pressroom_core::release::{
    Kind, Release, ReleaseId, Revision, RevisionId, RevisionInput, Translation, TranslationId,
};
use pressroom_core::workflow::{self, Action, Actor};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::audit::{NewAuditEntry, append};
use crate::error::is_unique_violation;
use crate::rows::{instant, micros, opt_instant, parse, sql};
use crate::users::By;
use crate::{Result, Store, StoreError};

/// What it takes to start a release: its kind and its first translation.
#[derive(Debug, Clone)]
pub struct NewRelease {
    /// The kind's key.
    pub kind: String,
    /// The first translation's language.
    pub lang: String,
    /// The first revision.
    pub input: RevisionInput,
}

/// A translation with its release and revisions, as the editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TranslationDetail {
    /// The release.
    pub release: Release,
    /// The translation.
    pub translation: Translation,
    /// Its newest revision.
    pub head: Revision,
}

pub(crate) const TRANSLATION_COLUMNS: &str = "t.id, t.release_id, t.lang, t.slug, t.state, t.head_revision_id, \
     t.live_revision_id, t.scheduled_at, t.first_published_at, t.withdrawn_at, t.withdrawal_explanation, t.version";

pub(crate) fn translation_from_row(row: &AnyRow) -> Result<Translation> {
    Ok(Translation {
        id: row.try_get("id")?,
        release_id: row.try_get("release_id")?,
        lang: row.try_get("lang")?,
        slug: row.try_get("slug")?,
        state: parse(&row.try_get::<String, _>("state")?)?,
        head_revision_id: row
            .try_get::<Option<i64>, _>("head_revision_id")?
            .ok_or_else(|| StoreError::Corrupt("a translation has no revision".to_owned()))?,
        live_revision_id: row.try_get("live_revision_id")?,
        scheduled_at: opt_instant(row.try_get("scheduled_at")?)?,
        first_published_at: opt_instant(row.try_get("first_published_at")?)?,
        withdrawn_at: opt_instant(row.try_get("withdrawn_at")?)?,
        withdrawal_explanation: row.try_get("withdrawal_explanation")?,
        version: row.try_get("version")?,
    })
}

pub(crate) const RELEASE_COLUMNS: &str =
    "r.id, r.kind, r.series, r.year, r.seq, r.first_published_at, r.created_at";

pub(crate) fn release_from_row(row: &AnyRow) -> Result<Release> {
    let year: Option<i64> = row.try_get("year")?;
    let seq: Option<i64> = row.try_get("seq")?;
    let number = match (year, seq) {
        (Some(year), Some(seq)) => Some(Number {
            year: i16::try_from(year).map_err(|_| StoreError::Corrupt(format!("year {year}")))?,
            seq,
        }),
        _ => None,
    };
    Ok(Release {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        series: row.try_get("series")?,
        number,
        first_published_at: opt_instant(row.try_get("first_published_at")?)?,
        created_at: instant(row.try_get("created_at")?)?,
    })
}

/// A revision's columns, its topics folded into one (`1,4,9`: `string_agg` is in both
/// backends), so reading a revision is one statement, not one more for its topics.
const REVISION_COLUMNS: &str = "id, translation_id, seq, title, lead, body, spokesperson_id, author_id, created_at, \
     (SELECT string_agg(CAST(rt.topic_id AS TEXT), ',' ORDER BY rt.topic_id) FROM revision_topics rt \
      WHERE rt.revision_id = revisions.id) AS topic_ids";

fn revision_from_row(row: &AnyRow) -> Result<Revision> {
    let topic_ids = match row.try_get::<Option<String>, _>("topic_ids")? {
        Some(list) => list
            .split(',')
            .map(|id| {
                id.parse()
                    .map_err(|_| StoreError::Corrupt(format!("topic id `{id}` in revision_topics")))
            })
            .collect::<Result<_>>()?,
        None => Vec::new(),
    };
    Ok(Revision {
        id: row.try_get("id")?,
        translation_id: row.try_get("translation_id")?,
        seq: row.try_get("seq")?,
        title: row.try_get("title")?,
        lead: row.try_get("lead")?,
        body: row.try_get("body")?,
        spokesperson_id: row.try_get("spokesperson_id")?,
        topic_ids,
        author_id: row.try_get("author_id")?,
        created_at: instant(row.try_get("created_at")?)?,
    })
}

/// The workflow actor for `by`; the command line cannot act in the workflow.
pub(crate) fn workflow_actor(by: By<'_>) -> Result<Actor> {
    match by {
        By::User(u) => Ok(Actor::User {
            id: u.id,
            role: u.role,
        }),
        By::Scheduler => Ok(Actor::Scheduler),
        By::Cli => Err(Invalid::field(
            "user",
            "releases are written and reviewed by named users, not the command line",
        )
        .into()),
    }
}

impl Store {
    /// Starts a release with its first translation as a draft.
    pub async fn create_release(&self, new: &NewRelease, by: By<'_>) -> Result<TranslationDetail> {
        let actor = workflow_actor(by)?;
        if let Actor::User { role, .. } = actor
            && !role.can(pressroom_core::user::Capability::Write)
        {
            return Err(Invalid::field("user", "your role cannot write releases").into());
        }
        let kind = self.kind_for_input(&new.kind).await?;
        self.check_input(&kind, &new.lang, &new.input).await?;
        let now = Timestamp::now();
        let author = by.id().unwrap_or_default();
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO releases (kind, created_at, created_by) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&kind.key)
        .bind(micros(now))
        .bind(author)
        .fetch_one(&mut *tx)
        .await?;
        let release_id: ReleaseId = row.try_get("id")?;
        let translation_id =
            insert_translation(&mut tx, release_id, &new.lang, &new.input, now).await?;
        let revision_id =
            insert_revision(&mut tx, translation_id, 1, &new.input, author, now).await?;
        sqlx::query("UPDATE translations SET head_revision_id = $1 WHERE id = $2")
            .bind(revision_id)
            .bind(translation_id)
            .execute(&mut *tx)
            .await?;
        let details = json!({ "release": release_id, "kind": kind.key, "lang": new.lang, "revision": revision_id });
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                "release.create",
                format!("translation:{translation_id}"),
                details,
            ),
        )
        .await?;
        tx.commit().await?;
        self.translation_detail(translation_id).await
    }

    /// Adds a translation in another language to a release, as a draft.
    pub async fn add_translation(
        &self,
        release_id: ReleaseId,
        lang: &str,
        input: &RevisionInput,
        by: By<'_>,
    ) -> Result<TranslationDetail> {
        workflow_actor(by)?;
        let release = self.release(release_id).await?;
        let kind = self.kind(&release.kind).await?;
        self.check_input(&kind, lang, input).await?;
        let now = Timestamp::now();
        let author = by.id().unwrap_or_default();
        let mut tx = self.write_tx().await?;
        let translation_id = insert_translation(&mut tx, release_id, lang, input, now)
            .await
            .map_err(|e| match e {
                StoreError::Database(db) if is_unique_violation(&db) => {
                    StoreError::Duplicate(format!(
                        "this release already has a translation in `{lang}`; edit that one instead"
                    ))
                }
                other => other,
            })?;
        let revision_id = insert_revision(&mut tx, translation_id, 1, input, author, now).await?;
        sqlx::query("UPDATE translations SET head_revision_id = $1 WHERE id = $2")
            .bind(revision_id)
            .bind(translation_id)
            .execute(&mut *tx)
            .await?;
        let details = json!({ "release": release_id, "lang": lang, "revision": revision_id });
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                "translation.add",
                format!("translation:{translation_id}"),
                details,
            ),
        )
        .await?;
        tx.commit().await?;
        self.translation_detail(translation_id).await
    }

    /// Saves a new revision of a translation. `expected_version` is the translation's version
    /// when the person started editing; if someone saved since, nothing is written and
    /// [`StoreError::Conflict`] says so.
    pub async fn save_revision(
        &self,
        translation_id: TranslationId,
        expected_version: i64,
        input: &RevisionInput,
        by: By<'_>,
    ) -> Result<TranslationDetail> {
        self.save_revision_showing(translation_id, expected_version, input, None, by)
            .await
    }

    /// [`Store::save_revision`], with the new revision's banner and attachments: `media`, or
    /// when `None` whatever the previous revision showed (see `media::link_revision`).
    pub(crate) async fn save_revision_showing(
        &self,
        translation_id: TranslationId,
        expected_version: i64,
        input: &RevisionInput,
        media: Option<crate::media::MediaPlan<'_>>,
        by: By<'_>,
    ) -> Result<TranslationDetail> {
        let actor = workflow_actor(by)?;
        let current = self.translation(translation_id).await?;
        let release = self.release(current.release_id).await?;
        let kind = self.kind(&release.kind).await?;
        self.check_input(&kind, &current.lang, input).await?;
        let settings = self.site_settings().await?;
        let now = Timestamp::now();
        let author = by.id().unwrap_or_default();
        let mut tx = self.write_tx().await?;
        let translation = lock_translation(&mut tx, self.for_update(), translation_id).await?;
        if translation.version != expected_version {
            return Err(StoreError::Conflict {
                expected: expected_version,
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
        let outcome = workflow::check(translation.state, &Action::Edit, &ctx)?;
        let seq: i64 = sqlx::query("SELECT MAX(seq) AS s FROM revisions WHERE translation_id = $1")
            .bind(translation_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get::<Option<i64>, _>("s")?
            .unwrap_or(0)
            + 1;
        let revision_id = insert_revision(&mut tx, translation_id, seq, input, author, now).await?;
        // New media rows and their links, in the same transaction as the revision.
        let media = match media {
            Some(plan) => Some(plan.insert(&mut tx, &by, now).await?),
            None => None,
        };
        crate::media::link_revision(
            &mut tx,
            translation.head_revision_id,
            revision_id,
            media.as_ref(),
        )
        .await?;
        sqlx::query(
            "UPDATE translations SET head_revision_id = $1, slug = $2, state = $3, version = version + 1, \
             updated_at = $4 WHERE id = $5",
        )
        .bind(revision_id)
        .bind(input.slug_for(&translation.lang))
        .bind(outcome.next.as_str())
        .bind(micros(now))
        .bind(translation_id)
        .execute(&mut *tx)
        .await?;
        let details = json!({ "revision": revision_id, "seq": seq, "from": translation.state.as_str(), "to": outcome.next.as_str() });
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                "edit",
                format!("translation:{translation_id}"),
                details,
            ),
        )
        .await?;
        tx.commit().await?;
        self.translation_detail(translation_id).await
    }

    /// A release.
    pub async fn release(&self, id: ReleaseId) -> Result<Release> {
        let row = sqlx::query(sql(format!(
            "SELECT {RELEASE_COLUMNS} FROM releases r WHERE r.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("release {id}")))?;
        release_from_row(&row)
    }

    /// A translation.
    pub async fn translation(&self, id: TranslationId) -> Result<Translation> {
        let row = sqlx::query(sql(format!(
            "SELECT {TRANSLATION_COLUMNS} FROM translations t WHERE t.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("translation {id}")))?;
        translation_from_row(&row)
    }

    /// The translation, if it is still at `expected_version`; [`StoreError::Conflict`]
    /// otherwise. For work that is costly to redo (processing an upload) before the save that
    /// checks the version again under lock.
    pub async fn translation_at(
        &self,
        id: TranslationId,
        expected_version: i64,
    ) -> Result<Translation> {
        let translation = self.translation(id).await?;
        if translation.version != expected_version {
            return Err(StoreError::Conflict {
                expected: expected_version,
                current: translation.version,
            });
        }
        Ok(translation)
    }

    /// Up to `limit` translation ids after `after`, in id order, whatever their state: the
    /// way through every translation for an export, a page at a time.
    pub async fn translation_ids_after(
        &self,
        after: TranslationId,
        limit: i64,
    ) -> Result<Vec<TranslationId>> {
        let rows = sqlx::query("SELECT id FROM translations WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// How many translations there are, in any state.
    pub async fn count_translations(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM translations")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// The translations of a release, by language.
    pub async fn translations_of(&self, release_id: ReleaseId) -> Result<Vec<Translation>> {
        let rows = sqlx::query(sql(format!(
            "SELECT {TRANSLATION_COLUMNS} FROM translations t WHERE t.release_id = $1 ORDER BY t.lang"
        )))
        .bind(release_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(translation_from_row).collect()
    }

    /// A translation with its release and newest revision.
    pub async fn translation_detail(&self, id: TranslationId) -> Result<TranslationDetail> {
        let translation = self.translation(id).await?;
        let release = self.release(translation.release_id).await?;
        let head = self.revision(translation.head_revision_id).await?;
        Ok(TranslationDetail {
            release,
            translation,
            head,
        })
    }

    /// A revision.
    pub async fn revision(&self, id: RevisionId) -> Result<Revision> {
        let row = sqlx::query(sql(format!(
            "SELECT {REVISION_COLUMNS} FROM revisions WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("revision {id}")))?;
        revision_from_row(&row)
    }

    /// Every revision of a translation, oldest first.
    pub async fn revisions(&self, translation_id: TranslationId) -> Result<Vec<Revision>> {
        let rows = sqlx::query(sql(format!(
            "SELECT {REVISION_COLUMNS} FROM revisions WHERE translation_id = $1 ORDER BY seq"
        )))
        .bind(translation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(revision_from_row).collect()
    }

    async fn kind_for_input(&self, key: &str) -> Result<Kind> {
        match self.kind(key).await {
            Err(StoreError::NotFound(_)) => {
                Err(Invalid::field("kind", format!("there is no kind `{key}`")).into())
            }
            other => other,
        }
    }

    /// Checks a revision against the domain rules and the site's languages, topics and
    /// spokespeople, so a bad reference is a field error rather than a constraint failure.
    async fn check_input(&self, kind: &Kind, lang: &str, input: &RevisionInput) -> Result<()> {
        Ok(self.input_check().await?.check(kind, lang, input)?)
    }

    /// What [`InputCheck::check`] compares a revision with, read once for many revisions.
    pub(crate) async fn input_check(&self) -> Result<InputCheck> {
        Ok(InputCheck {
            settings: self.site_settings().await?,
            kinds: self.list_kinds().await?,
            topics: self.list_topics().await?.iter().map(|t| t.id).collect(),
            spokespeople: self
                .list_spokespeople()
                .await?
                .iter()
                .map(|s| s.id)
                .collect(),
        })
    }
}

/// The site's settings, kinds, topics and spokespeople, to check revisions against.
pub(crate) struct InputCheck {
    pub settings: pressroom_core::settings::SiteSettings,
    pub kinds: Vec<Kind>,
    topics: Vec<pressroom_core::release::TopicId>,
    spokespeople: Vec<pressroom_core::release::SpokespersonId>,
}

impl InputCheck {
    /// Every problem with `input` as a `kind` text in `lang`.
    pub(crate) fn check(
        &self,
        kind: &Kind,
        lang: &str,
        input: &RevisionInput,
    ) -> Result<(), Invalid> {
        let mut invalid = input.validate(kind).err().unwrap_or_default();
        if self.settings.language(lang).is_none() {
            let codes: Vec<&str> = self
                .settings
                .languages
                .iter()
                .map(|l| l.code.as_str())
                .collect();
            invalid.push(
                "lang",
                format!(
                    "the site does not publish in `{lang}`; its languages are {}",
                    codes.join(", ")
                ),
            );
        }
        for id in &input.topic_ids {
            if !self.topics.contains(id) {
                invalid.push("topic_ids", format!("there is no topic {id}"));
            }
        }
        if let Some(id) = input.spokesperson_id
            && !self.spokespeople.contains(&id)
        {
            invalid.push("spokesperson_id", format!("there is no spokesperson {id}"));
        }
        invalid.into_result(())
    }
}

pub(crate) async fn insert_translation(
    tx: &mut Transaction<'static, Any>,
    release_id: ReleaseId,
    lang: &str,
    input: &RevisionInput,
    now: Timestamp,
) -> Result<TranslationId> {
    let row = sqlx::query(
        "INSERT INTO translations (release_id, lang, slug, state, updated_at) VALUES ($1, $2, $3, 'draft', $4) RETURNING id",
    )
    .bind(release_id)
    .bind(lang)
    .bind(input.slug_for(lang))
    .bind(micros(now))
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.try_get("id")?)
}

pub(crate) async fn insert_revision(
    tx: &mut Transaction<'static, Any>,
    translation_id: TranslationId,
    seq: i64,
    input: &RevisionInput,
    author: i64,
    now: Timestamp,
) -> Result<RevisionId> {
    let row = sqlx::query(
        "INSERT INTO revisions (translation_id, seq, title, lead, body, spokesperson_id, author_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(translation_id)
    .bind(seq)
    .bind(input.title.trim())
    .bind(input.lead.trim())
    .bind(&input.body)
    .bind(input.spokesperson_id)
    .bind(author)
    .bind(micros(now))
    .fetch_one(&mut **tx)
    .await?;
    let revision_id: RevisionId = row.try_get("id")?;
    // Every new revision becomes the head: the editorial list now searches its text.
    crate::editorial::index_head_text(
        tx,
        translation_id,
        input.title.trim(),
        input.lead.trim(),
        &input.body,
    )
    .await?;
    for topic_id in &input.topic_ids {
        sqlx::query("INSERT INTO revision_topics (revision_id, topic_id) VALUES ($1, $2)")
            .bind(revision_id)
            .bind(topic_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(revision_id)
}

/// Reads a translation inside a write transaction, locking its row on PostgreSQL.
pub(crate) async fn lock_translation(
    tx: &mut Transaction<'static, Any>,
    for_update: &str,
    id: TranslationId,
) -> Result<Translation> {
    let row = sqlx::query(sql(format!(
        "SELECT {TRANSLATION_COLUMNS} FROM translations t WHERE t.id = $1{for_update}"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::not_found(format!("translation {id}")))?;
    translation_from_row(&row)
}

/// The author of a revision.
pub(crate) async fn head_author(
    tx: &mut Transaction<'static, Any>,
    revision_id: RevisionId,
) -> Result<i64> {
    Ok(sqlx::query("SELECT author_id FROM revisions WHERE id = $1")
        .bind(revision_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("author_id")?)
}
