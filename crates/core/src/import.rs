//! Bringing in a ministry's archive: the one shape every importer produces (`import wxr`,
//! `import markdown`, `POST /api/v1/import/releases`), its checks, and the historical number
//! read out of an old headline. The store turns an [`ImportRelease`] into a published,
//! numbered, signed release; nothing here touches a database or a file.

use jiff::Timestamp;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::language::Localized;

/// Longest source id, in bytes.
pub const MAX_SOURCE_ID_BYTES: usize = 500;
/// Longest old address, in bytes.
pub const MAX_OLD_PATH_BYTES: usize = 2_000;

/// One release of an archive, with all its translations, as an importer read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportRelease {
    /// What makes a re-run idempotent: an import whose source id was imported before is
    /// skipped. The old system's id (`wxr:https://old.example/?p=41620`, `markdown:367-21`).
    pub source_id: String,
    /// The kind's key.
    pub kind: String,
    /// The historical number's position in its year (`367` of `No:367/21`); the series is the
    /// kind's. `None` for a kind without numbers, or a release that had none.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 9_999_999))]
    pub number: Option<i64>,
    /// The number's year, when it differs from the publication date's year in the site's time
    /// zone (a release numbered in the last hour of a year); else that year.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1900, maximum = 2200))]
    pub number_year: Option<i16>,
    /// When it was first published.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub published_at: Timestamp,
    /// Topics by slug or by name in any language; a topic not found is created.
    #[serde(default)]
    pub topics: Vec<String>,
    /// The spokesperson's key or name, if any.
    #[serde(default)]
    pub spokesperson: Option<String>,
    /// The banner: one image, cropped around its centre.
    #[serde(default)]
    pub banner: Option<ImportFile>,
    /// Documents attached to every translation, in order.
    #[serde(default)]
    pub attachments: Vec<ImportFile>,
    /// One text per language.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub translations: Vec<ImportTranslation>,
}

/// One language of an imported release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportTranslation {
    /// Language code (`az`, `en`, `ru`).
    pub lang: String,
    /// Headline, without the number (see [`NumberPattern::take`]).
    pub title: String,
    /// Lead paragraph.
    #[serde(default)]
    pub lead: String,
    /// Body in Markdown.
    pub body: String,
    /// The slug of its address; made from the title when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// The addresses it had on the old site (a path, or a full URL whose path is kept), each
    /// answered with a permanent redirect to the new page.
    #[serde(default)]
    pub old_urls: Vec<String>,
}

/// A file an importer refers to: a path (relative to the import's folder), an `http(s)` URL,
/// or the bytes themselves in base64 (the API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportFile {
    /// Where to read it: a path or a URL. Empty when `data` carries the bytes.
    #[serde(default)]
    pub file: String,
    /// The bytes in standard base64, for callers that cannot point at a file.
    #[serde(default)]
    pub data: Option<String>,
    /// The name shown as the link text (attachments); the file's last segment when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Alternative text per language (banners).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, String>))]
    pub alt: Localized,
}

impl ImportFile {
    /// The name to show: `name`, else the last segment of `file`.
    pub fn display_name(&self) -> String {
        if let Some(name) = self.name.as_deref().filter(|n| !n.trim().is_empty()) {
            return name.trim().to_owned();
        }
        let path = self.file.split(['?', '#']).next().unwrap_or_default();
        path.rsplit(['/', '\\'])
            .find(|s| !s.is_empty())
            .unwrap_or("file")
            .to_owned()
    }
}

