//! The search page, `/{lang}/search?q=…`: results from the full-text index in the page's
//! language (or all of them), highlighted, with filters and their counts in one plain GET
//! form, so it works without JavaScript.
//!
//! The page is not kept in the page cache. The index follows the store's change stream on its
//! own task, *after* the commit whose `Change` drops cached pages; a results page rendered in
//! between would be stored with the old results and outlive the publication. Queries are also
//! as varied as readers are, so cached pages would mostly fill the budget for nobody. The
//! route still lists its parameters in `cache::USED_PARAMS`, in case that changes.

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, HeaderValue, RETRY_AFTER};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::context;
use pressroom_core::release::Topic;
use pressroom_search::{FacetCount, Hit, SearchResults};
use serde::Serialize;

use super::search_params::{ALL_LANGUAGES, SearchParams, parse};
use super::{Loaded, all_languages, chrome};
use crate::view::Ctx;
use crate::{AppState, WebError};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/{lang}/search", get(search_page))
}

/// One result as the page shows it.
#[derive(Debug, Serialize)]
struct HitView {
    url: String,
    /// Escaped by the index, matches in `<mark>`: inserted as is.
    title_html: String,
    snippet_html: String,
    kind: String,
    date: String,
    date_iso: String,
    number: Option<String>,
    withdrawn: bool,
    /// The hit's language, when it is not the page's (for `lang` attributes and a label).
    other_lang: Option<String>,
    lang_name: String,
}

/// A filter value with its count, as a checkbox or an option.
#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    name: String,
    count: u64,
    selected: bool,
}

async fn search_page(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let loaded = Loaded::fetch(&state, &lang).await?;
    let params = parse(raw.as_deref(), &lang, &loaded);
    let ctx = loaded.ctx(&state, &lang);
    let index = state.search();
    let rebuilding = index.last_seq().is_none();
    let searched = params.problems.is_empty() && !params.is_empty() && !rebuilding;
    let results = if searched {
        Some(
            index
                .search(&params.request())
                .map_err(|e| WebError::Search(e.to_string()))?,
        )
    } else {
        None
    };
    let problems: Vec<String> = params.problems.iter().map(|p| ctx.text(p.code)).collect();
    let path = match params.query_string(params.page, &lang) {
        q if q.is_empty() => format!("/{lang}/search"),
        q => format!("/{lang}/search?{q}"),
    };
    let chrome = chrome(
        &state,
        &loaded,
        &lang,
        &path,
        &all_languages(&loaded.settings, &lang, &path),
    )?;
    let view = results
        .as_ref()
        .map(|r| results_view(&ctx, &loaded.topics, &params, r, &lang));
    let page = state.inner.templates.render(
        "search.html",
        context! {
            lang, chrome, problems, rebuilding,
            q => params.q,
            q_cut => params.q_cut,
            empty => params.problems.is_empty() && params.is_empty(),
            action => format!("/{lang}/search"),
            order => params.order_name(),
            from => params.from,
            to => params.to,
            all_languages => params.lang.is_none(),
            // The filters start folded (a phone shows the results first) unless one is set.
            refined => !params.kinds.is_empty() || !params.topics.is_empty()
                || params.from.is_some() || params.to.is_some(),
            results => view,
        },
    )?;
    let status = if !params.problems.is_empty() {
        StatusCode::BAD_REQUEST
    } else if rebuilding && !params.is_empty() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let mut response = (status, Html(page)).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static(crate::error::RETRY_AFTER_SECONDS),
        );
    }
    Ok(response)
}

/// The template's view of the results: hits, pager and the filters with their counts.
fn results_view(
    ctx: &Ctx<'_>,
    topics: &[Topic],
    params: &SearchParams,
    results: &SearchResults,
    lang: &str,
) -> minijinja::Value {
    let pages = results
        .pages()
        .min(pressroom_search::MAX_OFFSET / params.per_page as usize);
    let page = params.page as usize;
    let url = |n: usize| format!("/{lang}/search?{}", params.query_string(n as u32, lang));
    let hits: Vec<HitView> = results.hits.iter().map(|h| hit_view(ctx, h)).collect();
    let choices = |counts: &[FacetCount], selected: &[String], name: &dyn Fn(&str) -> String| {
        let mut out: Vec<Choice> = counts
            .iter()
            .map(|c| Choice {
                name: name(&c.value),
                selected: selected.contains(&c.value),
                value: c.value.clone(),
                count: c.count,
            })
            .collect();
        // A chosen value the results no longer contain stays, so it can be unticked.
        for s in selected
            .iter()
            .filter(|s| !counts.iter().any(|c| &c.value == *s))
        {
            out.push(Choice {
                name: name(s),
                value: s.clone(),
                count: 0,
                selected: true,
            });
        }
        out
    };
    let kinds = choices(&results.facets.kinds, &params.kinds, &|k| ctx.kind_name(k));
    let topic_name = |slug: &str| {
        topics
            .iter()
            .find(|t| t.slug == slug)
            .map_or_else(|| slug.to_owned(), |t| ctx.topic_name(t))
    };
    let topic_choices = choices(&results.facets.topics, &params.topics, &topic_name);
    let language_name = |code: &str| {
        ctx.settings
            .language(code)
            .map_or_else(|| code.to_owned(), |l| l.name.clone())
    };
    let chosen_lang: Vec<String> = params.lang.iter().cloned().collect();
    let langs = choices(&results.facets.langs, &chosen_lang, &language_name);
    let all_count: u64 = results.facets.langs.iter().map(|c| c.count).sum();
    let years: Vec<Choice> = results
        .facets
        .years
        .iter()
        .map(|c| Choice {
            name: c.value.clone(),
            selected: false,
            value: c.value.clone(),
            count: c.count,
        })
        .collect();
    context! {
        hits, kinds, langs, years, all_count,
        topics => topic_choices,
        all_value => ALL_LANGUAGES,
        total => results.total,
        page, pages,
        prev_url => (page > 1).then(|| url(page - 1)),
        next_url => (page < pages).then(|| url(page + 1)),
        empty_query => results.query_empty,
        truncated => results.query_truncated || params.q_cut,
    }
}

fn hit_view(ctx: &Ctx<'_>, hit: &Hit) -> HitView {
    let other_lang = (hit.lang != ctx.lang).then(|| hit.lang.clone());
    HitView {
        url: hit.url.clone(),
        title_html: hit.title_html.clone(),
        snippet_html: hit.snippet_html.clone(),
        kind: ctx.kind_name(&hit.kind),
        date: ctx.date_text(hit.first_published),
        date_iso: ctx.local_date(hit.first_published).to_string(),
        number: hit.number.clone(),
        withdrawn: hit.withdrawn,
        lang_name: ctx
            .settings
            .language(&hit.lang)
            .map_or_else(|| hit.lang.clone(), |l| l.name.clone()),
        other_lang,
    }
}
