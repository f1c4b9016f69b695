//! A [`UserQuery`] as tantivy queries.
//!
//! Every clause must match (words narrow, as journalists expect); a word matches if any of
//! the searched fields has it: the title (weighing double) or the body, in the folded fields,
//! in the stemmed fields of the languages searched, by prefix in the folded fields of
//! translations in a language without a stemmer (Azerbaijani; words of four letters or more,
//! weighing less than an exact match), in the transliterated field, or — for a Cyrillic word —
//! romanised in the folded fields (`Лавров` finds an English `Lavrov`).
//! The best of those counts, plus a little of the others (`DisjunctionMaxQuery`), so a word
//! found three ways does not drown the others.
//!
//! A number the text names adds constant scores far above any text score, so the numbered
//! release comes first in relevance order: its displayed form exactly (`No:367/21`) above its
//! position and year (`367/21`) above its position alone (`367`).

use std::ops::Bound;

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery,
    FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use super::{Clause, UserQuery};
use crate::analysis::{Analysis, romanize};
use crate::schema::{Fields, analysis_key};

const TITLE_WEIGHT: f32 = 2.0;
const PREFIX_WEIGHT: f32 = 0.3;
const TRANSLIT_WEIGHT: f32 = 0.6;
const TIE_BREAKER: f32 = 0.1;
/// Shortest folded term, in characters, that also matches the words it begins.
const PREFIX_MIN_CHARS: usize = 4;

const DISPLAY_SCORE: f32 = 1000.0;
const SEQ_YEAR_SCORE: f32 = 800.0;
const SEQ_SCORE: f32 = 400.0;

/// The analyses a search in `lang` (or every language) reads the query with: always the
/// folded one, plus the language's own (or every stemmed one).
pub(crate) fn analyses_for(lang: Option<&str>) -> Vec<Analysis> {
    let mut analyses = vec![Analysis::Folded];
    match lang {
        Some(lang) => analyses.push(Analysis::for_language(lang)),
        None => analyses.extend([Analysis::English, Analysis::Russian]),
    }
    analyses.dedup();
    analyses
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(query: Box<dyn Query>, weight: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, weight))
}

fn prefix_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(FuzzyTermQuery::new_prefix(
        Term::from_field_text(field, text),
        0,
        false,
    ))
}

fn word_query(fields: &Fields, word: &str, analyses: &[Analysis]) -> Option<Box<dyn Query>> {
    let mut any: Vec<Box<dyn Query>> = Vec::new();
    for &analysis in analyses {
        let (Some(term), Some(text)) = (analysis.term(word), fields.text_fields(analysis)) else {
            continue;
        };
        any.push(boosted(term_query(text.title, &term), TITLE_WEIGHT));
        any.push(term_query(text.body, &term));
        if analysis == Analysis::Folded && term.chars().count() >= PREFIX_MIN_CHARS {
            // Only in translations of languages without a stemmer: English and Russian have
            // theirs, and `министр` must not find `министерство` by prefix.
            let unstemmed = term_query(fields.analysis, analysis_key(Analysis::Folded));
            let prefixes = BooleanQuery::union(vec![
                boosted(prefix_query(text.title, &term), TITLE_WEIGHT),
                prefix_query(text.body, &term),
            ]);
            let only_unstemmed = BooleanQuery::new(vec![
                (Occur::Must, Box::new(prefixes) as Box<dyn Query>),
                (Occur::Must, Box::new(ConstScoreQuery::new(unstemmed, 0.0))),
            ]);
            any.push(boosted(Box::new(only_unstemmed), PREFIX_WEIGHT));
        }
    }
    if let Some(latin) = romanize(word) {
        let folded = fields.folded;
        any.push(boosted(
            term_query(folded.title, &latin),
            TRANSLIT_WEIGHT * TITLE_WEIGHT,
        ));
        any.push(boosted(term_query(folded.body, &latin), TRANSLIT_WEIGHT));
    }
    if let Some(term) = Analysis::Translit.term(word) {
        any.push(boosted(term_query(fields.translit, &term), TRANSLIT_WEIGHT));
    }
    (!any.is_empty())
        .then(|| Box::new(DisjunctionMaxQuery::with_tie_breaker(any, TIE_BREAKER)) as _)
}

fn phrase_query(
    fields: &Fields,
    words: &[String],
    analyses: &[Analysis],
) -> Option<Box<dyn Query>> {
    let mut any: Vec<Box<dyn Query>> = Vec::new();
    for &analysis in analyses {
        let Some(text) = fields.text_fields(analysis) else {
            continue;
        };
        let terms: Vec<String> = words.iter().filter_map(|w| analysis.term(w)).collect();
        for (field, weight) in [(text.title, TITLE_WEIGHT), (text.body, 1.0)] {
            let query: Box<dyn Query> = match terms.as_slice() {
                [] => continue,
                [one] => term_query(field, one),
                many => Box::new(PhraseQuery::new(
                    many.iter()
                        .map(|t| Term::from_field_text(field, t))
                        .collect(),
                )),
            };
            any.push(boosted(query, weight));
        }
    }
    (!any.is_empty())
        .then(|| Box::new(DisjunctionMaxQuery::with_tie_breaker(any, TIE_BREAKER)) as _)
}

