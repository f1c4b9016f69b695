//! How text becomes terms: one word splitter, four ways of normalising a word.
//!
//! Every analysis splits text the same way (`words`): a word is a run of letters and digits,
//! with combining marks and invisible characters (soft hyphens, zero-width joiners) kept inside
//! it. Because the splitting is shared, one word a person typed is one term in every
//! analysis, which is what lets a query ask "this word, in any of these fields" and lets a
//! snippet find the words a query matched.
//!
//! A word is then normalised by its [`Analysis`]:
//!
//! - **Folded** — the Azerbaijani analysis, and the cross-language one: Turkic lower-casing
//!   (`I`→`ı`, `İ`→`i`, as `pressroom_core::language::lowercase` does for `az`), then
//!   diacritics folded (`ə`→`e`, `ı`→`i`, `ö`→`o`, `ü`→`u`, `ş`→`s`, `ç`→`c`, `ğ`→`g`, and the
//!   usual Latin letters), `ё`→`е`. Folding sends `I`, `İ`, `ı` and `i` all to `i`, so the
//!   Turkic and the ordinary lower-casing give the same term: a word typed on an English
//!   keyboard (`IRAN`, `Iran`) finds `İran` and `Iran` alike, and one analyzer serves every
//!   language in the shared field.
//! - **English** — folded, then the Snowball English stemmer (`ministers`→`minist`).
//! - **Russian** — folded (so `ё`→`е`), then the Snowball Russian stemmer for Cyrillic words.
//! - **Translit** — Cyrillic words are romanised, and every word is reduced to a loose Latin
//!   skeleton without name endings (`letters::skeleton`), so `Lavrov` finds `Лавров` and
//!   `Лавровым`, and `Zakharova`, `Zaxarova` and `Захаровой` meet.
//!
//! Azerbaijani has no Snowball stemmer; rather than guess at an agglutinative language's
//! suffixes, queries match words of languages without a stemmer by prefix as well as exactly
//! (see `query::build`), so `Qarabağ` finds `Qarabağda` and `Qarabağın`.

mod letters;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use letters::{fold_into, is_combining, is_cyrillic, is_invisible, skeleton, transliterate};

/// Terms longer than this many bytes are dropped: they are never words a person types, and
/// tantivy refuses terms past 64 KiB.
const MAX_TERM_BYTES: usize = 120;

/// A way of turning a word into a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Analysis {
    /// Turkic-safe lower-casing and diacritic folding, no stemming (Azerbaijani, the shared
    /// field, and every language without its own).
    Folded,
    /// Folded and stemmed as English.
    English,
    /// Folded (`ё`→`е`) and stemmed as Russian.
    Russian,
    /// A loose Latin skeleton, Cyrillic romanised first: for names spelt in several scripts.
    Translit,
}

impl Analysis {
    /// Every analysis, each registered as a tokenizer of the index.
    pub(crate) const ALL: [Analysis; 4] = [
        Analysis::Folded,
        Analysis::English,
        Analysis::Russian,
        Analysis::Translit,
    ];

    /// The analysis of a language's own fields: English and Russian stem, everything else
    /// (Azerbaijani included) is folded.
    pub fn for_language(lang: &str) -> Analysis {
        match lang.split('-').next() {
            Some("en") => Analysis::English,
            Some("ru") => Analysis::Russian,
            _ => Analysis::Folded,
        }
    }

    /// The name under which the index knows this analysis's tokenizer.
    pub(crate) fn tokenizer_name(self) -> &'static str {
        match self {
            Analysis::Folded => "pressroom_folded",
            Analysis::English => "pressroom_en",
            Analysis::Russian => "pressroom_ru",
            Analysis::Translit => "pressroom_translit",
        }
    }

    /// The term for one word, or `None` when the word leaves nothing to search for.
    pub fn term(self, word: &str) -> Option<String> {
        let mut out = String::new();
        normalize(self, word, &mut out);
        (!out.is_empty()).then_some(out)
    }
}

/// A Cyrillic word in Latin letters (`Лавров`→`lavrov`), to look for in the folded fields,
/// where a Latin text spells the name; `None` for a word without Cyrillic letters.
pub(crate) fn romanize(word: &str) -> Option<String> {
    let folded = Analysis::Folded.term(word)?;
    folded.chars().any(is_cyrillic).then(|| {
        folded
            .chars()
            .map(|c| transliterate(c).map_or_else(|| c.to_string(), str::to_owned))
            .collect()
    })
}

/// The terms `text` gives in the fields of language `lang`, in order: what the index stores
/// for that language, and what a query in it looks for.
pub fn terms(lang: &str, text: &str) -> Vec<String> {
    let analysis = Analysis::for_language(lang);
    words(text).filter_map(|(_, w)| analysis.term(w)).collect()
}

/// The words of `text` with their byte offsets.
pub(crate) fn words(text: &str) -> Words<'_> {
    Words { text, pos: 0 }
}

/// Whether `c` is a Cyrillic letter: a translation with any gets a transliterated copy.
pub(crate) fn is_cyrillic_letter(c: char) -> bool {
    is_cyrillic(c)
}

