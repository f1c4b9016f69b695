//! A search: the request, its results, and running it on one searcher.
//!
//! Counts per filter value follow the usual faceted-search rule: each filter's counts are
//! computed for the query with every *other* filter applied, so choosing `kind=statement`
//! leaves the other kinds' counts visible (how many a reader gets by switching) while the
//! topic, year and language counts narrow to statements. A filter that is not set costs
//! nothing extra (its counts come with the results); each one that is set costs one more
//! pass over the matches.

use jiff::Timestamp;
use tantivy::collector::{Count, FacetCollector, FacetCounts, TopDocs};
use tantivy::schema::{Field, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::error::SearchError;
use crate::query::UserQuery;
use crate::query::build::{Dimension, FilterSet, analyses_for, filtered, main_query};
use crate::schema::{Fields, PUBLISHED};
use crate::snippet::Highlighter;

/// Most results on one page.
pub const MAX_PER_PAGE: u32 = 100;
/// Results past this many are not paged to: nobody reads page 500, and collecting it costs
/// memory in proportion.
pub const MAX_OFFSET: usize = 10_000;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Best match first; a matching release number before everything. A query without words
    /// is listed newest first instead.
    #[default]
    Relevance,
    /// Newest first publication first.
    Newest,
    /// Oldest first publication first.
    Oldest,
}

/// Filters: each narrows the results and has counts per value ([`Facets`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Kind keys; a result has one of them. Empty: any kind.
    pub kinds: Vec<String>,
    /// Topic slugs; a result has at least one of them. Empty: any topic.
    pub topics: Vec<String>,
    /// First year, inclusive.
    pub year_from: Option<i16>,
    /// Last year, inclusive.
    pub year_to: Option<i16>,
    /// Leave withdrawn translations out (the public site keeps them: their pages stay, with
    /// a notice).
    pub exclude_withdrawn: bool,
}

/// One search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// What the person typed, as typed: words, `"phrases"`, a number. Never syntax.
    pub text: String,
    /// The one language searched (a filter, and the analysis the text is read with), or
    /// `None` for every language.
    pub lang: Option<String>,
    /// Kind, topic, year and withdrawn filters.
    pub filters: Filters,
    /// Result order.
    pub order: Order,
    /// Page, from 1.
    pub page: u32,
    /// Results per page, 1 to [`MAX_PER_PAGE`].
    pub per_page: u32,
}

impl SearchRequest {
    /// A search for `text` in every language: first page of 20, by relevance.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            lang: None,
            filters: Filters::default(),
            order: Order::Relevance,
            page: 1,
            per_page: 20,
        }
    }

    /// The same search in one language.
    pub fn in_lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The translation found.
    pub translation_id: i64,
    /// Its release.
    pub release_id: i64,
    /// Its language.
    pub lang: String,
    /// Its kind key.
    pub kind: String,
    /// Its topic slugs.
    pub topics: Vec<String>,
    /// Its displayed number (`No:367/21`), if numbered.
    pub number: Option<String>,
    /// When the release was first published.
    pub first_published: Timestamp,
    /// The title as plain text.
    pub title: String,
    /// The title, HTML-escaped, matched words in `<mark>`: safe to insert as is.
    pub title_html: String,
    /// Some of the lead and body around the matches, escaped and marked like `title_html`,
    /// with `…` where cut.
    pub snippet_html: String,
    /// The spokesperson's name, if any.
    pub spokesperson: Option<String>,
    /// Whether the translation is withdrawn: show it with a notice.
    pub withdrawn: bool,
    /// The page's path.
    pub url: String,
    /// The relevance score (0 in date order): for debugging and tests, not for display.
    pub score: f32,
}

/// A filter value and how many results it would give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetCount {
    /// The kind key, topic slug, year or language code.
    pub value: String,
    /// Results with that value, the other filters applied.
    pub count: u64,
}

/// Counts per filter value. Kinds, topics and languages are ordered by count (most first,
/// then by value); years newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Per kind key.
    pub kinds: Vec<FacetCount>,
    /// Per topic slug.
    pub topics: Vec<FacetCount>,
    /// Per year.
    pub years: Vec<FacetCount>,
    /// Per language code.
    pub langs: Vec<FacetCount>,
}

/// The results of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// This page's results.
    pub hits: Vec<Hit>,
    /// Results in all, over every page.
    pub total: usize,
    /// The page shown, from 1.
    pub page: u32,
    /// Results per page, as applied.
    pub per_page: u32,
    /// Counts per filter value.
    pub facets: Facets,
    /// The query was longer than the index reads (`MAX_QUERY_CHARS`, `MAX_QUERY_WORDS`) and
    /// was cut: tell the reader.
    pub query_truncated: bool,
    /// The query had nothing to search for (empty, spaces, punctuation): the results are
    /// everything the filters let through, newest first. A page may prefer to show help.
    pub query_empty: bool,
}

impl SearchResults {
    /// How many pages there are.
    pub fn pages(&self) -> usize {
        self.total.div_ceil(self.per_page.max(1) as usize)
    }
}

const DIMENSIONS: [Dimension; 4] = [
    Dimension::Kind,
    Dimension::Topic,
    Dimension::Year,
    Dimension::Lang,
];

fn root(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Kind => "/kind",
        Dimension::Topic => "/topic",
        Dimension::Year => "/year",
        Dimension::Lang => "/lang",
    }
}

fn facet_collector(dimensions: &[Dimension]) -> FacetCollector {
    let mut collector = FacetCollector::for_field("facets");
    for &d in dimensions {
        collector.add_facet(root(d));
    }
    collector
}