/// Every clause, required; `None` when no clause leaves a term.
fn text_query(fields: &Fields, query: &UserQuery, analyses: &[Analysis]) -> Option<Box<dyn Query>> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = query
        .clauses
        .iter()
        .filter_map(|clause| match clause {
            Clause::Word(word) => word_query(fields, word, analyses),
            Clause::Phrase(words) => phrase_query(fields, words, analyses),
        })
        .map(|q| (Occur::Must, q))
        .collect();
    (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as _)
}

fn number_query(fields: &Fields, query: &UserQuery) -> Option<Box<dyn Query>> {
    let scored = |text: &str, score: f32| -> Box<dyn Query> {
        Box::new(ConstScoreQuery::new(term_query(fields.number, text), score))
    };
    let mut any: Vec<Box<dyn Query>> = query
        .display_terms
        .iter()
        .map(|t| scored(t, DISPLAY_SCORE))
        .collect();
    if let Some(number) = &query.number {
        let seq = number.seq;
        match &number.year {
            Some(year) => {
                any.push(scored(&format!("sy:{seq}/{year}"), SEQ_YEAR_SCORE));
                any.push(scored(&format!("s:{seq}"), SEQ_SCORE / 4.0));
            }
            None => any.push(scored(&format!("s:{seq}"), SEQ_SCORE)),
        }
    }
    (!any.is_empty()).then(|| Box::new(BooleanQuery::union(any)) as _)
}

/// The query for the text alone: words, phrases and number, without filters.
pub(crate) fn main_query(
    fields: &Fields,
    query: &UserQuery,
    analyses: &[Analysis],
) -> Box<dyn Query> {
    match (
        text_query(fields, query, analyses),
        number_query(fields, query),
    ) {
        (Some(text), Some(number)) => Box::new(BooleanQuery::union(vec![text, number])),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) if query.is_empty() => Box::new(AllQuery),
        (None, None) => Box::new(EmptyQuery),
    }
}

/// One of the filters that have counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dimension {
    Kind,
    Topic,
    Year,
    Lang,
}

/// The filters of a search, borrowed from the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FilterSet<'a> {
    pub(crate) kinds: &'a [String],
    pub(crate) topics: &'a [String],
    pub(crate) years: (Option<i16>, Option<i16>),
    pub(crate) lang: Option<&'a str>,
    pub(crate) include_withdrawn: bool,
}

impl FilterSet<'_> {
    /// Whether the filter of `dimension` narrows the search.
    pub(crate) fn is_active(&self, dimension: Dimension) -> bool {
        match dimension {
            Dimension::Kind => !self.kinds.is_empty(),
            Dimension::Topic => !self.topics.is_empty(),
            Dimension::Year => self.years != (None, None),
            Dimension::Lang => self.lang.is_some(),
        }
    }
}

fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    let terms: Vec<Box<dyn Query>> = values.iter().map(|v| term_query(field, v)).collect();
    Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::union(terms)),
        0.0,
    ))
}

/// `main` narrowed by every filter except `skip`'s (for that filter's counts). Filters score
/// nothing, so they never change the order.
pub(crate) fn filtered(
    main: Box<dyn Query>,
    fields: &Fields,
    filters: &FilterSet<'_>,
    skip: Option<Dimension>,
) -> Box<dyn Query> {
    let on = |d: Dimension| filters.is_active(d) && skip != Some(d);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, main)];
    if on(Dimension::Kind) {
        clauses.push((Occur::Must, any_of(fields.kind, filters.kinds)));
    }
    if on(Dimension::Topic) {
        clauses.push((Occur::Must, any_of(fields.topic, filters.topics)));
    }
    if let (true, Some(lang)) = (on(Dimension::Lang), filters.lang) {
        clauses.push((Occur::Must, any_of(fields.lang, &[lang.to_owned()])));
    }
    if on(Dimension::Year) {
        let bound = |year: Option<i16>| match year {
            Some(y) => Bound::Included(Term::from_field_i64(fields.year, i64::from(y))),
            None => Bound::Unbounded,
        };
        let (from, to) = filters.years;
        let range = RangeQuery::new(bound(from), bound(to));
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(range), 0.0)),
        ));
    }
    if !filters.include_withdrawn {
        clauses.push((
            Occur::MustNot,
            Box::new(TermQuery::new(
                Term::from_field_bool(fields.withdrawn, true),
                IndexRecordOption::Basic,
            )),
        ));
    }
    if clauses.len() == 1 {
        return clauses.remove(0).1;
    }
    Box::new(BooleanQuery::new(clauses))
}
