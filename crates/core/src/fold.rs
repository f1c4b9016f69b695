//! Diacritic folding: the one way Pressroom makes `Azərbaycan`, `AZƏRBAYCAN` and `Azerbaycan`
//! the same text.
//!
//! The search index folds every word it stores and every word a reader types
//! (`pressroom_search`'s analysis); the editorial list folds the head revision's text and the
//! officer's query the same way (`fold`), so both find what a person typed on any keyboard.

/// `text` lower-cased with Turkic rules for every I (`I`, `İ`, `ı` and `i` all become `i`, so
/// the Turkic and the ordinary lower-casing meet), diacritics folded (`ə`→`e`, `ş`→`s`,
/// `ё`→`е`), combining marks and invisible characters (soft hyphens) dropped.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'I' | 'İ' | 'ı' => out.push('i'),
            // A decomposed й (и + breve) is still й.
            '\u{0306}' if out.ends_with('и') => {
                out.pop();
                out.push('й');
            }
            c if !c.is_ascii() && (is_combining(c) || is_invisible(c)) => {}
            c => {
                for lower in c.to_lowercase() {
                    fold_into(lower, &mut out);
                }
            }
        }
    }
    out
}

/// Appends the folded form of one already lower-cased letter: Latin letters lose their
/// diacritics (`ə`→`e`, `ı`→`i`, `ş`→`s`, `é`→`e`), Russian `ё` becomes `е`; every other
/// character is kept.
///
/// The Azerbaijani letters are the point (a journalist types `Azerbaycan` on an English
/// keyboard); the common Latin-1 and Latin Extended-A letters come along so that names from
/// other languages (`Müller`, `São Tomé`, `Łódź`) fold the same way.
pub fn fold_into(c: char, out: &mut String) {
    let folded = match c {
        'ə' => 'e',
        'ı' => 'i',
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ğ' | 'ĝ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => 's',
        'ţ' | 'ť' | 'ŧ' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        'ß' => {
            out.push_str("ss");
            return;
        }
        'æ' => {
            out.push_str("ae");
            return;
        }
        'œ' => {
            out.push_str("oe");
            return;
        }
        'ё' => 'е',
        other => other,
    };
    out.push(folded);
}

/// Whether `c` is a combining mark that belongs to the letter before it (a decomposed `ö` is
/// `o` + U+0308). Such marks keep a word together and are then dropped by folding.
pub fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

/// Whether `c` is invisible inside a word (soft hyphen, zero-width joiners): kept in the word,
/// dropped from its term, so `Azər\u{AD}baycan` pasted from a PDF still matches.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_word_folds_to_one() {
        for spelling in ["Azərbaycan", "AZƏRBAYCAN", "Azerbaycan", "azər\u{AD}baycan"] {
            assert_eq!(fold(spelling), "azerbaycan", "{spelling}");
        }
        assert_eq!(fold("İran IRAN iran"), "iran iran iran");
        assert_eq!(fold("Ёлка ШУША"), "елка шуша");
        assert_eq!(fold("Şuşa, 367/21!"), "susa, 367/21!");
        assert_eq!(fold("й и\u{0306}"), "й й");
    }
}
