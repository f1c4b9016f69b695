//! What a person typed, read as words: never as tantivy's query syntax.
//!
//! `title:x`, `+a -b`, `(`, `*` and `~` are punctuation here: they split words and are
//! otherwise ignored, so no input can fail to parse. Double quotes (also `“…”`, `«…»`, `„…“`)
//! make a phrase; an unbalanced quote is ignored and its words searched as words. The text is
//! cut to [`MAX_QUERY_CHARS`] characters and [`MAX_QUERY_WORDS`] words, and the result says
//! so, for the page to tell the reader.
//!
//! A text that looks like a release number (`367`, `367/21`, `No:367/21`, `No: 367`,
//! `№ 367/2021`, `QA-12`) is also read as one: [`NumberQuery`].

pub(crate) mod build;

use crate::analysis::words;

/// Longest query text read, in characters; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most words (phrase words included) read from a query.
pub const MAX_QUERY_WORDS: usize = 32;

/// One part of a query: every clause must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Clause {
    /// A word, as typed.
    Word(String),
    /// Words in quotes, as typed, in order.
    Phrase(Vec<String>),
}

impl Clause {
    /// The words of the clause.
    pub(crate) fn words(&self) -> impl Iterator<Item = &str> {
        let slice = match self {
            Clause::Word(w) => std::slice::from_ref(w),
            Clause::Phrase(ws) => ws.as_slice(),
        };
        slice.iter().map(String::as_str)
    }
}

/// A release number read from the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NumberQuery {
    /// The position in the series.
    pub(crate) seq: i64,
    /// The year as typed: two or four digits.
    pub(crate) year: Option<String>,
}

/// The query text, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserQuery {
    /// Words and phrases, all required.
    pub(crate) clauses: Vec<Clause>,
    /// The number the whole text names, if it names one.
    pub(crate) number: Option<NumberQuery>,
    /// The displayed-number terms of the whole text (`d:no:367/21`).
    pub(crate) display_terms: Vec<String>,
    /// Whether the text was cut.
    pub(crate) truncated: bool,
}

impl UserQuery {
    /// Reads `text`. Never fails.
    pub(crate) fn parse(text: &str) -> UserQuery {
        let mut truncated = text.chars().count() > MAX_QUERY_CHARS;
        let text: String = text
            .chars()
            .take(MAX_QUERY_CHARS)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut clauses = Vec::new();
        let mut budget = MAX_QUERY_WORDS;
        let quotes = text.chars().filter(|&c| is_quote(c)).count();
        // With an odd number of quotes the last one is unmatched: what follows is plain words.
        let usable_quotes = quotes - quotes % 2;
        let mut seen_quotes = 0;
        let mut inside = false;
        let mut segment = String::new();
        let mut flush = |segment: &str, phrase: bool, clauses: &mut Vec<Clause>| {
            let found: Vec<String> = words(segment).map(|(_, w)| w.to_owned()).collect();
            if found.len() > budget {
                truncated = true;
            }
            let found: Vec<String> = found.into_iter().take(budget).collect();
            budget -= found.len();
            match (phrase, found.len()) {
                (_, 0) => {}
                (true, n) if n > 1 => clauses.push(Clause::Phrase(found)),
                _ => clauses.extend(found.into_iter().map(Clause::Word)),
            }
        };
        for c in text.chars() {
            if is_quote(c) && seen_quotes < usable_quotes {
                seen_quotes += 1;
                flush(&segment, inside, &mut clauses);
                segment.clear();
                inside = !inside;
            } else {
                segment.push(c);
            }
        }
        flush(&segment, inside, &mut clauses);
        let trimmed = text.trim();
        let number = parse_number(trimmed);
        if number.is_some() {
            // `No: 367` is a number, not the word "no": its text part is its digits.
            clauses
                .retain(|c| matches!(c, Clause::Word(w) if w.bytes().all(|b| b.is_ascii_digit())));
        }
        let looks_numbered = trimmed.chars().any(|c| c.is_ascii_digit()) && trimmed.len() <= 40;
        let display_terms = if looks_numbered {
            crate::schema::display_terms(trimmed)
        } else {
            Vec::new()
        };
        UserQuery {
            clauses,
            number,
            display_terms,
            truncated,
        }
    }

