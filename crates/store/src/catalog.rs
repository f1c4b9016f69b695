//! The site's reference data: settings, number series, kinds, topics, spokespeople and the
//! editable pages. Small tables, each change audited.

use jiff::Timestamp;
use pressroom_core::language::Localized;
use pressroom_core::numbering::NumberSeries;
use pressroom_core::release::{Kind, Page, Spokesperson, Topic, TopicId};
use pressroom_core::settings::SiteSettings;
use pressroom_core::{Invalid, slug};
use serde_json::json;
use sqlx::Row;

use crate::audit::{NewAuditEntry, append};
use crate::error::duplicate;
use crate::rows::{from_json, instant, micros, to_json};
use crate::users::By;
use crate::{Result, Store, StoreError};

pub(crate) const SITE_SETTINGS_KEY: &str = "site";

impl Store {
    /// Ends a change to the reference data: audits it, commits, and tells the listeners what
    /// readers now see differently. Every catalog write ends here.
    async fn commit_catalog(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Any>,
        entry: NewAuditEntry<'_>,
        change: crate::Change,
    ) -> Result<()> {
        let at = entry.at;
        append(&mut *tx, entry).await?;
        let seq = crate::changes::record(&mut tx, self.backend, &change, at).await?;
        tx.commit().await?;
        self.notify(&change, seq);
        Ok(())
    }

    /// The site settings; defaults until an admin saves them.
    pub async fn site_settings(&self) -> Result<SiteSettings> {
        match self.setting(SITE_SETTINGS_KEY).await? {
            Some(text) => from_json(&text, "site settings"),
            None => Ok(SiteSettings::default()),
        }
    }

    /// Validates and saves the site settings.
    pub async fn save_site_settings(&self, settings: &SiteSettings, by: By<'_>) -> Result<()> {
        settings.validate()?;
        self.put_setting(SITE_SETTINGS_KEY, &to_json(settings)?, by)
            .await
    }

    /// A raw setting, by key.
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    /// Writes a raw setting and audits it.
    pub async fn put_setting(&self, key: &str, value: &str, by: By<'_>) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await?;
        self.commit_catalog(
            tx,
            NewAuditEntry::new(
                &by,
                "settings.update",
                format!("setting:{key}"),
                json!({ "value": value }),
            ),
            crate::Change::Site,
        )
        .await?;
        Ok(())
    }

