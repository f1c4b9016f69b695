//! Releases and what they are made of: kinds, translations, revisions, topics, spokespeople,
//! pages, and the public address of a release.
//!
//! A *release* is one official communication with a kind and (once published, if its kind is
//! numbered) a number. It has one *translation* per language, each with its own workflow state.
//! Every save of a translation is an immutable *revision*; publishing points the translation's
//! *live* revision at one of them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::language::Localized;
use crate::numbering::{DEFAULT_SERIES, Number};
use crate::user::UserId;
use crate::workflow::State;
use crate::{Invalid, markdown, slug};

/// Identifier of a release.
pub type ReleaseId = i64;
/// Identifier of a translation.
pub type TranslationId = i64;
/// Identifier of a revision.
pub type RevisionId = i64;
/// Identifier of a topic.
pub type TopicId = i64;
/// Identifier of a spokesperson.
pub type SpokespersonId = i64;

/// A kind of release: press release, statement, answer to a media question, …
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kind {
    /// Key used in URLs and filters: `press-release`.
    pub key: String,
    /// Name per language: "Press release", "Mətbuat xəbəri", "Пресс-релиз".
    pub names: Localized,
    /// The number series the kind draws from; `None` for unnumbered kinds.
    pub series: Option<String>,
    /// Whether the body is made of question and answer blocks.
    pub question_answer: bool,
}

impl Kind {
    /// Checks the key and that the kind has a name.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut invalid = Invalid::default();
        let key_ok = (1..=32).contains(&self.key.len())
            && self
                .key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-')
            && !self.key.starts_with('-')
            && !self.key.ends_with('-');
        if !key_ok {
            invalid.push(
                "key",
                "use 1 to 32 lowercase letters and hyphens, such as `press-release`",
            );
        }
        if self.names.values().all(|n| n.trim().is_empty()) {
            invalid.push("names", "give the kind a name in at least one language");
        }
        if let Some(series) = &self.series
            && let Err(e) = crate::numbering::validate_series_key(series)
        {
            invalid.push("series", e);
        }
        invalid.into_result(())
    }
}

/// The kinds a new site starts with; press releases, statements, answers and commentaries are
/// numbered in the main series.
pub fn default_kinds() -> Vec<Kind> {
    let kind = |key: &str, az: &str, en: &str, ru: &str, numbered: bool, qa: bool| Kind {
        key: key.to_owned(),
        names: [("az", az), ("en", en), ("ru", ru)]
            .into_iter()
            .map(|(l, n)| (l.to_owned(), n.to_owned()))
            .collect(),
        series: numbered.then(|| DEFAULT_SERIES.to_owned()),
        question_answer: qa,
    };
    vec![
        kind(
            "press-release",
            "Mətbuat xəbəri",
            "Press release",
            "Пресс-релиз",
            true,
            false,
        ),
        kind(
            "statement",
            "Bəyanat",
            "Statement",
            "Заявление",
            true,
            false,
        ),
        kind(
            "answer",
            "Mətbuat xidmətinin KİV-in sualına cavabı",
            "Answer of the press service to a media question",
            "Ответ пресс-службы на вопрос СМИ",
            true,
            true,
        ),
        kind(
            "commentary",
            "Şərh",
            "Commentary",
            "Комментарий",
            true,
            false,
        ),
        kind("news", "Xəbər", "News", "Новость", false, false),
        kind(
            "interview",
            "Müsahibə",
            "Interview",
            "Интервью",
            false,
            true,
        ),
        kind("speech", "Çıxış", "Speech", "Выступление", false, false),
    ]
}

/// A release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    /// Identifier.
    pub id: ReleaseId,
    /// The kind's key.
    pub kind: String,
    /// The series its number comes from, once numbered.
    pub series: Option<String>,
    /// The official number, allocated at first publication.
    pub number: Option<Number>,
    /// When any translation was first published.
    pub first_published_at: Option<Timestamp>,
    /// When the release was created.
    pub created_at: Timestamp,
}

