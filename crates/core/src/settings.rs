//! Site settings: what an admin changes without a restart and every server must agree on,
//! so they live in the database (not the config file) and are checked here.

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::language::{Language, Localized};

/// The rights notice a new site starts with.
pub const DEFAULT_RIGHTS_NOTICE: &str =
    "All rights reserved. Contact us to use any licensed material.";

/// Settings of the whole site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSettings {
    /// The ministry's name per language.
    pub title: Localized,
    /// The languages published, the default first.
    pub languages: Vec<Language>,
    /// IANA time zone name: numbering years, dates and schedules are in this zone.
    pub time_zone: String,
    /// The footer's rights notice per language.
    pub rights_notice: Localized,
    /// Whether an approver must differ from the last author of what they approve.
    pub two_person_rule: bool,
    /// Whether every user must use a second factor (TOTP) to sign in.
    #[serde(default)]
    pub require_totp: bool,
}

impl Default for SiteSettings {
    fn default() -> Self {
        let languages: Vec<Language> = ["az", "en", "ru"]
            .iter()
            .filter_map(|c| Language::from_code(c).ok())
            .collect();
        Self {
            title: [("en".to_owned(), "Ministry press service".to_owned())].into(),
            languages,
            time_zone: "Asia/Baku".to_owned(),
            rights_notice: [("en".to_owned(), DEFAULT_RIGHTS_NOTICE.to_owned())].into(),
            two_person_rule: true,
            require_totp: false,
        }
    }
}

impl SiteSettings {
    /// The default language's code.
    pub fn default_language(&self) -> &str {
        self.languages.first().map_or("en", |l| l.code.as_str())
    }

    /// The language with `code`, if the site publishes in it.
    pub fn language(&self, code: &str) -> Option<&Language> {
        self.languages.iter().find(|l| l.code == code)
    }

    /// The site's time zone. Settings are validated on save, so a bad name can only come from
    /// a hand-edited database; UTC is then the safe reading.
    pub fn tz(&self) -> TimeZone {
        TimeZone::get(&self.time_zone).unwrap_or(TimeZone::UTC)
    }

    /// Checks languages, time zone and texts.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut invalid = Invalid::default();
        if self.languages.is_empty() {
            invalid.push("languages", "the site needs at least one language");
        }
        for (i, lang) in self.languages.iter().enumerate() {
            if !crate::language::is_valid_code(&lang.code) {
                invalid.push(
                    "languages",
                    format!(
                        "`{}` is not a language code such as `az` or `en`",
                        lang.code
                    ),
                );
            } else if self.languages[..i].iter().any(|l| l.code == lang.code) {
                invalid.push("languages", format!("`{}` is listed twice", lang.code));
            }
        }
        if TimeZone::get(&self.time_zone).is_err() {
            invalid.push(
                "time_zone",
                format!(
                    "`{}` is not a time zone: use an IANA name such as `Asia/Baku`",
                    self.time_zone
                ),
            );
        }
        for (field, texts, max) in [
            ("title", &self.title, 200),
            ("rights_notice", &self.rights_notice, 1000),
        ] {
            if texts.values().any(|t| t.chars().count() > max) {
                invalid.push(field, format!("is too long: at most {max} characters"));
            }
        }
        invalid.into_result(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_baku_flavoured() {
        let s = SiteSettings::default();
        assert!(s.validate().is_ok());
        assert_eq!(s.default_language(), "az");
        assert!(s.two_person_rule);
        assert_eq!(s.rights_notice["en"], DEFAULT_RIGHTS_NOTICE);
    }

    #[test]
    fn bad_settings_name_their_field() {
        let mut s = SiteSettings {
            time_zone: "Mars/Olympus".into(),
            ..Default::default()
        };
        s.languages.push(Language::from_code("en").unwrap());
        let err = s.validate().unwrap_err();
        assert!(err.message_for("time_zone").unwrap().contains("Asia/Baku"));
        assert!(err.message_for("languages").unwrap().contains("twice"));
        s.languages.clear();
        assert!(s.validate().is_err());
    }
}
