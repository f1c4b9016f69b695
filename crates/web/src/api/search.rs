#![allow(
    unused_qualifications,
    reason = "utoipa expands `params(…)` with full paths"
)]
//! `GET /api/v1/search`: the search page's parameters and results as JSON. Public like the
//! other reads (no token; the per-address rate limit applies), but not cached, for the reason
//! `public::search` gives: the index is updated after the change that clears cached answers.

use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pressroom_search::FacetCount;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::Problem;
use super::problem::FieldProblem;
use crate::AppState;
use crate::public::Loaded;
use crate::public::search_params::parse;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/search", get(search))
}

/// The parameters (read from the raw query string; listed here for the document).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "only describes the parameters; `public::search_params` reads them"
)]
pub(crate) struct SearchParamsDoc {
    /// What to search for: words in any form, `"phrases"`, or a release number (`367/21`,
    /// `No:367/21`). At most 500 characters are read; longer text is cut (`truncated`).
    q: String,
    /// A language code, or `all`; the site's default language when absent.
    lang: Option<String>,
    /// Kind keys; repeat for several (`kind=statement&kind=news`).
    kind: Option<Vec<String>>,
    /// Topic slugs; repeat for several.
    topic: Option<Vec<String>>,
    /// First year, inclusive (1900–2999).
    #[param(minimum = 1900, maximum = 2999)]
    from: Option<i32>,
    /// Last year, inclusive (1900–2999).
    #[param(minimum = 1900, maximum = 2999)]
    to: Option<i32>,
    /// `relevance` (default), `newest` or `oldest`.
    order: Option<String>,
    /// Page number, from 1; pages end at the 10,000th result.
    #[param(minimum = 1)]
    page: Option<i32>,
    /// Results per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<i32>,
}

/// One page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SearchOut {
    /// The text searched, as read (cut to 500 characters).
    q: String,
    /// The language searched, or `null` for all.
    lang: Option<String>,
    hits: Vec<SearchHit>,
    /// Results over every page.
    total: u64,
    page: u32,
    per_page: u32,
    /// Pages in all (at most as many as reach the 10,000th result).
    pages: u64,
    /// The query was longer than the index reads and was cut.
    truncated: bool,
    facets: SearchFacets,
}

/// One result.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SearchHit {
    /// The release.
    release_id: i64,
    /// The translation found.
    translation_id: i64,
    lang: String,
    kind: String,
    topics: Vec<String>,
    /// The number as displayed in this language (`No:367/21`), if numbered.
    number: Option<String>,
    title: String,
    /// The title, HTML-escaped, with matched words in `<mark>`.
    title_html: String,
    /// Lead and body around the matches, HTML-escaped, matches in `<mark>`.
    snippet_html: String,
    spokesperson: Option<String>,
    /// First publication (RFC 3339).
    published_at: String,
    /// Withdrawn: the page stays, with a notice.
    withdrawn: bool,
    /// Absolute URL of the public page.
    url: String,
}

/// Counts per filter value: each filter's counts are for the query with the other filters
/// applied.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SearchFacets {
    kinds: Vec<SearchFacet>,
    topics: Vec<SearchFacet>,
    years: Vec<SearchFacet>,
    langs: Vec<SearchFacet>,
}

/// A filter value and its count.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SearchFacet {
    value: String,
    count: u64,
}

fn facets(counts: &[FacetCount]) -> Vec<SearchFacet> {
    counts
        .iter()
        .map(|c| SearchFacet {
            value: c.value.clone(),
            count: c.count,
        })
        .collect()
}

/// Full-text search of published releases.
#[utoipa::path(get, path = "/api/v1/search", params(SearchParamsDoc), responses(
    (status = 200, description = "A page of results", body = SearchOut),
    (status = 400, description = "A number is outside its documented range", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "`q` has nothing to search for or holds control characters, or a language, kind or topic is unknown", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "The search index is being built, or the database is unavailable; retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let settings = state.store().site_settings().await?;
    let default_lang = settings.default_language().to_owned();
    let loaded = Loaded::fetch(&state, &default_lang).await?;
    let params = parse(raw.as_deref(), &default_lang, &loaded);
    if !params.problems.is_empty() {
        // A number out of its documented range breaks the schema (400); what the schema allows
        // but the site cannot use (an unknown language, kind or topic, control characters, a
        // page past the 10,000th result, years in the wrong order) is 422, as elsewhere.
        let schema_valid = params.problems.iter().all(|p| {
            !matches!(
                p.code,
                "search-bad-page" | "search-bad-per-page" | "search-bad-year"
            )
        });
        let mut problem = Problem::bad_request(
            params
                .problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        );
        problem.errors = params
            .problems
            .iter()
            .map(|p| FieldProblem {
                field: p.field.to_owned(),
                message: p.message.clone(),
            })
            .collect();
        if schema_valid {
            problem.status = StatusCode::UNPROCESSABLE_ENTITY.as_u16();
        }
        return Err(problem);
    }
    if params.is_empty() {
        let mut problem = Problem::bad_request(
            "`q` has nothing to search for: give words, a \"phrase\" or a release number",
        );
        problem.errors.push(FieldProblem {
            field: "q".to_owned(),
            message: "words, a \"phrase\" or a release number".to_owned(),
        });
        problem.status = StatusCode::UNPROCESSABLE_ENTITY.as_u16();
        return Err(problem);
    }
    let index = state.search();
    if index.last_seq().is_none() {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Temporarily unavailable",
            "the search index is being built; retry in a few seconds",
        ));
    }
    let results = index
        .search(&params.request())
        .map_err(|e| Problem::from(crate::WebError::Search(e.to_string())))?;
    let base = &state.config().base_url;
    let max_pages = pressroom_search::MAX_OFFSET / results.per_page.max(1) as usize;
    let out = SearchOut {
        q: params.q.clone(),
        lang: params.lang.clone(),
        total: results.total as u64,
        page: results.page,
        per_page: results.per_page,
        pages: results.pages().min(max_pages) as u64,
        truncated: results.query_truncated || params.q_cut,
        facets: SearchFacets {
            kinds: facets(&results.facets.kinds),
            topics: facets(&results.facets.topics),
            years: facets(&results.facets.years),
            langs: facets(&results.facets.langs),
        },
        hits: results
            .hits
            .into_iter()
            .map(|h| SearchHit {
                release_id: h.release_id,
                translation_id: h.translation_id,
                lang: h.lang,
                kind: h.kind,
                topics: h.topics,
                number: h.number,
                title: h.title,
                title_html: h.title_html,
                snippet_html: h.snippet_html,
                spokesperson: h.spokesperson,
                published_at: h.first_published.to_string(),
                withdrawn: h.withdrawn,
                url: format!("{base}{}", h.url),
            })
            .collect(),
    };
    let mut response = Json(out).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}
