//! For machines: Atom 1.0, RSS 2.0 and JSON Feed 1.1 per language (filtered by kind or topic
//! with `?kind=` / `?topic=`), and robots.txt (the sitemap is in `sitemap`).
//!
//! Atom, RSS, the sitemap and robots.txt are templates (`atom.xml`, `rss.xml`, `sitemap.xml`,
//! `robots.txt`) like every page, so a theme can override them and `.xml` output has one
//! escaper; the JSON Feed is serialised, since JSON is data rather than text to write.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use jiff::Timestamp;
use pressroom_core::language::pick;
use pressroom_core::slug::percent_encode;
use pressroom_store::{PublicSummary, ReleaseFilter};

use super::Loaded;
use super::listings::ListingQuery;
use crate::cache::CacheTags;
use serde::Serialize;

use crate::view::release_path;
use crate::{AppState, WebError};

/// Entries per feed.
const FEED_SIZE: i64 = 30;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/{lang}/feed.atom", get(atom))
        .route("/{lang}/feed.rss", get(rss))
        .route("/{lang}/feed.json", get(json))
        // A topic's feeds in path form; `?topic=` answers with a redirect to them.
        .route("/{lang}/topics/{slug}/feed.atom", get(topic_atom))
        .route("/{lang}/topics/{slug}/feed.rss", get(topic_rss))
        .route("/{lang}/topics/{slug}/feed.json", get(topic_json))
        .route("/robots.txt", get(robots))
}

