//! What templates show, made from store records: URLs, dates in the page's language, official
//! numbers in the series' format. Templates receive only these plain structures.

use jiff::Timestamp;
use jiff::civil::Date;
use pressroom_core::language::pick;
use pressroom_core::markdown::QaLabels;
use pressroom_core::numbering::NumberSeries;
use pressroom_core::release::{Kind, Release, Topic};
use pressroom_core::settings::SiteSettings;
use pressroom_store::PublicSummary;
use serde::Serialize;

use crate::i18n::I18n;

/// The parts of every page: site name, languages, footer, feeds.
#[derive(Debug, Serialize)]
pub(crate) struct Chrome {
    pub lang: String,
    pub dir: &'static str,
    pub site_title: String,
    pub rights_notice: String,
    pub css_url: String,
    pub js_url: String,
    pub languages: Vec<LanguageLink>,
    pub pages: Vec<PageLink>,
    pub home_url: String,
    pub releases_url: String,
    /// The search page, target of the header's search box.
    pub search_url: String,
    /// The subscription form, when mail is configured.
    pub subscribe_url: Option<String>,
    pub feed_url: String,
    /// This page's own absolute URL, for the canonical link.
    pub canonical: String,
}

/// A link to the same page (or the home page) in another language.
#[derive(Debug, Serialize)]
pub(crate) struct LanguageLink {
    pub code: String,
    pub name: String,
    pub url: String,
    /// Whether this page exists in that language (`hreflang` alternates list only those).
    pub alternate: bool,
    pub current: bool,
}

/// A footer link to an editable page.
#[derive(Debug, Serialize)]
pub(crate) struct PageLink {
    pub title: String,
    pub url: String,
}

/// One release in a listing.
#[derive(Debug, Serialize)]
pub(crate) struct Card {
    pub url: String,
    pub title: String,
    pub lead: String,
    pub kind: String,
    pub date: String,
    pub date_iso: String,
    pub number: Option<String>,
    pub withdrawn: bool,
}

/// Everything needed to turn records into view structures for one language.
pub(crate) struct Ctx<'a> {
    pub lang: &'a str,
    pub settings: &'a SiteSettings,
    pub kinds: &'a [Kind],
    pub series: &'a [NumberSeries],
    pub i18n: &'a I18n,
}

impl Ctx<'_> {
    /// The public URL path of a release in this language.
    pub fn release_url(&self, release: &Release, slug: &str) -> String {
        release_path(self.lang, release, slug, self.settings)
    }

    /// The kind's name in this language.
    pub fn kind_name(&self, key: &str) -> String {
        self.kinds.iter().find(|k| k.key == key).map_or_else(
            || key.to_owned(),
            |k| pick(&k.names, self.lang, self.settings.default_language()).to_owned(),
        )
    }

    /// A topic's name in this language.
    pub fn topic_name(&self, topic: &Topic) -> String {
        pick(&topic.names, self.lang, self.settings.default_language()).to_owned()
    }

    /// The release's number as the series displays it in this language.
    pub fn number(&self, release: &Release) -> Option<String> {
        release.display_number(self.series, self.lang, &self.settings.tz())
    }

    /// The date of an instant in the site's time zone.
    pub fn local_date(&self, at: Timestamp) -> Date {
        at.to_zoned_datetime(self.settings.tz()).date()
    }

    /// A date in words in this language.
    pub fn date_text(&self, at: Timestamp) -> String {
        self.i18n.long_date(self.lang, self.local_date(at))
    }

    /// An interface string.
    pub fn text(&self, key: &str) -> String {
        self.i18n.text(self.lang, key, &[])
    }

    /// The labels of question and answer blocks.
    pub fn qa_labels(&self) -> (String, String) {
        (self.text("question"), self.text("answer"))
    }

    /// Renders Markdown with this language's question/answer labels.
    pub fn markdown(&self, text: &str) -> String {
        let (question, answer) = self.qa_labels();
        pressroom_core::markdown::render(
            text,
            &QaLabels {
                question: &question,
                answer: &answer,
            },
        )
    }

    /// A listing card.
    pub fn card(&self, summary: &PublicSummary) -> Card {
        let published = summary
            .release
            .first_published_at
            .unwrap_or(summary.release.created_at);
        Card {
            url: self.release_url(&summary.release, &summary.slug),
            title: summary.title.clone(),
            lead: summary.lead.clone(),
            kind: self.kind_name(&summary.release.kind),
            date: self.date_text(published),
            date_iso: self.local_date(published).to_string(),
            number: self.number(&summary.release),
            withdrawn: summary.withdrawn,
        }
    }
}

/// `/{lang}/releases/{year}/{segment}`.
pub(crate) fn release_path(
    lang: &str,
    release: &Release,
    slug: &str,
    settings: &SiteSettings,
) -> String {
    pressroom_core::release::release_path(lang, release, slug, &settings.tz())
}

/// Escapes text for XML: the auto-escape of every `.xml` template (feeds, sitemap), so a
/// theme's own feed template is escaped the same way.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids are dropped rather than making the feed invalid.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_safe_for_urls_and_xml() {
        assert_eq!(
            pressroom_core::slug::percent_encode("a b/ç"),
            "a%20b%2F%C3%A7"
        );
        assert_eq!(
            xml_escape("<a href=\"x\">&'\u{1}</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
    }
}
