//! Highlighted, HTML-escaped titles and snippets.
//!
//! tantivy's `SnippetGenerator` reads one field's terms; a hit here may have matched through
//! any of four analyses (folded, stemmed, by prefix, transliterated), so the highlighter reads
//! the query's words with the same analyses the query used and marks every word of the text
//! that any of them matched. The output is escaped text with `<mark>` around matched words:
//! safe to put into a page as it is.

use std::collections::BTreeSet;
use std::ops::Range;

use crate::analysis::{Analysis, folded_initial, normalize, romanize, words};
use crate::query::UserQuery;

/// Longest snippet, in characters (before the ellipses).
const SNIPPET_CHARS: usize = 220;
/// Characters of context kept before the first match of a snippet.
const LEAD_IN_CHARS: usize = 40;
/// Matches tried as the start of a snippet: the best cluster is nearly always among the
/// first ones, and each try walks the text.
const MAX_CANDIDATES: usize = 16;
/// Text beyond this many bytes is not scanned for matches: snippets come from the start of
/// long bodies, and a hit costs the same however long its body is.
const SCAN_BYTES: usize = 32 * 1024;

/// The terms one analysis gives for the query's words.
struct Terms {
    analysis: Analysis,
    terms: BTreeSet<String>,
    /// The first three letters of each term: a stem begins like the word it came from, so a
    /// word that begins otherwise skips the stemmer.
    heads: Vec<String>,
}

/// What to highlight, read from a query.
pub(crate) struct Highlighter {
    /// The folded terms (with Cyrillic words romanised too).
    folded: BTreeSet<String>,
    /// The terms of each stemmed analysis searched.
    stemmed: Vec<Terms>,
    /// Folded terms that also match the words they begin.
    prefixes: Vec<String>,
    /// Transliterated terms, tried when nothing else matched.
    translit: BTreeSet<String>,
    /// The first letters of every folded term, prefix and stem: a word starting otherwise
    /// cannot match and is not normalised.
    initials: BTreeSet<char>,
}

impl Highlighter {
    /// The highlighter for `query` searched with `analyses` (which include the folded one).
    pub(crate) fn new(query: &UserQuery, analyses: &[Analysis]) -> Self {
        let typed: Vec<&str> = query.clauses.iter().flat_map(|c| c.words()).collect();
        let terms_of = |analysis: Analysis| -> BTreeSet<String> {
            typed.iter().filter_map(|w| analysis.term(w)).collect()
        };
        let mut folded = terms_of(Analysis::Folded);
        let prefixes = folded
            .iter()
            .filter(|t| t.chars().count() >= 4)
            .cloned()
            .collect();
        folded.extend(typed.iter().filter_map(|w| romanize(w)));
        let stemmed: Vec<Terms> = analyses
            .iter()
            .filter(|&&a| a != Analysis::Folded)
            .map(|&analysis| {
                let terms = terms_of(analysis);
                let heads = terms.iter().map(|t| t.chars().take(3).collect()).collect();
                Terms {
                    analysis,
                    terms,
                    heads,
                }
            })
            .collect();
        let stemmed_terms = stemmed.iter().flat_map(|s| s.terms.iter());
        let initials = folded
            .iter()
            .chain(stemmed_terms)
            .filter_map(|t| t.chars().next())
            .collect();
        Self {
            folded,
            stemmed,
            prefixes,
            translit: terms_of(Analysis::Translit),
            initials,
        }
    }