fn read_counts(counts: &FacetCounts, dimension: Dimension, facets: &mut Facets) {
    let mut values: Vec<FacetCount> = counts
        .get(root(dimension))
        .filter_map(|(facet, count)| {
            let value = facet.to_path().last().map(|v| (*v).to_owned())?;
            Some(FacetCount { value, count })
        })
        .collect();
    match dimension {
        Dimension::Year => values.sort_by(|a, b| {
            let year = |f: &FacetCount| f.value.parse::<i64>().unwrap_or_default();
            year(b).cmp(&year(a))
        }),
        _ => values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value))),
    }
    let slot = match dimension {
        Dimension::Kind => &mut facets.kinds,
        Dimension::Topic => &mut facets.topics,
        Dimension::Year => &mut facets.years,
        Dimension::Lang => &mut facets.langs,
    };
    *slot = values;
}

/// Runs `request` on `searcher`.
pub(crate) fn run(
    searcher: &Searcher,
    fields: &Fields,
    request: &SearchRequest,
) -> Result<SearchResults, SearchError> {
    let query = UserQuery::parse(&request.text);
    let lang = request
        .lang
        .as_deref()
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| !l.is_empty());
    let lang = lang.as_deref();
    let analyses = analyses_for(lang);
    let f = &request.filters;
    let filters = FilterSet {
        kinds: &f.kinds,
        topics: &f.topics,
        years: (f.year_from, f.year_to),
        lang,
        include_withdrawn: !f.exclude_withdrawn,
    };
    let per_page = request.per_page.clamp(1, MAX_PER_PAGE);
    let page = request.page.max(1);
    let offset = (page as usize - 1).saturating_mul(per_page as usize);
    let order = match request.order {
        Order::Relevance if query.is_empty() => Order::Newest,
        order => order,
    };

    let main = filtered(
        main_query(fields, &query, &analyses),
        fields,
        &filters,
        None,
    );
    let unfiltered: Vec<Dimension> = DIMENSIONS
        .into_iter()
        .filter(|d| !filters.is_active(*d))
        .collect();
    let facets_here = facet_collector(&unfiltered);
    let top = TopDocs::with_limit(per_page as usize).and_offset(offset);
    let (found, total, counts): (Vec<(f32, DocAddress)>, usize, FacetCounts) =
        if offset >= MAX_OFFSET {
            let (total, counts) = searcher.search(&*main, &(Count, facets_here))?;
            (Vec::new(), total, counts)
        } else {
            match order {
                Order::Relevance => {
                    searcher.search(&*main, &(top.order_by_score(), Count, facets_here))?
                }
                Order::Newest | Order::Oldest => {
                    let direction = if order == Order::Newest {
                        tantivy::Order::Desc
                    } else {
                        tantivy::Order::Asc
                    };
                    let by_date = top.order_by_fast_field::<i64>(PUBLISHED, direction);
                    let (docs, total, counts) =
                        searcher.search(&*main, &(by_date, Count, facets_here))?;
                    let docs = docs.into_iter().map(|(_, a)| (0.0, a)).collect();
                    (docs, total, counts)
                }
            }
        };

    let mut facets = Facets::default();
    for &d in &unfiltered {
        read_counts(&counts, d, &mut facets);
    }
    for d in DIMENSIONS.into_iter().filter(|d| filters.is_active(*d)) {
        // Counts per language are for the query read in every language.
        let analyses_d = if d == Dimension::Lang {
            analyses_for(None)
        } else {
            analyses.clone()
        };
        let q = filtered(
            main_query(fields, &query, &analyses_d),
            fields,
            &filters,
            Some(d),
        );
        let counts = searcher.search(&*q, &facet_collector(&[d]))?;
        read_counts(&counts, d, &mut facets);
    }

    let highlighter = Highlighter::new(&query, &analyses);
    let hits = found
        .into_iter()
        .map(|(score, address)| {
            let doc: TantivyDocument = searcher.doc(address)?;
            Ok(hit(&doc, fields, score, &highlighter))
        })
        .collect::<Result<Vec<Hit>, SearchError>>()?;
    Ok(SearchResults {
        hits,
        total,
        page,
        per_page,
        facets,
        query_truncated: query.truncated,
        query_empty: query.is_empty(),
    })
}

fn text(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn hit(doc: &TantivyDocument, fields: &Fields, score: f32, highlighter: &Highlighter) -> Hit {
    let int = |field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
    let optional = |field| Some(text(doc, field)).filter(|t| !t.is_empty());
    let title = text(doc, fields.title);
    let lang = text(doc, fields.lang);
    let lead = text(doc, fields.lead);
    let body = text(doc, fields.body);
    let readable = if lead.is_empty() {
        body
    } else {
        format!("{lead} {body}")
    };
    Hit {
        translation_id: int(fields.translation_id),
        release_id: int(fields.release_id),
        title_html: highlighter.highlight(&title, &lang),
        snippet_html: highlighter.snippet(&readable, &lang),
        lang,
        kind: text(doc, fields.kind),
        topics: doc
            .get_all(fields.topic)
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        number: optional(fields.number_text),
        first_published: Timestamp::from_microsecond(int(fields.published))
            .unwrap_or(Timestamp::UNIX_EPOCH),
        title,
        spokesperson: optional(fields.spokesperson),
        withdrawn: doc
            .get_first(fields.withdrawn)
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        url: text(doc, fields.url),
        score,
    }
}
