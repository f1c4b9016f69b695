//! Letter tables: diacritic folding, Cyrillic-to-Latin transliteration and the loose Latin
//! "skeleton" that lets differently spelt names meet.
//!
//! These are data, not rules about languages: which analysis uses them is decided in
//! [`super`]. Diacritic folding itself is `pressroom_core::fold`, shared with the editorial
//! list's search.

pub(crate) use pressroom_core::fold::{fold_into, is_combining, is_invisible};

/// Whether `c` is a Cyrillic letter.
pub(crate) fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}' | '\u{0500}'..='\u{052F}')
}

/// Latin letters for one lower-case Cyrillic letter, in the common English-language
/// romanisation (`х`→`kh`, `ж`→`zh`, `й`→`y`), which the skeleton then loosens.
/// `None` for anything that is not Cyrillic.
pub(crate) fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' | 'ґ' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'є' => "ye",
        'ж' => "zh",
        'з' => "z",
        'и' | 'і' => "i",
        'ї' => "yi",
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
        'у' | 'ў' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

/// The loose Latin form of a folded word, so that the usual spellings of one name meet:
/// `Zakharova`, `Zaxarova` (Azerbaijani) and `Захарова` (through [`transliterate`]) all become
/// `zaharov`; `Shoigu` and `Shoygu` become `shoig`.
///
/// Sounds with several spellings are merged (`kh`/`x`/`h`, `y`/`i`, `ts`/`c`, `q`/`k`,
/// `w`/`v`, `ph`/`f`), doubled letters are collapsed, and the case endings of Russian names
/// are dropped (`-ым`, `-ой`, then trailing vowels while four letters remain): `Лавровым`,
/// `Лаврову` and `Lavrov` meet. No stemmer runs here: it would cut the Cyrillic form
/// (`лавров`→`лавр`) but never the Latin one.
pub(crate) fn skeleton(folded: &str) -> String {
    let bytes: Vec<char> = folded.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let (piece, used): (&[char], usize) = match rest {
            ['s', 'h', 'c', 'h', ..] => (&['s', 'h'], 4),
            ['s', 'c', 'h', ..] => (&['s', 'h'], 3),
            ['k', 'h', ..] => (&['h'], 2),
            ['t', 's', ..] | ['t', 'z', ..] => (&['c'], 2),
            ['p', 'h', ..] => (&['f'], 2),
            ['c', 'k', ..] => (&['k'], 2),
            ['x', ..] => (&['h'], 1),
            ['y', ..] => (&['i'], 1),
            ['q', ..] => (&['k'], 1),
            ['w', ..] => (&['v'], 1),
            [c, ..] => (std::slice::from_ref(c), 1),
            [] => break,
        };
        for &c in piece {
            if out.last() != Some(&c) || c.is_ascii_digit() {
                out.push(c);
            }
        }
        i += used;
    }
    if out.len() >= 6 && matches!(out[out.len() - 2..], ['i' | 'o', 'm'] | ['o' | 'e', 'i']) {
        out.truncate(out.len() - 2);
    }
    while out.len() > 4 && matches!(out.last(), Some('a' | 'e' | 'i' | 'o' | 'u')) {
        out.pop();
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(word: &str) -> String {
        let mut out = String::new();
        for c in word.chars() {
            fold_into(c, &mut out);
        }
        out
    }

    #[test]
    fn azerbaijani_and_other_latin_letters_lose_their_diacritics() {
        assert_eq!(fold("azərbaycan"), "azerbaycan");
        assert_eq!(fold("şuşa ğ ç ö ü ı"), "susa g c o u i");
        assert_eq!(
            fold("müller são tomé łódź straße"),
            "muller sao tome lodz strasse"
        );
        assert_eq!(fold("ёлка"), "елка");
        assert_eq!(
            fold("й"),
            "й",
            "й is a letter of its own, not a decorated и"
        );
    }

    #[test]
    fn name_spellings_share_a_skeleton() {
        let from_cyrillic = |w: &str| {
            let latin: String = w.chars().map(|c| transliterate(c).unwrap_or("?")).collect();
            skeleton(&latin)
        };
        assert_eq!(skeleton("zakharova"), "zaharov");
        assert_eq!(skeleton("zaxarova"), "zaharov");
        assert_eq!(from_cyrillic("захарова"), "zaharov");
        assert_eq!(skeleton("shoigu"), skeleton("shoygu"));
        assert_eq!(from_cyrillic("лавров"), skeleton("lavrov"));
        assert_eq!(from_cyrillic("лавровым"), "lavrov");
        assert_eq!(from_cyrillic("захаровой"), "zaharov");
        assert_eq!(skeleton("maxim"), "mahim", "a short word keeps its ending");
        assert_eq!(from_cyrillic("небензя"), skeleton("nebenzia"));
        assert_eq!(skeleton("baku"), "baku", "short words keep their vowels");
        assert_eq!(skeleton("2011"), "2011", "digits are never collapsed");
    }
}