impl ImportRelease {
    /// Checks what needs no database: ids, languages given once, texts present, addresses
    /// that are paths. Kinds, languages, numbers and texts are checked by the store against
    /// the site.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut invalid = Invalid::default();
        let id = self.source_id.trim();
        if id.is_empty() || id.len() > MAX_SOURCE_ID_BYTES || id.chars().any(char::is_control) {
            invalid.push(
                "source_id",
                format!(
                    "give each release a source id of 1 to {MAX_SOURCE_ID_BYTES} bytes without control characters (the old system's id)"
                ),
            );
        }
        if self.number.is_some_and(|n| n < 1) {
            invalid.push("number", "a number starts at 1");
        }
        if self.translations.is_empty() {
            invalid.push("translations", "a release needs at least one translation");
        }
        let mut langs = Vec::new();
        for t in &self.translations {
            if langs.contains(&t.lang.as_str()) {
                invalid.push(
                    "translations",
                    format!(
                        "language `{}` is given twice; give each language once",
                        t.lang
                    ),
                );
            }
            langs.push(t.lang.as_str());
            for url in &t.old_urls {
                if old_path(url).is_none() {
                    invalid.push(
                        "old_urls",
                        format!(
                            "`{url}` is not an address: give a path starting with `/` or an http(s) URL, at most {MAX_OLD_PATH_BYTES} bytes"
                        ),
                    );
                }
            }
        }
        invalid.into_result(())
    }
}

/// The path (with its query, if any) an old address is looked up by: `/en/news/no41620-x`
/// for `https://old.example/en/news/no41620-x`. Trailing slashes are dropped so `/a/` and
/// `/a` are the same address. `None` for something that is not an address.
pub fn old_path(url: &str) -> Option<String> {
    let url = url.trim();
    let path = if url.starts_with('/') && !url.starts_with("//") {
        url.to_owned()
    } else {
        let parsed = url::Url::parse(url).ok()?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return None;
        }
        match parsed.query() {
            Some(q) => format!("{}?{q}", parsed.path()),
            None => parsed.path().to_owned(),
        }
    };
    let path = path.split('#').next().unwrap_or_default();
    let (p, q) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let p = match p.trim_end_matches('/') {
        "" => "/",
        p => p,
    };
    let path = match q {
        Some(q) if !q.is_empty() => format!("{p}?{q}"),
        _ => p.to_owned(),
    };
    (path.len() <= MAX_OLD_PATH_BYTES && !path.chars().any(char::is_control)).then_some(path)
}

/// How an old headline carries its number: a regular expression with a group `seq` and
/// optionally a group `yy` (two or four digits).
#[derive(Debug, Clone)]
pub struct NumberPattern(Regex);

/// Matches `No:367/21`, `No: 350`, `№ 12/2020` and `No.41620`.
pub const DEFAULT_NUMBER_PATTERN: &str =
    r"(?i)(?:\bNo|№)\s*[:.]?\s*(?P<seq>\d{1,7})(?:\s*/\s*(?P<yy>\d{4}|\d{2}))?\b";

/// A number read from a headline, and the headline without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenNumber {
    /// Position in the year.
    pub seq: i64,
    /// The year, when the number carried one.
    pub year: Option<i16>,
    /// The headline as the new page shows it.
    pub title: String,
}

impl Default for NumberPattern {
    fn default() -> Self {
        Self::new(DEFAULT_NUMBER_PATTERN).expect("the default pattern compiles")
    }
}