/// One language of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Translation {
    /// Identifier.
    pub id: TranslationId,
    /// The release.
    pub release_id: ReleaseId,
    /// Language code.
    pub lang: String,
    /// URL slug in this language.
    pub slug: String,
    /// Workflow state of the newest revision.
    pub state: State,
    /// The newest revision.
    pub head_revision_id: RevisionId,
    /// The revision readers see, once published.
    pub live_revision_id: Option<RevisionId>,
    /// When a scheduled publication is due.
    pub scheduled_at: Option<Timestamp>,
    /// When this translation was first published.
    pub first_published_at: Option<Timestamp>,
    /// When it was withdrawn.
    pub withdrawn_at: Option<Timestamp>,
    /// The public explanation of a withdrawal.
    pub withdrawal_explanation: Option<String>,
    /// Increases on every change; a save names the version it started from so that two people
    /// editing at once cannot overwrite each other.
    pub version: i64,
}

/// One immutable saved version of a translation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    /// Identifier.
    pub id: RevisionId,
    /// The translation.
    pub translation_id: TranslationId,
    /// 1 for the first revision of the translation, then 2, 3, …
    pub seq: i64,
    /// Headline.
    pub title: String,
    /// Lead paragraph.
    pub lead: String,
    /// Body in Markdown.
    pub body: String,
    /// Attribution.
    pub spokesperson_id: Option<SpokespersonId>,
    /// Topics.
    pub topic_ids: Vec<TopicId>,
    /// Who saved it.
    pub author_id: UserId,
    /// When.
    pub created_at: Timestamp,
}

/// A publication of a revision: the public history of a translation is the list of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Publication {
    /// The revision that went live.
    pub revision_id: RevisionId,
    /// When.
    pub published_at: Timestamp,
    /// `None` for the first publication; otherwise major (with note) or minor.
    pub correction: Option<crate::workflow::Correction>,
}

/// What an author submits when saving a translation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RevisionInput {
    /// Headline.
    pub title: String,
    /// Lead paragraph.
    #[serde(default)]
    pub lead: String,
    /// Body in Markdown.
    pub body: String,
    /// Attribution.
    #[serde(default)]
    pub spokesperson_id: Option<SpokespersonId>,
    /// Topics.
    #[serde(default)]
    pub topic_ids: Vec<TopicId>,
    /// A slug of the author's choosing; made from the title when empty.
    #[serde(default)]
    pub slug: Option<String>,
}

/// Longest headline, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest lead, in characters.
pub const MAX_LEAD_CHARS: usize = 2_000;
/// Longest body, in characters.
pub const MAX_BODY_CHARS: usize = 200_000;

impl RevisionInput {
    /// Checks the input for a release of `kind`, reporting every problem at once.
    pub fn validate(&self, kind: &Kind) -> Result<(), Invalid> {
        let mut invalid = Invalid::default();
        crate::validate::required_text(&mut invalid, "title", &self.title, MAX_TITLE_CHARS);
        crate::validate::optional_text(&mut invalid, "lead", &self.lead, MAX_LEAD_CHARS);
        crate::validate::required_text(&mut invalid, "body", &self.body, MAX_BODY_CHARS);
        if let Err(e) = markdown::check_blocks(&self.body) {
            invalid.push("body", e);
        } else if kind.question_answer
            && !self.body.trim().is_empty()
            && !has_question_and_answer(&self.body)
        {
            invalid.push(
                "body",
                "this kind is a question and its answer: mark them with `:::question` … `:::` and \
                 `:::answer` … `:::`",
            );
        }
        if let Some(s) = self.slug.as_deref().filter(|s| !s.is_empty())
            && !slug::is_valid_slug(s)
        {
            invalid.push(
                "slug",
                format!(
                    "use lowercase letters, digits and single hyphens, at most {} characters",
                    slug::MAX_SLUG_CHARS
                ),
            );
        }
        let mut topics = self.topic_ids.clone();
        topics.sort_unstable();
        topics.dedup();
        if topics.len() != self.topic_ids.len() {
            invalid.push("topic_ids", "a topic is listed twice");
        }
        invalid.into_result(())
    }