    /// Whether there is nothing to search for: the search lists everything the filters let
    /// through, newest first.
    pub(crate) fn is_empty(&self) -> bool {
        self.clauses.is_empty() && self.number.is_none() && self.display_terms.is_empty()
    }
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '„' | '«' | '»')
}

/// Reads a release number in the forms people type: an optional prefix of up to four letters
/// or `№`/`#` (`No`, `N`, `Nr`, `QA`), optional `:`, `.`, `-` or spaces, one to six digits, and
/// optionally `/`, `-` or `.` and a two- or four-digit year.
pub(crate) fn parse_number(text: &str) -> Option<NumberQuery> {
    let rest = text.trim();
    let prefix_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphabetic() || matches!(c, '№' | '#')))
        .map_or(rest.len(), |(i, _)| i);
    if rest[..prefix_len].chars().count() > 4 {
        return None;
    }
    let rest = rest[prefix_len..].trim_start_matches([':', '.', '-', ' ', '\u{a0}']);
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    if !(1..=6).contains(&digits) {
        return None;
    }
    let seq: i64 = rest[..digits].parse().ok()?;
    let tail = rest[digits..].trim();
    if tail.is_empty() {
        return Some(NumberQuery { seq, year: None });
    }
    let year = tail.strip_prefix(['/', '-', '.'])?.trim();
    let valid = matches!(year.len(), 2 | 4) && year.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| NumberQuery {
        seq,
        year: Some(year.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str) -> Clause {
        Clause::Word(w.to_owned())
    }

    #[test]
    fn quotes_make_phrases_and_an_unbalanced_quote_is_ignored() {
        let q = UserQuery::parse(r#"border "foreign minister" talks"#);
        assert_eq!(
            q.clauses,
            [
                word("border"),
                Clause::Phrase(vec!["foreign".into(), "minister".into()]),
                word("talks")
            ]
        );
        let q = UserQuery::parse(r#"«Xarici işlər» "unclosed phrase"#);
        assert_eq!(
            q.clauses,
            [
                Clause::Phrase(vec!["Xarici".into(), "işlər".into()]),
                word("unclosed"),
                word("phrase")
            ]
        );
        assert_eq!(UserQuery::parse(r#""one""#).clauses, [word("one")]);
    }

    #[test]
    fn syntax_characters_are_punctuation() {
        let q = UserQuery::parse("title:Baku +gas -oil (AND) * ~2 \\ OR");
        let typed: Vec<&str> = q.clauses.iter().flat_map(Clause::words).collect();
        assert_eq!(typed, ["title", "Baku", "gas", "oil", "AND", "2", "OR"]);
        assert!(UserQuery::parse("+-:()\"").is_empty());
        assert!(UserQuery::parse("   \t\u{0}\u{7}").is_empty());
    }

    #[test]
    fn long_queries_are_cut_and_say_so() {
        let q = UserQuery::parse(&"word ".repeat(2000));
        assert!(q.truncated);
        assert_eq!(q.clauses.len(), MAX_QUERY_WORDS);
        let q = UserQuery::parse(&"x".repeat(10_000));
        assert!(q.truncated);
        assert!(!UserQuery::parse("short query").truncated);
    }

    #[test]
    fn number_forms() {
        let n = |seq, year: Option<&str>| {
            Some(NumberQuery {
                seq,
                year: year.map(str::to_owned),
            })
        };
        assert_eq!(parse_number("367"), n(367, None));
        assert_eq!(parse_number("367/21"), n(367, Some("21")));
        assert_eq!(parse_number("No:367/21"), n(367, Some("21")));
        assert_eq!(parse_number("No: 367"), n(367, None));
        assert_eq!(parse_number(" № 367 / 2021 "), n(367, Some("2021")));
        assert_eq!(parse_number("no.367-21"), n(367, Some("21")));
        assert_eq!(parse_number("QA-12"), n(12, None));
        assert_eq!(parse_number("Lavrov"), None);
        assert_eq!(parse_number("367 people"), None);
        assert_eq!(parse_number("Minister 367"), None);
        assert_eq!(parse_number("1234567"), None);
        assert_eq!(parse_number("367/2"), None);
    }
}