impl NumberPattern {
    /// Compiles `pattern`, which must have a group named `seq`.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let regex = Regex::new(pattern)
            .map_err(|e| format!("the number pattern is not a regular expression: {e}"))?;
        if !regex.capture_names().any(|n| n == Some("seq")) {
            return Err(
                "the number pattern needs a group named `seq`, as in `No:(?P<seq>\\d+)`".into(),
            );
        }
        Ok(Self(regex))
    }

    /// Finds the number in `title` and takes it out, with the separators around it
    /// (`No:367/21, Answer …` → `Answer …`). `None` when the title carries no number.
    pub fn take(&self, title: &str) -> Option<TakenNumber> {
        let caps = self.0.captures(title)?;
        let seq: i64 = caps
            .name("seq")?
            .as_str()
            .parse()
            .ok()
            .filter(|n| *n >= 1)?;
        let year = caps.name("yy").and_then(|y| {
            let n: i16 = y.as_str().parse().ok()?;
            Some(if y.as_str().len() == 2 { 2000 + n } else { n })
        });
        let whole = caps.get(0)?;
        let separators: &[char] = &[',', ';', ':', '-', '–', '—', '|', '.', ' ', '\u{a0}'];
        let before = title[..whole.start()].trim_end_matches(separators);
        let after = title[whole.end()..].trim_start_matches(separators);
        let title = match (before.is_empty(), after.is_empty()) {
            (true, _) => after.to_owned(),
            (false, true) => before.to_owned(),
            (false, false) => format!("{before} {after}"),
        };
        Some(TakenNumber {
            seq,
            year,
            title: title.trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_headline_gives_its_number_and_loses_it() {
        let p = NumberPattern::default();
        let t = p
            .take("No:367/21, Answer of the Press Service Department to the media question")
            .unwrap();
        assert_eq!(t.seq, 367);
        assert_eq!(t.year, Some(2021));
        assert_eq!(
            t.title,
            "Answer of the Press Service Department to the media question"
        );
        let t = p.take("Statement No: 350 on the elections").unwrap();
        assert_eq!((t.seq, t.year), (350, None));
        assert_eq!(t.title, "Statement on the elections");
        let t = p.take("№ 12/2020 — Заявление").unwrap();
        assert_eq!((t.seq, t.year), (12, Some(2020)));
        assert_eq!(t.title, "Заявление");
        assert_eq!(p.take("Nothing numbered here, not even Nobel"), None);
        assert_eq!(p.take("No:0/21 zero is no number"), None);
    }

    #[test]
    fn a_custom_pattern_needs_seq() {
        assert!(NumberPattern::new(r"QA-(\d+)").unwrap_err().contains("seq"));
        assert!(
            NumberPattern::new(r"QA-(?P<seq>\d+")
                .unwrap_err()
                .contains("regular")
        );
        let p = NumberPattern::new(r"QA-(?P<seq>\d+)").unwrap();
        assert_eq!(p.take("QA-12: On trade").unwrap().title, "On trade");
    }

    #[test]
    fn old_addresses_become_paths() {
        assert_eq!(
            old_path("https://mfa.gov.az/en/news/no41620-x/").as_deref(),
            Some("/en/news/no41620-x")
        );
        assert_eq!(old_path("/?p=12").as_deref(), Some("/?p=12"));
        assert_eq!(old_path("http://old/").as_deref(), Some("/"));
        assert_eq!(old_path("/a#frag").as_deref(), Some("/a"));
        assert_eq!(old_path("ftp://old/a"), None);
        assert_eq!(old_path("//old/a"), None);
        assert_eq!(old_path("news/a"), None);
    }

    #[test]
    fn a_release_is_checked_whole() {
        let t = ImportTranslation {
            lang: "en".into(),
            title: "T".into(),
            lead: String::new(),
            body: "B".into(),
            slug: None,
            old_urls: vec!["nope".into()],
        };
        let r = ImportRelease {
            source_id: " ".into(),
            kind: "press-release".into(),
            number: Some(0),
            number_year: None,
            published_at: Timestamp::UNIX_EPOCH,
            topics: vec![],
            spokesperson: None,
            banner: None,
            attachments: vec![],
            translations: vec![t.clone(), t],
        };
        let e = r.validate().unwrap_err();
        let fields: Vec<_> = e.errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"source_id"));
        assert!(fields.contains(&"number"));
        assert!(fields.contains(&"translations"));
        assert!(fields.contains(&"old_urls"));
    }

    #[test]
    fn a_file_is_named_by_its_last_segment() {
        let f = ImportFile {
            file: "https://old/wp-content/uploads/2021/10/report.pdf?ver=2".into(),
            data: None,
            name: None,
            alt: Localized::new(),
        };
        assert_eq!(f.display_name(), "report.pdf");
    }
}
