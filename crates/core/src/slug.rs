//! Readable URL slugs made from titles in any of the site's languages, and percent-encoding.
//!
//! Azerbaijani and Russian titles are transliterated to ASCII so that a shared link reads
//! well everywhere (`/az/releases/2021/367-xarici-isler-naziri`); letters of other scripts are
//! kept as they are and percent-encoded by the browser.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::language::lowercase;

/// The longest slug we make, in characters; longer titles are cut at a word boundary.
pub const MAX_SLUG_CHARS: usize = 80;

/// A slug for `title` in language `lang`: lowercase, words joined by `-`, never empty.
pub fn slugify(lang: &str, title: &str) -> String {
    let lower = lowercase(lang, title);
    let mut slug = String::with_capacity(lower.len());
    let mut pending_dash = false;
    for c in lower.chars() {
        let mapped = transliterate(c);
        let piece: Option<&str> = match mapped {
            Some(s) => Some(s),
            None if c.is_alphanumeric() => None,
            None => {
                pending_dash = !slug.is_empty();
                continue;
            }
        };
        if pending_dash {
            slug.push('-');
            pending_dash = false;
        }
        match piece {
            Some(s) => slug.push_str(s),
            None => slug.push(c),
        }
    }
    let slug = truncate_at_word(&slug, MAX_SLUG_CHARS);
    if slug.is_empty() {
        "release".to_owned()
    } else {
        slug
    }
}

/// Everything but RFC 3986's unreserved characters (letters, digits, `-`, `_`, `.`, `~`).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes everything but RFC 3986's unreserved characters (`%XX`, uppercase): for
/// query values, share links and `otpauth://` labels, where `/`, `&` and `:` must not survive.
pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// Whether `s` is a slug as [`slugify`] makes them (what a person may type in the editor).
pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= MAX_SLUG_CHARS
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars()
            .all(|c| c == '-' || (c.is_alphanumeric() && !c.is_uppercase()))
}

fn truncate_at_word(slug: &str, max: usize) -> String {
    if slug.chars().count() <= max {
        return slug.to_owned();
    }
    let cut: String = slug.chars().take(max).collect();
    match cut.rfind('-') {
        Some(i) if i > 0 => cut[..i].to_owned(),
        _ => cut,
    }
}

/// ASCII for letters of Azerbaijani and Russian that are not ASCII; `None` for anything else.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'a'..='z' | '0'..='9' => return ascii(c),
        'ə' => "e",
        'ı' => "i",
        'ş' => "sh",
        'ç' => "ch",
        'ğ' => "g",
        'ö' => "o",
        'ü' => "u",
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' => "e",
        'ё' => "yo",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

fn ascii(c: char) -> Option<&'static str> {
    const TABLE: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
    let i = TABLE.find(c)?;
    TABLE.get(i..i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_read_well_in_every_language() {
        assert_eq!(
            slugify("en", "Minister meets EU delegation, 4 Oct."),
            "minister-meets-eu-delegation-4-oct"
        );
        assert_eq!(
            slugify("az", "İşğal olunmuş ərazilər: Bəyanat"),
            "ishgal-olunmush-eraziler-beyanat"
        );
        assert_eq!(slugify("az", "IRAQ"), "iraq");
        assert_eq!(
            slugify("ru", "Заявление пресс-службы МИД"),
            "zayavlenie-press-sluzhby-mid"
        );
        assert_eq!(slugify("fa", "بیانیه وزارت"), "بیانیه-وزارت");
        assert_eq!(slugify("en", "¿?!"), "release");
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("Az-09_.~"), "Az-09_.~");
        assert_eq!(
            percent_encode("a b/&?=:#%+ç"),
            "a%20b%2F%26%3F%3D%3A%23%25%2B%C3%A7"
        );
    }

    #[test]
    fn long_titles_are_cut_at_a_word() {
        let slug = slugify("en", &"word ".repeat(40));
        assert!(slug.chars().count() <= MAX_SLUG_CHARS);
        assert!(slug.ends_with("word"));
        assert!(is_valid_slug(&slug));
    }

    #[test]
    fn typed_slugs_are_checked() {
        assert!(is_valid_slug("a-b-2"));
        assert!(is_valid_slug("бəyanat"));
        for bad in ["", "-a", "a-", "a--b", "A", "a b", "a/b", "a?b"] {
            assert!(!is_valid_slug(bad), "{bad:?}");
        }
    }
}