    /// The input that would save `revision` again under `slug`: the starting point for a new
    /// revision that changes something else (media, a correction of one word).
    pub fn from_revision(revision: &Revision, slug: &str) -> Self {
        Self {
            title: revision.title.clone(),
            lead: revision.lead.clone(),
            body: revision.body.clone(),
            spokesperson_id: revision.spokesperson_id,
            topic_ids: revision.topic_ids.clone(),
            slug: Some(slug.to_owned()),
        }
    }

    /// The slug to use in `lang`: the one given, or one made from the title.
    pub fn slug_for(&self, lang: &str) -> String {
        match self.slug.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => s.to_owned(),
            None => slug::slugify(lang, &self.title),
        }
    }
}

fn has_question_and_answer(body: &str) -> bool {
    let markers: Vec<&str> = body.lines().map(str::trim).collect();
    markers
        .iter()
        .any(|l| l.strip_prefix(":::").map(str::trim) == Some("question"))
        && markers
            .iter()
            .any(|l| l.strip_prefix(":::").map(str::trim) == Some("answer"))
}

/// A topic: a country, a region or a theme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    /// Identifier.
    pub id: TopicId,
    /// URL slug.
    pub slug: String,
    /// Name per language.
    pub names: Localized,
}

/// The person a release is attributed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Spokesperson {
    /// Identifier.
    pub id: SpokespersonId,
    /// Short key for imports and the CLI.
    pub key: String,
    /// Name per language.
    pub names: Localized,
    /// Position per language.
    pub positions: Localized,
}

/// A plain editable page in one language: privacy policy, terms, contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    /// URL slug, shared by the languages.
    pub slug: String,
    /// Language code.
    pub lang: String,
    /// Title.
    pub title: String,
    /// Body in Markdown.
    pub body: String,
    /// Last change.
    pub updated_at: Timestamp,
}

/// How a release is found from its URL segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseKey {
    /// A numbered release: its series (the main series has no prefix in URLs) and position.
    Numbered {
        /// Series key.
        series: String,
        /// Position in the year.
        seq: i64,
    },
    /// An unnumbered release, by id.
    Unnumbered {
        /// The release id.
        id: ReleaseId,
    },
}

/// The last URL segment of a release: `367-slug` in the main series, `qa-12-slug` in another,
/// `r-5081-slug` for an unnumbered release.
pub fn release_segment(key: &ReleaseKey, slug: &str) -> String {
    match key {
        ReleaseKey::Numbered { series, seq } if series == DEFAULT_SERIES => format!("{seq}-{slug}"),
        ReleaseKey::Numbered { series, seq } => format!("{series}-{seq}-{slug}"),
        ReleaseKey::Unnumbered { id } => format!("r-{id}-{slug}"),
    }
}

impl Release {
    /// The release's official number as its series displays it in `lang` (`No:367/21`), with
    /// the date of first publication in the site's time zone for templates that show it.
    /// `None` until numbered, or when the series is unknown. The one number formatter: every
    /// page, feed and editorial list goes through it.
    pub fn display_number(
        &self,
        series: &[crate::numbering::NumberSeries],
        lang: &str,
        tz: &jiff::tz::TimeZone,
    ) -> Option<String> {
        let number = self.number?;
        let series = series
            .iter()
            .find(|s| Some(&s.key) == self.series.as_ref())?;
        let date = self.first_published_at.map_or_else(
            || jiff::civil::Date::new(number.year, 1, 1).unwrap_or_default(),
            |at| at.to_zoned_datetime(tz.clone()).date(),
        );
        Some(series.display(lang, number, date))
    }
}

/// The [`ReleaseKey`] of a release, for building its URL: its number when it has one, else its
/// id.
pub fn release_key(release: &Release) -> ReleaseKey {
    match (&release.series, release.number) {
        (Some(series), Some(Number { seq, .. })) => ReleaseKey::Numbered {
            series: series.clone(),
            seq,
        },
        _ => ReleaseKey::Unnumbered { id: release.id },
    }
}

/// The year in a release's URL: its number's year, else the numbering year (in the site's
/// time zone) of its first publication. `None` for a release never published.
pub fn release_year(release: &Release, tz: &jiff::tz::TimeZone) -> Option<i16> {
    release.number.map(|n| n.year).or_else(|| {
        release
            .first_published_at
            .map(|at| crate::numbering::numbering_year(at, tz))
    })
}

