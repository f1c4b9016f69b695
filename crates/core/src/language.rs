//! Languages: codes, names, text direction, and case mapping that respects Turkic rules.
//!
//! Rust's `to_lowercase` maps `I` to `i`, which is wrong in Azerbaijani and Turkish (`I`→`ı`,
//! `İ`→`i`). Every case mapping of user text goes through [`lowercase`] / [`uppercase`].

use serde::{Deserialize, Serialize};

/// The writing direction of a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Left to right (Latin, Cyrillic, …).
    #[default]
    Ltr,
    /// Right to left (Arabic, Persian, Hebrew, …).
    Rtl,
}

impl Direction {
    /// The value of the HTML `dir` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ltr => "ltr",
            Self::Rtl => "rtl",
        }
    }
}

/// A language the site publishes in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Language {
    /// BCP 47 code as used in URLs: `az`, `en`, `ru`, `pt-br`.
    pub code: String,
    /// The language's name in itself, as the language switcher shows it.
    pub name: String,
    /// Writing direction.
    #[serde(default)]
    pub dir: Direction,
}

/// Names and directions of languages a ministry is likely to publish in, so that configuring
/// a language needs only its code.
const KNOWN: &[(&str, &str, Direction)] = &[
    ("az", "Azərbaycanca", Direction::Ltr),
    ("en", "English", Direction::Ltr),
    ("ru", "Русский", Direction::Ltr),
    ("tr", "Türkçe", Direction::Ltr),
    ("de", "Deutsch", Direction::Ltr),
    ("fr", "Français", Direction::Ltr),
    ("es", "Español", Direction::Ltr),
    ("ka", "ქართული", Direction::Ltr),
    ("uk", "Українська", Direction::Ltr),
    ("kk", "Қазақша", Direction::Ltr),
    ("uz", "Oʻzbekcha", Direction::Ltr),
    ("zh", "中文", Direction::Ltr),
    ("ar", "العربية", Direction::Rtl),
    ("fa", "فارسی", Direction::Rtl),
    ("he", "עברית", Direction::Rtl),
    ("ur", "اردو", Direction::Rtl),
];

impl Language {
    /// A language from its code, with its name and direction filled in when the code is a
    /// known one. Fails when the code is not of the form `xx` or `xx-yy`.
    pub fn from_code(code: &str) -> Result<Self, String> {
        let code = code.trim().to_ascii_lowercase();
        if !is_valid_code(&code) {
            return Err(format!(
                "`{code}` is not a language code: use two or three letters, optionally with a \
                 region, such as `az`, `en` or `pt-br`"
            ));
        }
        let base = code.split('-').next().unwrap_or_default();
        let (name, dir) = KNOWN
            .iter()
            .find(|(c, _, _)| *c == code || *c == base)
            .map(|(_, n, d)| ((*n).to_owned(), *d))
            .unwrap_or_else(|| (code.clone(), Direction::Ltr));
        Ok(Self { code, name, dir })
    }
}

/// Whether `code` is a lowercase language code of the form `xx`, `xxx`, `xx-yy` or `xx-yyyy`.
pub fn is_valid_code(code: &str) -> bool {
    let mut parts = code.split('-');
    let base_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase()));
    let rest: Vec<&str> = parts.collect();
    base_ok
        && rest.len() <= 1
        && rest.iter().all(|p| {
            (2..=4).contains(&p.len())
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Whether the language uses Turkic dotted/dotless I rules.
fn is_turkic(lang: &str) -> bool {
    matches!(
        lang.split('-').next(),
        Some("az" | "tr" | "crh" | "tt" | "kk")
    ) && !lang.starts_with("kk") // Kazakh in Cyrillic follows the ordinary rules.
}

/// Lowercases `text` by the rules of `lang` (`I`→`ı` and `İ`→`i` in Azerbaijani and Turkish).
pub fn lowercase(lang: &str, text: &str) -> String {
    if !is_turkic(lang) {
        return text.to_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'I' => out.push('ı'),
            'İ' => out.push('i'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Uppercases `text` by the rules of `lang` (`i`→`İ` and `ı`→`I` in Azerbaijani and Turkish).
pub fn uppercase(lang: &str, text: &str) -> String {
    if !is_turkic(lang) {
        return text.to_uppercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'i' => out.push('İ'),
            'ı' => out.push('I'),
            _ => out.extend(c.to_uppercase()),
        }
    }
    out
}

/// Text in several languages, keyed by language code.
pub type Localized = std::collections::BTreeMap<String, String>;

/// The text for `lang`, else for `fallback`, else any, else "".
pub fn pick<'a>(text: &'a Localized, lang: &str, fallback: &str) -> &'a str {
    text.get(lang)
        .or_else(|| text.get(fallback))
        .or_else(|| text.values().next())
        .map_or("", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkic_case_rules_apply_to_azerbaijani_only() {
        assert_eq!(lowercase("az", "İSTİQLAL İLİ"), "istiqlal ili");
        assert_eq!(lowercase("az", "BAKI"), "bakı");
        assert_eq!(uppercase("az", "istiqlal bakı"), "İSTİQLAL BAKI");
        assert_eq!(lowercase("en", "BAKI"), "baki");
        assert_eq!(uppercase("en", "istiqlal"), "ISTIQLAL");
        assert_eq!(lowercase("tr", "IĞDIR"), "ığdır");
    }

    #[test]
    fn language_codes_are_checked_and_known_ones_named() {
        let az = Language::from_code("AZ").unwrap();
        assert_eq!(
            (az.code.as_str(), az.name.as_str(), az.dir),
            ("az", "Azərbaycanca", Direction::Ltr)
        );
        assert_eq!(Language::from_code("fa").unwrap().dir, Direction::Rtl);
        assert_eq!(Language::from_code("pt-br").unwrap().name, "pt-br");
        for bad in ["", "e", "english", "en_US", "en-", "../x", "en-gb-x"] {
            assert!(Language::from_code(bad).is_err(), "{bad} should be refused");
        }
    }
}
