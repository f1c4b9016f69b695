//! Candidates for the verify page: the published translations a pasted text most resembles.
//!
//! The verify page compares a reader's text with published revisions phrase by phrase, which
//! costs a pass over each revision it looks at. Asking the index first for the few
//! translations that share the most words with the pasted text lets it compare against
//! those alone instead of every signed revision in the archive. Words are folded (any case,
//! no diacritics) and looked up in the shared field that holds every language, so a text
//! with its `ə` typed as `e` still finds its statement, whatever language it is in.

use std::collections::HashSet;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Searcher, TantivyDocument, Term};

use crate::analysis::{Analysis, words};
use crate::error::SearchError;
use crate::schema::Fields;

/// Most distinct words of a pasted text that are looked up: the longest, which say most
/// about which statement it is. A whole statement has hundreds; a few dozen rare ones
/// already single it out, and the query stays quick.
const MAX_WORDS: usize = 48;

pub(crate) fn similar(
    searcher: &Searcher,
    fields: &Fields,
    text: &str,
    limit: usize,
) -> Result<Vec<i64>, SearchError> {
    let mut seen = HashSet::new();
    let mut terms: Vec<String> = words(text)
        .filter_map(|(_, word)| Analysis::Folded.term(word))
        .filter(|term| seen.insert(term.clone()))
        .collect();
    // Longest first; ties keep the text's order, so the same text is the same query.
    terms.sort_by_key(|term| std::cmp::Reverse(term.chars().count()));
    terms.truncate(MAX_WORDS);
    if terms.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(terms.len() * 2);
    for term in &terms {
        for field in [fields.folded.title, fields.folded.body] {
            clauses.push((
                Occur::Should,
                Box::new(TermQuery::new(
                    Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                )),
            ));
        }
    }
    let query = BooleanQuery::new(clauses);
    let found = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
    found
        .into_iter()
        .map(|(_, address)| {
            let doc: TantivyDocument = searcher.doc(address)?;
            Ok(doc
                .get_first(fields.translation_id)
                .and_then(|v| v.as_i64())
                .unwrap_or(0))
        })
        .collect()
}
