//! What the caller feeds the index: one [`SearchDoc`] per published translation.

use jiff::Timestamp;
use pressroom_core::numbering::Number;
use pressroom_core::release::{ReleaseId, TranslationId};

/// One published (or withdrawn) translation, as plain values: the index knows nothing of the
/// store, so the caller assembles this from a translation, its live revision and its release.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    /// The release; shared by its translations.
    pub release_id: ReleaseId,
    /// The translation: the document's identity, for upserts and deletes.
    pub translation_id: TranslationId,
    /// Language code (`az`, `en`, `ru`); chooses the analysis of the language's own fields.
    pub lang: String,
    /// Kind key (`press-release`, `statement`), for the kind filter and its counts.
    pub kind: String,
    /// Topic slugs, for the topic filter and its counts.
    pub topics: Vec<String>,
    /// The official number, if the kind has a series.
    pub number: Option<DocNumber>,
    /// When the release was first published: date order, and shown with the hit.
    pub first_published: Timestamp,
    /// The release's year in the site's time zone (`pressroom_core::numbering::numbering_year`
    /// of `first_published`), so the year filter agrees with the archive pages.
    pub year: i16,
    /// Title, plain text.
    pub title: String,
    /// Lead, plain text.
    pub lead: String,
    /// Body, Markdown source; indexed as its text (`pressroom_core::markdown::plain_text`).
    pub body_markdown: String,
    /// The spokesperson's name in this language, if any: found by name, shown with the hit.
    pub spokesperson: Option<String>,
    /// Whether the translation is withdrawn: it stays findable (its page stays, with a
    /// notice) and the hit says so.
    pub withdrawn: bool,
    /// The page's path (`/en/releases/2021/367-slug`), returned with the hit so the caller does
    /// not look it up per result.
    pub url: String,
}

/// A release's number, as the index needs it: to match every form a person types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocNumber {
    /// Series key (`main`, `qa`).
    pub series: String,
    /// Year and position in the series.
    pub number: Number,
    /// The number as the page shows it in this language (`No:367/21`, `QA-12`).
    pub display: String,
}
