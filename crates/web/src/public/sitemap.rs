//! The sitemap, for search engines: `/sitemap.xml` is a sitemap index naming bounded
//! children, `/sitemaps/pages.xml` (the homes and site pages) and `/sitemaps/releases-N.xml`
//! (releases by id, [`CHUNK`] per file, each URL with its `hreflang` alternates). An archive of
//! any size is then never one unbounded file, and a child's URL stays the same as it grows.
//! Everything here is tagged `sitemap`, which every publication drops from the cache.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use jiff::Timestamp;
use serde::Serialize;

use super::feeds::{cached, render};
use crate::view::release_path;
use crate::{AppState, WebError};

/// Releases per child sitemap: with every language a release has, far below the protocol's
/// 50,000 URLs and 50 MB per file.
pub(crate) const CHUNK: i64 = 1_000;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/sitemap.xml", get(index))
        .route("/sitemaps/{file}", get(child))
}

const XML: &str = "application/xml; charset=utf-8";

fn tags() -> Vec<String> {
    vec!["sitemap".to_owned()]
}

fn w3c(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// One `<sitemap>` of the index: the context of `sitemap-index.xml`.
#[derive(Serialize)]
struct Child {
    loc: String,
    lastmod: Option<String>,
}

async fn index(State(state): State<AppState>) -> Result<Response, WebError> {
    let base = &state.config().base_url;
    let mut sitemaps = vec![Child {
        loc: format!("{base}/sitemaps/pages.xml"),
        lastmod: None,
    }];
    for (chunk, lastmod) in state.store().sitemap_chunks(CHUNK).await? {
        sitemaps.push(Child {
            loc: format!("{base}/sitemaps/releases-{}.xml", chunk + 1),
            lastmod: Some(w3c(lastmod)),
        });
    }
    let xml = render(
        &state,
        "sitemap-index.xml",
        minijinja::context! { sitemaps },
    )?;
    Ok(cached(XML, xml, tags()))
}

/// One `<url>` of a child sitemap: the context of `sitemap.xml`.
#[derive(Serialize)]
struct SitemapUrl {
    loc: String,
    lastmod: Option<String>,
    /// The same page in every language it exists in, this one included.
    alternates: Vec<Alternate>,
}

#[derive(Serialize)]
struct Alternate {
    lang: String,
    href: String,
}

/// One `<url>` per language of a page, each listing all of them as alternates.
fn group(urls: &[(String, String)], lastmod: Option<Timestamp>) -> Vec<SitemapUrl> {
    urls.iter()
        .map(|(_, url)| SitemapUrl {
            loc: url.clone(),
            lastmod: lastmod.map(w3c),
            alternates: urls
                .iter()
                .map(|(code, alt)| Alternate {
                    lang: code.clone(),
                    href: alt.clone(),
                })
                .collect(),
        })
        .collect()
}

/// Which child a file name asks for: `pages.xml`, or `releases-N.xml` with N from 1.
fn parse_child(file: &str) -> Option<Option<i64>> {
    if file == "pages.xml" {
        return Some(None);
    }
    let n = file.strip_prefix("releases-")?.strip_suffix(".xml")?;
    if n.is_empty() || n.len() > 9 || !n.bytes().all(|b| b.is_ascii_digit()) || n.starts_with('0') {
        return None;
    }
    n.parse::<i64>().ok().map(|n| Some(n - 1))
}

async fn child(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let chunk = parse_child(&file).ok_or(WebError::NotFound)?;
    let store = state.store();
    let settings = store.site_settings().await?;
    let base = &state.config().base_url;
    let mut urls = Vec::new();
    match chunk {
        None => {
            let homes: Vec<(String, String)> = settings
                .languages
                .iter()
                .map(|l| (l.code.clone(), format!("{base}/{}/", l.code)))
                .collect();
            urls = group(&homes, None);
            for l in &settings.languages {
                for (slug, _) in store.list_pages(&l.code).await? {
                    urls.push(SitemapUrl {
                        loc: format!("{base}/{}/pages/{slug}", l.code),
                        lastmod: None,
                        alternates: Vec::new(),
                    });
                }
            }
        }
        Some(chunk) => {
            let mut releases: BTreeMap<i64, (Vec<(String, String)>, Timestamp)> = BTreeMap::new();
            for entry in store.sitemap_entries(chunk, CHUNK).await? {
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
            // A chunk past the archive's end is not a page.
            if releases.is_empty() {
                return Err(WebError::NotFound);
            }
            for (group_urls, lastmod) in releases.values().rev() {
                urls.extend(group(group_urls, Some(*lastmod)));
            }
        }
    }
    let xml = render(&state, "sitemap.xml", minijinja::context! { urls })?;
    Ok(cached(XML, xml, tags()))
}

#[cfg(test)]
mod tests {
    use super::parse_child;

    #[test]
    fn child_names_are_strict() {
        assert_eq!(parse_child("pages.xml"), Some(None));
        assert_eq!(parse_child("releases-1.xml"), Some(Some(0)));
        assert_eq!(parse_child("releases-12.xml"), Some(Some(11)));
        for bad in [
            "releases-0.xml",
            "releases-01.xml",
            "releases-.xml",
            "releases-1.xml.gz",
            "releases--1.xml",
            "releases-99999999999.xml",
            "pages",
        ] {
            assert_eq!(parse_child(bad), None, "{bad}");
        }
    }
}