    /// The byte ranges of the words of `text` the query matched; by prefix too when
    /// `prefixes` (the text's language has no stemmer, as in the query). For a snippet
    /// (`for_snippet`) the scan stops once no later match can change it: past the
    /// [`MAX_CANDIDATES`]th match by more than a snippet's length, where no candidate's span
    /// reaches. The words after it are neither normalised nor stemmed.
    fn matches(&self, text: &str, prefixes: bool, for_snippet: bool) -> Vec<Range<usize>> {
        let scanned = &text[..floor_char_boundary(text, SCAN_BYTES)];
        // A snippet of `SNIPPET_CHARS` characters spans at most four bytes for each.
        let done = |found: &[Range<usize>], start: usize| {
            for_snippet
                && found
                    .get(MAX_CANDIDATES - 1)
                    .is_some_and(|last| start > last.start + 4 * (SNIPPET_CHARS + 1))
        };
        let mut found = Vec::new();
        let (mut folded, mut term) = (String::new(), String::new());
        for (start, word) in words(scanned) {
            if done(&found, start) {
                break;
            }
            if self.matches_word(word, prefixes, &mut folded, &mut term) {
                found.push(start..start + word.len());
            }
        }
        if found.is_empty() && !self.translit.is_empty() {
            for (start, word) in words(scanned) {
                if done(&found, start) {
                    break;
                }
                normalize(Analysis::Translit, word, &mut term);
                if self.translit.contains(&term) {
                    found.push(start..start + word.len());
                }
            }
        }
        found
    }

    fn matches_word(
        &self,
        word: &str,
        prefixes: bool,
        folded: &mut String,
        term: &mut String,
    ) -> bool {
        match folded_initial(word, folded) {
            Some(initial) if self.initials.contains(&initial) => {}
            _ => return false,
        }
        normalize(Analysis::Folded, word, folded);
        if self.folded.contains(folded.as_str())
            || (prefixes && self.prefixes.iter().any(|p| folded.starts_with(p.as_str())))
        {
            return true;
        }
        self.stemmed.iter().any(|stemmed| {
            stemmed.heads.iter().any(|h| folded.starts_with(h.as_str())) && {
                normalize(stemmed.analysis, word, term);
                stemmed.terms.contains(term.as_str())
            }
        })
    }

    /// All of `text` (in language `lang`), escaped, matched words marked: for titles.
    pub(crate) fn highlight(&self, text: &str, lang: &str) -> String {
        render(
            text,
            0..text.len(),
            &self.matches(text, unstemmed(lang), false),
        )
    }

    /// Up to [`SNIPPET_CHARS`] characters of `text` around its best cluster of matches,
    /// escaped and marked, with `…` where it was cut; the start of the text when nothing
    /// matched (the hit matched by title or number).
    pub(crate) fn snippet(&self, text: &str, lang: &str) -> String {
        let found = self.matches(text, unstemmed(lang), true);
        let mut best: (usize, Range<usize>) = (0, window(text, 0));
        for (i, hit) in found.iter().enumerate().take(MAX_CANDIDATES) {
            let start = lead_in(text, hit.start);
            let span = window(text, start);
            let inside = found[i..].iter().take_while(|h| h.end <= span.end).count();
            if inside > best.0 {
                best = (inside, span);
            }
        }
        let span = best.1;
        let mut html = String::new();
        if span.start > 0 {
            html.push('…');
        }
        html.push_str(&render(text, span.clone(), &found));
        if span.end < text.len() {
            html.push('…');
        }
        html
    }
}

/// Whether words of `lang` match by prefix (as in `query::build`).
fn unstemmed(lang: &str) -> bool {
    Analysis::for_language(lang) == Analysis::Folded
}

