//! Official numbers: series, the numbering year, and display templates.
//!
//! A number is `(series, year, seq)`: the 367th release of 2021 in the main series. Each kind
//! belongs to one series or to none; a series restarts every year *in the site's time zone*
//! (a release published at 23:30 UTC on 31 December is next year's in Baku). How a number is
//! shown is a per-language template: `No:{seq}/{yy}`, `No: {seq}, {date}`, `QA-{seq}`,
//! `{seq}-{dd}-{mm}-{yyyy}`. Allocation itself (gap-free, in the publishing transaction) is the
//! store's job; the rules of what a number *is* live here.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::Invalid;

/// The placeholders a template may use.
pub const PLACEHOLDERS: &[&str] = &["seq", "yy", "yyyy", "mm", "dd", "date"];

/// A number series: a counter per year, and how its numbers are displayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberSeries {
    /// Short key used in URLs and configuration: `main`, `qa`.
    pub key: String,
    /// Name for the editorial area.
    pub name: String,
    /// Display template used for languages without their own.
    pub template: String,
    /// Display templates by language code (`QA-{seq}` shown as `Fa-{seq}` in German).
    #[serde(default)]
    pub templates: BTreeMap<String, String>,
}

/// A release's official number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Number {
    /// The year of the number, in the site's time zone.
    pub year: i16,
    /// The position in the series that year, from 1.
    pub seq: i64,
}

/// The key of the series every numbered kind uses unless configured otherwise.
pub const DEFAULT_SERIES: &str = "main";

impl NumberSeries {
    /// The series a new site starts with: `No:{seq}/{yy}`.
    pub fn default_main() -> Self {
        Self {
            key: DEFAULT_SERIES.to_owned(),
            name: "Press releases".to_owned(),
            template: "No:{seq}/{yy}".to_owned(),
            templates: BTreeMap::new(),
        }
    }

    /// Checks the key, the name and every template.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut invalid = Invalid::default();
        if let Err(e) = validate_series_key(&self.key) {
            invalid.push("key", e);
        }
        crate::validate::required_text(&mut invalid, "name", &self.name, 100);
        if let Err(e) = validate_template(&self.template) {
            invalid.push("template", e);
        }
        for (lang, template) in &self.templates {
            if let Err(e) = validate_template(template) {
                invalid.push(&format!("templates.{lang}"), e);
            }
        }
        invalid.into_result(())
    }

    /// The number as shown in `lang`, for a release first published on `date` (site time).
    pub fn display(&self, lang: &str, number: Number, date: Date) -> String {
        let template = self.templates.get(lang).unwrap_or(&self.template);
        format_number(template, number.seq, date)
    }
}

/// Checks a series key: lowercase ASCII letters, 1 to 16 of them. `r` is reserved for the
/// URLs of unnumbered releases.
pub fn validate_series_key(key: &str) -> Result<(), String> {
    if key.is_empty() || key.len() > 16 || !key.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(format!(
            "`{key}` is not a series key: use 1 to 16 lowercase letters, such as `main` or `qa`"
        ));
    }
    if key == "r" {
        return Err("`r` is reserved; choose another series key".to_owned());
    }
    Ok(())
}

/// The numbering year of a publication at `at` in the site's time zone.
pub fn numbering_year(at: Timestamp, tz: &TimeZone) -> i16 {
    at.to_zoned_datetime(tz.clone()).year()
}