/// Whether `c` continues a word.
fn is_word_char(c: char) -> bool {
    // The scripts of the site's languages first: `is_alphanumeric` looks most of them up in
    // a slow table, and this runs for every character indexed.
    match c {
        '0'..='9' | 'a'..='z' | 'A'..='Z' => true,
        '\0'..='\u{7f}' => false,
        '\u{c0}'..='\u{2af}' => c != '×' && c != '÷',
        '\u{400}'..='\u{481}' | '\u{48a}'..='\u{52f}' => true,
        _ => c.is_alphanumeric() || is_combining(c) || is_invisible(c),
    }
}

/// Appends `c` lower-cased (ordinary rules; the Turkic I is handled by the caller).
fn push_lowercase(c: char, out: &mut String) -> bool {
    let mut cyrillic = false;
    match c {
        'A'..='Z' => out.push(c.to_ascii_lowercase()),
        '\0'..='\u{7f}' => out.push(c),
        // Cyrillic capitals: А–Я are 32 below а–я, Ѐ–Џ 80 below ѐ–џ.
        '\u{410}'..='\u{42f}' | '\u{400}'..='\u{40f}' => {
            let offset = if c >= '\u{410}' { 0x20 } else { 0x50 };
            let lower = char::from_u32(c as u32 + offset).unwrap_or(c);
            fold_into(lower, out);
            cyrillic = true;
        }
        '\u{430}'..='\u{45f}' => {
            fold_into(c, out);
            cyrillic = true;
        }
        _ => {
            for lower in c.to_lowercase() {
                cyrillic |= is_cyrillic(lower);
                fold_into(lower, out);
            }
        }
    }
    cyrillic
}

/// The iterator of [`words`].
pub(crate) struct Words<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Iterator for Words<'a> {
    type Item = (usize, &'a str);

    fn next(&mut self) -> Option<(usize, &'a str)> {
        let rest = self.text.get(self.pos..)?;
        let start = self.pos + rest.find(is_word_char)?;
        let tail = &self.text[start..];
        let len = tail.find(|c: char| !is_word_char(c)).unwrap_or(tail.len());
        self.pos = start + len;
        Some((start, &tail[..len]))
    }
}

/// The first letter of `word`'s folded term (`İran`→`i`, `Şuşa`→`s`), written through `buf`:
/// a cheap test that a word cannot match before normalising all of it.
pub(crate) fn folded_initial(word: &str, buf: &mut String) -> Option<char> {
    buf.clear();
    for c in word.chars() {
        match c {
            'I' | 'İ' | 'ı' => return Some('i'),
            c if !c.is_ascii() && (is_combining(c) || is_invisible(c)) => {}
            c => {
                push_lowercase(c, buf);
                if let Some(first) = buf.chars().next() {
                    return Some(first);
                }
            }
        }
    }
    None
}

/// Writes the term of `word` under `analysis` into `out` (empty when nothing is left).
pub(crate) fn normalize(analysis: Analysis, word: &str, out: &mut String) {
    out.clear();
    let mut cyrillic = false;
    for c in word.chars() {
        match c {
            // Turkic lower-casing followed by folding: every I is an i.
            'I' | 'İ' | 'ı' => out.push('i'),
            // A decomposed й (и + breve) is still й.
            '\u{0306}' if out.ends_with('и') => {
                out.pop();
                out.push('й');
            }
            c if !c.is_ascii() && (is_combining(c) || is_invisible(c)) => {}
            c => cyrillic |= push_lowercase(c, out),
        }
    }
    if out.len() > MAX_TERM_BYTES {
        out.clear();
        return;
    }
    match analysis {
        Analysis::Folded => {}
        Analysis::English => {
            if !cyrillic {
                stem(frostem::Algorithm::English, out);
            }
        }
        Analysis::Russian => {
            if cyrillic {
                stem(frostem::Algorithm::Russian, out);
            }
        }
        Analysis::Translit => {
            if cyrillic {
                let latin: String = out
                    .chars()
                    .map(|c| transliterate(c).map_or_else(|| c.to_string(), str::to_owned))
                    .collect();
                *out = latin;
            }
            *out = skeleton(out);
        }
    }
}

fn stem(algorithm: frostem::Algorithm, word: &mut String) {
    let stemmed = match frostem::Stemmer::new(algorithm).stem(word) {
        std::borrow::Cow::Owned(stemmed) => stemmed,
        std::borrow::Cow::Borrowed(_) => return,
    };
    // A stemmer never empties a word a person could search for; keep the word if it would.
    if !stemmed.is_empty() {
        *word = stemmed;
    }
}

/// The tokenizer registered in the index for one [`Analysis`].
#[derive(Clone)]
pub(crate) struct WordTokenizer {
    analysis: Analysis,
    token: Token,
}

impl WordTokenizer {
    pub(crate) fn new(analysis: Analysis) -> Self {
        Self {
            analysis,
            token: Token::default(),
        }
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        self.token.reset();
        WordStream {
            analysis: self.analysis,
            words: words(text),
            token: &mut self.token,
            position: 0,
        }
    }
}

/// The token stream of [`WordTokenizer`]: offsets point into the original text, so snippets
/// highlight what the reader sees.
pub(crate) struct WordStream<'a> {
    analysis: Analysis,
    words: Words<'a>,
    token: &'a mut Token,
    position: usize,
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        for (start, word) in self.words.by_ref() {
            normalize(self.analysis, word, &mut self.token.text);
            if self.token.text.is_empty() {
                continue;
            }
            self.token.offset_from = start;
            self.token.offset_to = start + word.len();
            self.token.position = self.position;
            self.position += 1;
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests;