/// Where a snippet showing a match at `at` starts: some words before it, at a word's start.
fn lead_in(text: &str, at: usize) -> usize {
    let before = &text[..at];
    let Some((back, _)) = before.char_indices().rev().nth(LEAD_IN_CHARS) else {
        return 0;
    };
    before[back..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(at, |(i, c)| back + i + c.len_utf8())
}

/// The span of at most [`SNIPPET_CHARS`] characters from `start`, ending at a word's end.
fn window(text: &str, start: usize) -> Range<usize> {
    let rest = &text[start..];
    match rest.char_indices().nth(SNIPPET_CHARS) {
        None => start..text.len(),
        Some((cut, _)) => {
            let end = match rest[..cut].rfind(char::is_whitespace) {
                Some(space) if space > 0 => space,
                _ => cut,
            };
            start..start + end
        }
    }
}

/// `text[span]`, escaped, with `<mark>` around the parts of `marks` inside it.
fn render(text: &str, span: Range<usize>, marks: &[Range<usize>]) -> String {
    let mut html = String::with_capacity(span.len() + 16);
    let mut at = span.start;
    for mark in marks
        .iter()
        .filter(|m| m.start >= span.start && m.end <= span.end)
    {
        if mark.start < at {
            continue;
        }
        escape_into(&text[at..mark.start], &mut html);
        html.push_str("<mark>");
        escape_into(&text[mark.clone()], &mut html);
        html.push_str("</mark>");
        at = mark.end;
    }
    escape_into(&text[at..span.end], &mut html);
    html
}

/// Escapes the five characters that matter in HTML text and attribute values.
pub(crate) fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

fn floor_char_boundary(text: &str, max: usize) -> usize {
    if max >= text.len() {
        return text.len();
    }
    (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn highlighter(query: &str, lang: Option<&str>) -> Highlighter {
        let analyses = crate::query::build::analyses_for(lang);
        Highlighter::new(&UserQuery::parse(query), &analyses)
    }

    #[test]
    fn marks_matches_through_every_analysis_and_escapes_the_rest() {
        let h = highlighter("azerbaycan ministers", None);
        assert_eq!(
            h.highlight("<b>Azərbaycan</b> & the Minister's", "en"),
            "&lt;b&gt;<mark>Azərbaycan</mark>&lt;/b&gt; &amp; the <mark>Minister</mark>&#39;s"
        );
        let h = highlighter("Qarabağ", Some("az"));
        assert_eq!(h.highlight("Qarabağda", "az"), "<mark>Qarabağda</mark>");
        let h = highlighter("Lavrov", Some("ru"));
        assert_eq!(
            h.highlight("Встреча с Лавровым", "ru"),
            "Встреча с <mark>Лавровым</mark>"
        );
    }

    #[test]
    fn a_snippet_is_cut_around_the_matches_at_word_boundaries() {
        let filler = "word ".repeat(200);
        let text = format!("{filler}the pipeline agreement was signed {filler}");
        let snippet = highlighter("pipeline", None).snippet(&text, "en");
        assert!(
            snippet.starts_with('…') && snippet.ends_with('…'),
            "{snippet}"
        );
        assert!(
            snippet.contains("the <mark>pipeline</mark> agreement"),
            "{snippet}"
        );
        let visible = snippet.replace("<mark>", "").replace("</mark>", "");
        assert!(visible.chars().count() <= SNIPPET_CHARS + 2, "{visible}");
        assert!(!snippet.contains("wor…") && !snippet.contains("…ord"));
        let plain = highlighter("absent", None).snippet("Short text.", "en");
        assert_eq!(plain, "Short text.");
    }

    #[test]
    fn a_snippet_of_a_text_with_many_matches_is_the_one_a_full_scan_gives() {
        let h = highlighter("pipeline", None);
        let text = (0..400)
            .map(|i| if i % 7 == 3 { "pipeline" } else { "word" })
            .collect::<Vec<_>>()
            .join(" ");
        let text = format!("{text} the pipeline pipeline pipeline pipeline cluster");
        let full = h.matches(&text, false, false);
        let early = h.matches(&text, false, true);
        assert!(early.len() < full.len(), "the scan stopped early");
        assert_eq!(full[..early.len()], early[..]);
        let mut best = (0, window(&text, 0));
        for (i, hit) in full.iter().enumerate().take(MAX_CANDIDATES) {
            let span = window(&text, lead_in(&text, hit.start));
            let inside = full[i..].iter().take_while(|m| m.end <= span.end).count();
            if inside > best.0 {
                best = (inside, span);
            }
        }
        let span = best.1;
        let expected = format!(
            "{}{}{}",
            if span.start > 0 { "…" } else { "" },
            render(&text, span.clone(), &full),
            if span.end < text.len() { "…" } else { "" }
        );
        assert_eq!(h.snippet(&text, "en"), expected);
    }
}