/// Checks that a display template has `{seq}` and only known placeholders.
pub fn validate_template(template: &str) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("is empty: a template needs at least `{seq}`, e.g. `No:{seq}/{yy}`".to_owned());
    }
    if template.chars().count() > 64 {
        return Err("is too long: at most 64 characters".to_owned());
    }
    let mut has_seq = false;
    for piece in pieces(template) {
        match piece {
            Piece::Placeholder(name) if PLACEHOLDERS.contains(&name) => has_seq |= name == "seq",
            Piece::Placeholder(name) => {
                return Err(format!(
                    "has an unknown placeholder `{{{name}}}`; use {}",
                    PLACEHOLDERS
                        .iter()
                        .map(|p| format!("{{{p}}}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            Piece::Unclosed => return Err("has a `{` that is never closed".to_owned()),
            Piece::Text(_) => {}
        }
    }
    if has_seq {
        Ok(())
    } else {
        Err("must contain `{seq}`, the number's position in the year".to_owned())
    }
}

/// Fills a template. Unknown placeholders are kept as written (templates are validated on
/// save, so this only matters for data written by hand).
pub fn format_number(template: &str, seq: i64, date: Date) -> String {
    let mut out = String::with_capacity(template.len() + 8);
    for piece in pieces(template) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder("seq") => out.push_str(&seq.to_string()),
            Piece::Placeholder("yy") => {
                out.push_str(&format!("{:02}", date.year().rem_euclid(100)))
            }
            Piece::Placeholder("yyyy") => out.push_str(&date.year().to_string()),
            Piece::Placeholder("mm") => out.push_str(&format!("{:02}", date.month())),
            Piece::Placeholder("dd") => out.push_str(&format!("{:02}", date.day())),
            Piece::Placeholder("date") => out.push_str(&format!(
                "{:02}.{:02}.{}",
                date.day(),
                date.month(),
                date.year()
            )),
            Piece::Placeholder(other) => {
                out.push('{');
                out.push_str(other);
                out.push('}');
            }
            Piece::Unclosed => out.push('{'),
        }
    }
    out
}

enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
    Unclosed,
}

fn pieces(template: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = template;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.find('{') {
            Some(0) => match rest.find('}') {
                Some(end) => {
                    let name = &rest[1..end];
                    rest = &rest[end + 1..];
                    Some(Piece::Placeholder(name))
                }
                None => {
                    rest = &rest[1..];
                    Some(Piece::Unclosed)
                }
            },
            Some(i) => {
                let text = &rest[..i];
                rest = &rest[i..];
                Some(Piece::Text(text))
            }
            None => {
                let text = rest;
                rest = "";
                Some(Piece::Text(text))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn templates_of_real_ministries() {
        let d = date(2021, 10, 4);
        assert_eq!(format_number("No:{seq}/{yy}", 367, d), "No:367/21");
        assert_eq!(
            format_number("No: {seq}, {date}", 312, d),
            "No: 312, 04.10.2021"
        );
        assert_eq!(
            format_number("{seq}-{dd}-{mm}-{yyyy}", 1984, d),
            "1984-04-10-2021"
        );
        let qa = NumberSeries {
            key: "qa".into(),
            name: "Answers".into(),
            template: "QA-{seq}".into(),
            templates: [("de".to_owned(), "Fa-{seq}".to_owned())].into(),
        };
        assert!(qa.validate().is_ok());
        assert_eq!(qa.display("de", Number { year: 2021, seq: 7 }, d), "Fa-7");
        assert_eq!(qa.display("en", Number { year: 2021, seq: 7 }, d), "QA-7");
        assert_eq!(format_number("{seq}/{yy}", 5, date(2009, 1, 1)), "5/09");
    }

    #[test]
    fn bad_templates_explain_themselves() {
        assert!(validate_template("No:{seq}/{yy}").is_ok());
        assert!(
            validate_template("No:{year}")
                .unwrap_err()
                .contains("unknown placeholder `{year}`")
        );
        assert!(validate_template("No:{yy}").unwrap_err().contains("{seq}"));
        assert!(
            validate_template("No:{seq")
                .unwrap_err()
                .contains("never closed")
        );
        assert!(validate_template("  ").is_err());
        assert!(validate_series_key("r").is_err());
        assert!(validate_series_key("QA").is_err());
        assert!(validate_series_key("qa").is_ok());
    }

    #[test]
    fn the_year_turns_in_the_site_time_zone() {
        let baku = TimeZone::get("Asia/Baku").unwrap();
        let late_new_years_eve: Timestamp = "2021-12-31T23:30:00Z".parse().unwrap();
        assert_eq!(numbering_year(late_new_years_eve, &baku), 2022);
        assert_eq!(numbering_year(late_new_years_eve, &TimeZone::UTC), 2021);
        let ny = TimeZone::get("America/New_York").unwrap();
        let early: Timestamp = "2022-01-01T03:00:00Z".parse().unwrap();
        assert_eq!(numbering_year(early, &ny), 2021);
    }
}
