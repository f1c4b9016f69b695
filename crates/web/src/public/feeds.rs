//! For machines: Atom 1.0, RSS 2.0 and JSON Feed 1.1 per language (filtered by kind or topic
//! with `?kind=` / `?topic=`), the sitemap with `hreflang` alternates, and robots.txt.

use std::collections::BTreeMap;
use std::fmt::Write;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use pressroom_core::language::pick;
use pressroom_store::{PublicSummary, ReleaseFilter};

use super::Loaded;
use super::listings::ListingQuery;
use crate::cache::CacheTags;
use crate::view::{release_path, xml_escape};
use crate::{AppState, WebError};

/// Entries per feed.
const FEED_SIZE: i64 = 30;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/{lang}/feed.atom", get(atom))
        .route("/{lang}/feed.rss", get(rss))
        .route("/{lang}/feed.json", get(json))
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
}

fn cached(content_type: &'static str, body: String, tags: Vec<String>) -> Response {
    let mut response = ([(CONTENT_TYPE, content_type)], body).into_response();
    response.extensions_mut().insert(CacheTags(tags));
    response
}

/// What every feed format needs.
struct Feed {
    title: String,
    home: String,
    self_url: String,
    lang: String,
    updated: Timestamp,
    items: Vec<Item>,
}

struct Item {
    url: String,
    title: String,
    summary: String,
    content_html: String,
    kind: String,
    published: Timestamp,
    updated: Timestamp,
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
        suffix = format!("?topic={}", t.slug);
    }
    let items: Vec<Item> = summaries
        .iter()
        .map(|s: &PublicSummary| {
            let published = s.release.first_published_at.unwrap_or(s.release.created_at);
            Item {
                url: format!(
                    "{base}{}",
                    release_path(lang, &s.release, &s.slug, &loaded.settings)
                ),
                title: s.title.clone(),
                summary: s.lead.clone(),
                content_html: ctx.markdown(&s.body),
                kind: ctx.kind_name(&s.release.kind),
                published,
                updated: s.last_published_at.max(published),
            }
        })
        .collect();
    Ok(Feed {
        title,
        home: format!("{base}/{lang}/releases/"),
        self_url: format!("{base}/{lang}/feed.{ext}{suffix}"),
        lang: lang.to_owned(),
        updated: items
            .iter()
            .map(|i| i.updated)
            .max()
            .unwrap_or_else(|| Timestamp::from_second(0).unwrap_or_default()),
        items,
    })
}

fn tags(lang: &str) -> Vec<String> {
    vec![format!("list:{lang}"), format!("chrome:{lang}")]
}

