//! The site's reference data — settings, kinds, series, topics, spokespeople and the footer's
//! pages — read together. Every public page needs all of it and it changes a few times a
//! year, so the web layer keeps one copy in memory and reads it again only after a
//! [`Change::Site`](crate::Change::Site) or [`Change::Page`](crate::Change::Page).

use pressroom_core::numbering::NumberSeries;
use pressroom_core::release::{Kind, Spokesperson, Topic};
use pressroom_core::settings::SiteSettings;
use sqlx::Row;

use crate::{Result, Store};

/// One editable page as the footer links it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    /// Its slug, the same in every language.
    pub slug: String,
    /// Its language.
    pub lang: String,
    /// Its title in that language.
    pub title: String,
}

/// Everything rarely changing that a public page reads.
#[derive(Debug, Clone, Default)]
pub struct SiteReference {
    /// The site settings.
    pub settings: SiteSettings,
    /// The kinds, in their order.
    pub kinds: Vec<Kind>,
    /// The number series.
    pub series: Vec<NumberSeries>,
    /// The topics, by slug.
    pub topics: Vec<Topic>,
    /// The spokespeople, by key.
    pub spokespeople: Vec<Spokesperson>,
    /// Every editable page in every language, by slug.
    pub pages: Vec<PageLink>,
}

impl SiteReference {
    /// The pages of `lang`, by slug: the footer's links.
    pub fn pages_in<'a>(&'a self, lang: &'a str) -> impl Iterator<Item = &'a PageLink> + 'a {
        self.pages.iter().filter(move |p| p.lang == lang)
    }

    /// Whether page `slug` exists in `lang`.
    pub fn has_page(&self, slug: &str, lang: &str) -> bool {
        self.pages.iter().any(|p| p.slug == slug && p.lang == lang)
    }
}

impl Store {
    /// Reads the reference data (six small queries).
    pub async fn site_reference(&self) -> Result<SiteReference> {
        let rows = sqlx::query("SELECT slug, lang, title FROM pages ORDER BY slug, lang")
            .fetch_all(&self.pool)
            .await?;
        let pages = rows
            .iter()
            .map(|r| {
                Ok(PageLink {
                    slug: r.try_get("slug")?,
                    lang: r.try_get("lang")?,
                    title: r.try_get("title")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(SiteReference {
            settings: self.site_settings().await?,
            kinds: self.list_kinds().await?,
            series: self.list_series().await?,
            topics: self.list_topics().await?,
            spokespeople: self.list_spokespeople().await?,
            pages,
        })
    }
}