/// The public path of a translation's page: `/{lang}/releases/{year}/{segment}`. The one
/// place the address is made, for pages, feeds, mails and exports alike.
pub fn release_path(lang: &str, release: &Release, slug: &str, tz: &jiff::tz::TimeZone) -> String {
    let year = release_year(release, tz).unwrap_or_default();
    format!(
        "/{lang}/releases/{year}/{}",
        release_segment(&release_key(release), slug)
    )
}

/// Reads a segment made by [`release_segment`]; the slug may be missing or wrong (the caller
/// redirects to the canonical one). `None` when the segment cannot be a release.
pub fn parse_release_segment(segment: &str) -> Option<(ReleaseKey, &str)> {
    let (prefix, rest) = match segment.split_once('-') {
        Some((p, r)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()) => (Some(p), r),
        _ => (None, segment),
    };
    let (digits, slug) = rest.split_once('-').unwrap_or((rest, ""));
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let key = match prefix {
        Some("r") => ReleaseKey::Unnumbered { id: n },
        Some(series) => ReleaseKey::Numbered {
            series: series.to_owned(),
            seq: n,
        },
        None => ReleaseKey::Numbered {
            series: DEFAULT_SERIES.to_owned(),
            seq: n,
        },
    };
    Some((key, slug))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(qa: bool) -> Kind {
        Kind {
            key: "k".into(),
            names: Localized::new(),
            series: None,
            question_answer: qa,
        }
    }

    #[test]
    fn revision_input_reports_every_problem() {
        let input = RevisionInput {
            title: " ".into(),
            body: ":::question\nWhen?\n".into(),
            slug: Some("Bad Slug".into()),
            topic_ids: vec![1, 1],
            ..Default::default()
        };
        let err = input.validate(&kind(false)).unwrap_err();
        for field in ["title", "body", "slug", "topic_ids"] {
            assert!(err.message_for(field).is_some(), "{field}: {err}");
        }
    }

    #[test]
    fn answers_need_a_question_and_an_answer() {
        let mut input = RevisionInput {
            title: "T".into(),
            body: "Just text".into(),
            ..Default::default()
        };
        assert!(
            input
                .validate(&kind(true))
                .unwrap_err()
                .message_for("body")
                .unwrap()
                .contains(":::question")
        );
        input.body = ":::question\nQ?\n:::\n:::answer\nA.\n:::\n".into();
        assert!(input.validate(&kind(true)).is_ok());
        assert_eq!(input.slug_for("en"), "t");
    }

    #[test]
    fn default_kinds_are_valid_and_numbered_in_main() {
        let kinds = default_kinds();
        assert!(kinds.iter().all(|k| k.validate().is_ok()));
        assert_eq!(
            kinds
                .iter()
                .filter(|k| k.series.as_deref() == Some("main"))
                .count(),
            4
        );
        assert!(kinds.iter().any(|k| k.key == "answer" && k.question_answer));
    }

    #[test]
    fn release_segments_round_trip() {
        let keys = [
            ReleaseKey::Numbered {
                series: "main".into(),
                seq: 367,
            },
            ReleaseKey::Numbered {
                series: "qa".into(),
                seq: 12,
            },
            ReleaseKey::Unnumbered { id: 5081 },
        ];
        for key in keys {
            let seg = release_segment(&key, "minister-meets-2-delegations");
            assert_eq!(
                parse_release_segment(&seg),
                Some((key, "minister-meets-2-delegations"))
            );
        }
        assert_eq!(
            release_segment(
                &ReleaseKey::Numbered {
                    series: "main".into(),
                    seq: 367
                },
                "x"
            ),
            "367-x"
        );
        assert_eq!(
            parse_release_segment("367"),
            Some((
                ReleaseKey::Numbered {
                    series: "main".into(),
                    seq: 367
                },
                ""
            ))
        );
        for bad in [
            "",
            "abc",
            "qa-",
            "-5",
            "x-y-z",
            "99999999999999999999-a",
            "%00",
        ] {
            assert_eq!(parse_release_segment(bad), None, "{bad}");
        }
    }
}