async fn atom(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(query): Query<ListingQuery>,
) -> Result<Response, WebError> {
    let feed = load_feed(&state, &lang, &query, "atom").await?;
    let mut xml = String::with_capacity(16_384);
    let _ = write!(
        xml,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{lang}\">\n\
         <title>{title}</title>\n<id>{id}</id>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"{self_url}\"/>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{home}\"/>\n<updated>{updated}</updated>\n\
         <author><name>{title}</name></author>\n",
        lang = xml_escape(&feed.lang),
        title = xml_escape(&feed.title),
        id = xml_escape(&feed.self_url),
        self_url = xml_escape(&feed.self_url),
        home = xml_escape(&feed.home),
        updated = feed.updated,
    );
    for item in &feed.items {
        let _ = write!(
            xml,
            "<entry>\n<title>{title}</title>\n<id>{url}</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n\
             <published>{published}</published>\n<updated>{updated}</updated>\n<category term=\"{kind}\"/>\n\
             <summary>{summary}</summary>\n<content type=\"html\">{content}</content>\n</entry>\n",
            title = xml_escape(&item.title),
            url = xml_escape(&item.url),
            published = item.published,
            updated = item.updated,
            kind = xml_escape(&item.kind),
            summary = xml_escape(&item.summary),
            content = xml_escape(&item.content_html),
        );
    }
    xml.push_str("</feed>\n");
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
    let feed = load_feed(&state, &lang, &query, "rss").await?;
    let mut xml = String::with_capacity(16_384);
    let _ = write!(
        xml,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n\
         <title>{title}</title>\n<link>{home}</link>\n<description>{title}</description>\n<language>{lang}</language>\n\
         <lastBuildDate>{updated}</lastBuildDate>\n<atom:link href=\"{self_url}\" rel=\"self\" type=\"application/rss+xml\"/>\n",
        title = xml_escape(&feed.title),
        home = xml_escape(&feed.home),
        lang = xml_escape(&feed.lang),
        updated = rfc2822(feed.updated),
        self_url = xml_escape(&feed.self_url),
    );
    for item in &feed.items {
        let _ = write!(
            xml,
            "<item>\n<title>{title}</title>\n<link>{url}</link>\n<guid isPermaLink=\"true\">{url}</guid>\n\
             <pubDate>{published}</pubDate>\n<category>{kind}</category>\n<description>{content}</description>\n</item>\n",
            title = xml_escape(&item.title),
            url = xml_escape(&item.url),
            published = rfc2822(item.published),
            kind = xml_escape(&item.kind),
            content = xml_escape(&item.content_html),
        );
    }
    xml.push_str("</channel>\n</rss>\n");
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
                "date_published": i.published.to_string(),
                "date_modified": i.updated.to_string(),
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

async fn sitemap(State(state): State<AppState>) -> Result<Response, WebError> {
    let store = state.store();
    let settings = store.site_settings().await?;
    let base = &state.config().base_url;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
         xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n",
    );
    let group = |xml: &mut String, urls: &[(String, String)], lastmod: Option<Timestamp>| {
        for (_, url) in urls {
            let _ = write!(xml, "<url><loc>{}</loc>", xml_escape(url));
            if let Some(at) = lastmod {
                let _ = write!(
                    xml,
                    "<lastmod>{}</lastmod>",
                    at.strftime("%Y-%m-%dT%H:%M:%SZ")
                );
            }
            for (code, alt) in urls {
                let _ = write!(
                    xml,
                    "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>",
                    xml_escape(code),
                    xml_escape(alt)
                );
            }
            xml.push_str("</url>\n");
        }
    };
    let homes: Vec<(String, String)> = settings
        .languages
        .iter()
        .map(|l| (l.code.clone(), format!("{base}/{}/", l.code)))
        .collect();
    group(&mut xml, &homes, None);
    let mut releases: BTreeMap<i64, (Vec<(String, String)>, Timestamp)> = BTreeMap::new();
    for entry in store.sitemap_entries().await? {
        if settings.language(&entry.lang).is_none() {
            continue;
        }
        let url = format!(
            "{base}{}",
            release_path(&entry.lang, &entry.release, &entry.slug, &settings)
        );
        let slot = releases
            .entry(entry.release.id)
            .or_insert_with(|| (Vec::new(), entry.last_published_at));
        slot.0.push((entry.lang.clone(), url));
        slot.1 = slot.1.max(entry.last_published_at);
    }
    for (_, (urls, lastmod)) in releases.iter().rev() {
        group(&mut xml, urls, Some(*lastmod));
    }
    for l in &settings.languages {
        for (slug, _) in store.list_pages(&l.code).await? {
            let url = format!("{base}/{}/pages/{slug}", l.code);
            let _ = writeln!(xml, "<url><loc>{}</loc></url>", xml_escape(&url));
        }
    }
    xml.push_str("</urlset>\n");
    Ok(cached(
        "application/xml; charset=utf-8",
        xml,
        vec!["sitemap".to_owned()],
    ))
}

async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nAllow: /\nDisallow: /admin/\nDisallow: /api/\n\nSitemap: {}/sitemap.xml\n",
        state.config().base_url
    );
    ([(CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}