/// Renders template `name`. The text ends with a newline, whichever template (the theme's or
/// ours) made it: minijinja drops a template's last one.
pub(super) fn render(
    state: &AppState,
    name: &str,
    ctx: impl Serialize,
) -> Result<String, WebError> {
    let mut text = state.inner.templates.render(name, ctx)?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// A text for machines, tagged for the page cache.
pub(super) fn cached(content_type: &'static str, body: String, tags: Vec<String>) -> Response {
    let mut response = ([(CONTENT_TYPE, content_type)], body).into_response();
    response.extensions_mut().insert(CacheTags(tags));
    response
}

/// What every feed format needs: the context of `atom.xml` and `rss.xml`.
#[derive(Serialize)]
struct Feed {
    title: String,
    home: String,
    self_url: String,
    lang: String,
    /// RFC 3339, as Atom and JSON Feed write instants.
    updated: String,
    /// RFC 2822, as RSS writes them.
    updated_rfc2822: String,
    items: Vec<Item>,
}

#[derive(Serialize)]
struct Item {
    url: String,
    title: String,
    summary: String,
    content_html: String,
    kind: String,
    published: String,
    published_rfc2822: String,
    updated: String,
}

async fn load_feed(
    state: &AppState,
    lang: &str,
    query: &ListingQuery,
    ext: &str,
) -> Result<Feed, WebError> {
    let loaded = Loaded::fetch(state, lang).await?;
    let (kind, topic) = query.filters(&loaded)?;
    let filter = ReleaseFilter {
        lang: lang.to_owned(),
        kind: kind.clone(),
        topic: topic.clone(),
        limit: FEED_SIZE,
        ..Default::default()
    };
    let summaries = state.store().list_public(&filter).await?;
    let ctx = loaded.ctx(state, lang);
    let base = &state.config().base_url;
    let site = pick(
        &loaded.settings.title,
        lang,
        loaded.settings.default_language(),
    )
    .to_owned();
    let mut title = format!("{site}: {}", ctx.text("releases-title"));
    let mut suffix = String::new();
    if let Some(k) = &kind {
        title = format!("{site}: {}", ctx.kind_name(k));
        suffix = format!("?kind={k}");
    } else if let Some(t) = topic
        .as_ref()
        .and_then(|slug| loaded.topics.iter().find(|t| &t.slug == slug))
    {
        title = format!("{site}: {}", ctx.topic_name(t));
    }
    let self_url = match &topic {
        Some(t) if kind.is_none() => format!("{base}/{lang}/topics/{t}/feed.{ext}"),
        _ => format!("{base}/{lang}/feed.{ext}{suffix}"),
    };
    // An empty feed was last updated at the epoch.
    let mut latest = Timestamp::UNIX_EPOCH;
    let items: Vec<Item> = summaries
        .iter()
        .map(|s: &PublicSummary| {
            let published = s.release.first_published_at.unwrap_or(s.release.created_at);
            let updated = s.last_published_at.max(published);
            latest = latest.max(updated);
            Item {
                url: format!(
                    "{base}{}",
                    release_path(lang, &s.release, &s.slug, &loaded.settings)
                ),
                title: s.title.clone(),
                summary: s.lead.clone(),
                content_html: ctx.markdown(&s.body),
                kind: ctx.kind_name(&s.release.kind),
                published: published.to_string(),
                published_rfc2822: rfc2822(published),
                updated: updated.to_string(),
            }
        })
        .collect();
    Ok(Feed {
        title,
        home: format!("{base}/{lang}/releases/"),
        self_url,
        lang: lang.to_owned(),
        updated: latest.to_string(),
        updated_rfc2822: rfc2822(latest),
        items,
    })
}

fn tags(lang: &str) -> Vec<String> {
    vec![format!("list:{lang}"), format!("chrome:{lang}")]
}

/// `feed.EXT?topic=SLUG` (without a kind): the address of that feed is its path form.
fn moved(lang: &str, query: &ListingQuery, ext: &str) -> Option<Response> {
    let topic = query.topic.as_deref().filter(|t| !t.is_empty())?;
    if query.from_path || query.kind.as_deref().is_some_and(|k| !k.is_empty()) {
        return None;
    }
    let to = format!(
        "/{}/topics/{}/feed.{ext}",
        percent_encode(lang),
        percent_encode(topic)
    );
    Some(Redirect::permanent(&to).into_response())
}

/// The query of a topic's feed asked for by its path.
fn topic_query(slug: String) -> ListingQuery {
    ListingQuery {
        topic: Some(slug),
        from_path: true,
        ..Default::default()
    }
}

async fn topic_atom(
    State(state): State<AppState>,
    Path((lang, slug)): Path<(String, String)>,
) -> Result<Response, WebError> {
    atom(State(state), Path(lang), Query(topic_query(slug))).await
}

async fn topic_rss(
    State(state): State<AppState>,
    Path((lang, slug)): Path<(String, String)>,
) -> Result<Response, WebError> {
    rss(State(state), Path(lang), Query(topic_query(slug))).await
}

async fn topic_json(
    State(state): State<AppState>,
    Path((lang, slug)): Path<(String, String)>,
) -> Result<Response, WebError> {
    json(State(state), Path(lang), Query(topic_query(slug))).await
}

async fn atom(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(query): Query<ListingQuery>,
) -> Result<Response, WebError> {
    if let Some(redirect) = moved(&lang, &query, "atom") {
        return Ok(redirect);
    }
    let feed = load_feed(&state, &lang, &query, "atom").await?;
    let xml = render(&state, "atom.xml", &feed)?;
    Ok(cached(
        "application/atom+xml; charset=utf-8",
        xml,
        tags(&lang),
    ))
}

fn rfc2822(at: Timestamp) -> String {
    jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_string(&at)
        .unwrap_or_default()
}

async fn rss(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(query): Query<ListingQuery>,
) -> Result<Response, WebError> {
    if let Some(redirect) = moved(&lang, &query, "rss") {
        return Ok(redirect);
    }
    let feed = load_feed(&state, &lang, &query, "rss").await?;
    let xml = render(&state, "rss.xml", &feed)?;
    Ok(cached(
        "application/rss+xml; charset=utf-8",
        xml,
        tags(&lang),
    ))
}

async fn json(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(query): Query<ListingQuery>,
) -> Result<Response, WebError> {
    if let Some(redirect) = moved(&lang, &query, "json") {
        return Ok(redirect);
    }
    let feed = load_feed(&state, &lang, &query, "json").await?;
    let items: Vec<_> = feed
        .items
        .iter()
        .map(|i| {
            serde_json::json!({
                "id": i.url,
                "url": i.url,
                "title": i.title,
                "summary": i.summary,
                "content_html": i.content_html,
                "date_published": i.published,
                "date_modified": i.updated,
                "tags": [i.kind],
            })
        })
        .collect();
    let doc = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": feed.home,
        "feed_url": feed.self_url,
        "language": feed.lang,
        "items": items,
    });
    Ok(cached(
        "application/feed+json; charset=utf-8",
        doc.to_string(),
        tags(&lang),
    ))
}

async fn robots(State(state): State<AppState>) -> Result<Response, WebError> {
    let body = render(
        &state,
        "robots.txt",
        minijinja::context! { base_url => state.config().base_url },
    )?;
    Ok(([(CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response())
}