    /// Creates or replaces a number series.
    pub async fn save_series(&self, series: &NumberSeries, by: By<'_>) -> Result<()> {
        series.validate()?;
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO number_series (key, name, template, templates) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET name = excluded.name, template = excluded.template, \
             templates = excluded.templates",
        )
        .bind(&series.key)
        .bind(&series.name)
        .bind(&series.template)
        .bind(to_json(&series.templates)?)
        .execute(&mut *tx)
        .await?;
        self.commit_catalog(
            tx,
            NewAuditEntry::new(
                &by,
                "series.save",
                format!("series:{}", series.key),
                serde_json::to_value(series).unwrap_or_default(),
            ),
            crate::Change::Site,
        )
        .await?;
        Ok(())
    }

    /// Every number series, by key.
    pub async fn list_series(&self) -> Result<Vec<NumberSeries>> {
        let rows =
            sqlx::query("SELECT key, name, template, templates FROM number_series ORDER BY key")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(NumberSeries {
                    key: r.try_get("key")?,
                    name: r.try_get("name")?,
                    template: r.try_get("template")?,
                    templates: from_json(
                        &r.try_get::<String, _>("templates")?,
                        "series templates",
                    )?,
                })
            })
            .collect()
    }

    /// Creates or replaces a kind; `position` orders kinds in menus.
    pub async fn save_kind(&self, kind: &Kind, position: i64, by: By<'_>) -> Result<()> {
        kind.validate()?;
        if let Some(series) = &kind.series
            && !self.list_series().await?.iter().any(|s| &s.key == series)
        {
            return Err(Invalid::field(
                "series",
                format!("there is no number series `{series}`; create it first"),
            )
            .into());
        }
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO kinds (key, names, series, question_answer, position) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (key) DO UPDATE SET names = excluded.names, series = excluded.series, \
             question_answer = excluded.question_answer, position = excluded.position",
        )
        .bind(&kind.key)
        .bind(to_json(&kind.names)?)
        .bind(kind.series.as_deref())
        .bind(i64::from(kind.question_answer))
        .bind(position)
        .execute(&mut *tx)
        .await?;
        self.commit_catalog(
            tx,
            NewAuditEntry::new(
                &by,
                "kind.save",
                format!("kind:{}", kind.key),
                serde_json::to_value(kind).unwrap_or_default(),
            ),
            crate::Change::Site,
        )
        .await?;
        Ok(())
    }

    /// Every kind, in menu order.
    pub async fn list_kinds(&self) -> Result<Vec<Kind>> {
        let rows = sqlx::query(
            "SELECT key, names, series, question_answer FROM kinds ORDER BY position, key",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Kind {
                    key: r.try_get("key")?,
                    names: from_json(&r.try_get::<String, _>("names")?, "kind names")?,
                    series: r.try_get("series")?,
                    question_answer: r.try_get::<i64, _>("question_answer")? != 0,
                })
            })
            .collect()
    }

    /// The kind with `key`.
    pub async fn kind(&self, key: &str) -> Result<Kind> {
        self.list_kinds()
            .await?
            .into_iter()
            .find(|k| k.key == key)
            .ok_or_else(|| StoreError::not_found(format!("kind `{key}`")))
    }

    /// Creates a topic.
    pub async fn create_topic(
        &self,
        slug_text: &str,
        names: &Localized,
        by: By<'_>,
    ) -> Result<Topic> {
        let mut invalid = Invalid::default();
        if !slug::is_valid_slug(slug_text) {
            invalid.push("slug", "use lowercase letters, digits and single hyphens");
        }
        if names.values().all(|n| n.trim().is_empty()) {
            invalid.push("names", "give the topic a name in at least one language");
        }
        invalid.into_result(())?;
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("INSERT INTO topics (slug, names) VALUES ($1, $2) RETURNING id")
            .bind(slug_text)
            .bind(to_json(names)?)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                duplicate(e, || {
                    format!("a topic with the slug `{slug_text}` exists already")
                })
            })?;
        let id: TopicId = row.try_get("id")?;
        self.commit_catalog(
            tx,
            NewAuditEntry::new(
                &by,
                "topic.add",
                format!("topic:{id}"),
                json!({ "slug": slug_text, "names": names }),
            ),
            crate::Change::Site,
        )
        .await?;
        Ok(Topic {
            id,
            slug: slug_text.to_owned(),
            names: names.clone(),
        })
    }

    /// Every topic, by slug.
    pub async fn list_topics(&self) -> Result<Vec<Topic>> {
        let rows = sqlx::query("SELECT id, slug, names FROM topics ORDER BY slug")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Topic {
                    id: r.try_get("id")?,
                    slug: r.try_get("slug")?,
                    names: from_json(&r.try_get::<String, _>("names")?, "topic names")?,
                })
            })
            .collect()
    }

    /// Creates a spokesperson.
    pub async fn create_spokesperson(
        &self,
        key: &str,
        names: &Localized,
        positions: &Localized,
        by: By<'_>,
    ) -> Result<Spokesperson> {
        let mut invalid = Invalid::default();
        if !slug::is_valid_slug(key) {
            invalid.push("key", "use lowercase letters, digits and single hyphens");
        }
        if names.values().all(|n| n.trim().is_empty()) {
            invalid.push(
                "names",
                "give the spokesperson's name in at least one language",
            );
        }
        invalid.into_result(())?;
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "INSERT INTO spokespeople (key, names, positions) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(key)
        .bind(to_json(names)?)
        .bind(to_json(positions)?)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            duplicate(e, || {
                format!("a spokesperson with the key `{key}` exists already")
            })
        })?;
        let id = row.try_get("id")?;
        self.commit_catalog(
            tx,
            NewAuditEntry::new(
                &by,
                "spokesperson.add",
                format!("spokesperson:{id}"),
                json!({ "key": key }),
            ),
            crate::Change::Site,
        )
        .await?;
        Ok(Spokesperson {
            id,
            key: key.to_owned(),
            names: names.clone(),
            positions: positions.clone(),
        })
    }

    /// Every spokesperson, by key.
    pub async fn list_spokespeople(&self) -> Result<Vec<Spokesperson>> {
        let rows = sqlx::query("SELECT id, key, names, positions FROM spokespeople ORDER BY key")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Spokesperson {
                    id: r.try_get("id")?,
                    key: r.try_get("key")?,
                    names: from_json(&r.try_get::<String, _>("names")?, "spokesperson names")?,
                    positions: from_json(
                        &r.try_get::<String, _>("positions")?,
                        "spokesperson positions",
                    )?,
                })
            })
            .collect()
    }

    /// Creates or replaces a page in one language.
    pub async fn save_page(
        &self,
        page_slug: &str,
        lang: &str,
        title: &str,
        body: &str,
        by: By<'_>,
    ) -> Result<()> {
        let mut invalid = Invalid::default();
        if !slug::is_valid_slug(page_slug) {
            invalid.push(
                "slug",
                "use lowercase letters, digits and single hyphens, such as `privacy`",
            );
        }
        if title.trim().is_empty() {
            invalid.push("title", "is required");
        }
        if body.trim().is_empty() {
            invalid.push("body", "is required");
        }
        invalid.into_result(())?;
        let now = Timestamp::now();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO pages (slug, lang, title, body, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (slug, lang) DO UPDATE SET title = excluded.title, body = excluded.body, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(page_slug)
        .bind(lang)
        .bind(title.trim())
        .bind(body)
        .bind(micros(now))
        .bind(by.id())
        .execute(&mut *tx)
        .await?;
        self.commit_catalog(
            tx,
            NewAuditEntry::new(
                &by,
                "page.save",
                format!("page:{page_slug}:{lang}"),
                json!({ "title": title }),
            ),
            crate::Change::Page {
                slug: page_slug.to_owned(),
                lang: lang.to_owned(),
            },
        )
        .await?;
        Ok(())
    }

    /// A page in a language.
    pub async fn page(&self, page_slug: &str, lang: &str) -> Result<Page> {
        let row = sqlx::query(
            "SELECT slug, lang, title, body, updated_at FROM pages WHERE slug = $1 AND lang = $2",
        )
        .bind(page_slug)
        .bind(lang)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("page `{page_slug}` in `{lang}`")))?;
        Ok(Page {
            slug: row.try_get("slug")?,
            lang: row.try_get("lang")?,
            title: row.try_get("title")?,
            body: row.try_get("body")?,
            updated_at: instant(row.try_get("updated_at")?)?,
        })
    }

    /// The slugs and titles of the pages in a language.
    pub async fn list_pages(&self, lang: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT slug, title FROM pages WHERE lang = $1 ORDER BY slug")
            .bind(lang)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("slug")?, r.try_get("title")?)))
            .collect()
    }

    /// Sets up a new site: settings, the main series and the default kinds, once. Later calls
    /// change nothing.
    pub async fn bootstrap(&self, settings: &SiteSettings, by: By<'_>) -> Result<()> {
        if self.setting(SITE_SETTINGS_KEY).await?.is_some() {
            return Ok(());
        }
        self.save_site_settings(settings, by).await?;
        self.save_series(&NumberSeries::default_main(), by).await?;
        for (position, kind) in pressroom_core::release::default_kinds().iter().enumerate() {
            self.save_kind(kind, position as i64, by).await?;
        }
        Ok(())
    }
}
