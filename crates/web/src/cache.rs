//! The in-memory cache of rendered public pages.
//!
//! A handler marks a response cacheable by attaching [`CacheTags`]: what the page depends on
//! (`release:12`, `list:en`, `chrome:en`, `sitemap`). The cache keeps the body with its gzip
//! and brotli forms, an ETag and a Last-Modified, within a byte budget (oldest entries go
//! first). When the store reports a [`Change`], exactly the entries whose tags it touches are
//! dropped. Responses that are not cached (errors, redirects) pass through untouched.
//!
//! A page is rendered outside the lock, so a change can land between the render's reads and
//! its insert; kept blindly, that page would hide the change until the process restarts. Every
//! change therefore bumps a generation and records it against the tags it dropped; a render
//! notes the generation before it starts and is kept only if none of its tags was dropped
//! since (it is still served to the one reader who asked).
//!
//! Changes reach the cache twice: at once from this process's own commits (the store's
//! listener), and in sequence from the change stream ([`crate::stream`]), which brings other
//! servers' changes too. Dropping an entry twice is harmless. While the stream's follower is
//! behind, the cache is bypassed.
//!
//! The key is the path and only the query parameters the route reads ([`USED_PARAMS`]), so a
//! random `?utm_source=…` or cache-busting string is served from the same entry instead of
//! rendering (and filling the budget) each time.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, HeaderValue,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, VARY,
};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use pressroom_store::{Change, ChangeListener};

use crate::AppState;

/// The query parameters each cached route reads (its `Query` struct's fields); every other
/// parameter is left out of the key, since the handler ignores it. A route not listed reads
/// none.
const USED_PARAMS: &[(&str, &[&str])] = &[
    ("/{lang}/releases/", LISTING),
    ("/{lang}/releases/{year}/", LISTING),
    ("/{lang}/releases/{year}/{month}/", LISTING),
    ("/{lang}/topics/{slug}/", LISTING),
    ("/{lang}/feed.atom", FEED),
    ("/{lang}/feed.rss", FEED),
    ("/{lang}/feed.json", FEED),
    ("/{lang}/releases/{year}/{segment}", &["revision"]),
    // Not cached (see `public::search`), listed so a future tag keys them correctly.
    ("/{lang}/search", crate::public::search_params::PARAMS),
    ("/api/v1/search", crate::public::search_params::PARAMS),
    (
        "/api/v1/releases",
        &["lang", "kind", "topic", "page", "per_page"],
    ),
];
const LISTING: &[&str] = &["page", "kind", "topic"];
const FEED: &[&str] = &["kind", "topic"];

/// The cache key of a request to `route`: its path and, in their order, only the parameters
/// the route reads.
fn cache_key(route: Option<&str>, path: &str, query: Option<&str>) -> String {
    let used = route
        .and_then(|r| USED_PARAMS.iter().find(|(pattern, _)| *pattern == r))
        .map_or(&[][..], |(_, used)| *used);
    let mut key = path.to_owned();
    let mut sep = '?';
    for pair in query.unwrap_or("").split('&') {
        let name = pair.split('=').next().unwrap_or("");
        if used.contains(&name) {
            key.push(sep);
            key.push_str(pair);
            sep = '&';
        }
    }
    key
}

/// What a cached page depends on; attached to a response as an extension.
#[derive(Debug, Clone, Default)]
pub(crate) struct CacheTags(pub Vec<String>);

/// The largest page we cache; anything bigger is served but not kept.
const MAX_ENTRY_BYTES: usize = 4 << 20;
/// The longest URL we use as a key; longer ones are garbage, not readers.
const MAX_KEY_BYTES: usize = 2048;

struct Entry {
    tags: Vec<String>,
    content_type: HeaderValue,
    etag: HeaderValue,
    last_modified: Timestamp,
    /// `last_modified` as the header says it, formatted once rather than on every hit.
    last_modified_text: HeaderValue,
    identity: Bytes,
    gzip: Bytes,
    brotli: Bytes,
}

impl Entry {
    fn size(&self) -> usize {
        self.identity.len()
            + self.gzip.len()
            + self.brotli.len()
            + self.tags.iter().map(String::len).sum::<usize>()
            + 256
    }
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Arc<Entry>>,
    order: VecDeque<String>,
    bytes: usize,
    /// Bumped by every change.
    generation: u64,
    /// The generation at which each tag was last dropped.
    dropped: HashMap<String, u64>,
    /// The generation of the last change that dropped everything.
    all_dropped: u64,
}

/// Past this many remembered tags, the memory is folded into `all_dropped`: renders in flight
/// are then not kept (they render again on the next request), and the map starts afresh.
const MAX_REMEMBERED_TAGS: usize = 100_000;

impl Inner {
    /// Whether a render that started at `since` may have read data a later change replaced.
    fn stale(&self, since: u64, tags: &[String]) -> bool {
        self.all_dropped > since
            || tags
                .iter()
                .any(|t| self.dropped.get(t).is_some_and(|g| *g > since))
    }
}

/// The page cache, bounded in bytes. A budget of zero disables it.
pub(crate) struct PageCache {
    max_bytes: usize,
    inner: Mutex<Inner>,
}

impl PageCache {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves a consistent map (no partial updates), so a
        // poisoned lock is safe to keep using.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        self.lock().entries.get(key).cloned()
    }

    /// The generation to note before rendering a page that may be kept.
    fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Keeps `entry`, rendered from data read after generation `since`, unless a change
    /// dropped one of its tags meanwhile.
    fn insert(&self, key: String, entry: Entry, since: u64) -> Arc<Entry> {
        let entry = Arc::new(entry);
        let size = entry.size();
        if size > MAX_ENTRY_BYTES || size > self.max_bytes {
            return entry;
        }
        let mut inner = self.lock();
        if inner.stale(since, &entry.tags) {
            return entry;
        }
        if let Some(old) = inner.entries.insert(key.clone(), entry.clone()) {
            inner.bytes -= old.size();
            inner.order.retain(|k| k != &key);
        }
        inner.bytes += size;
        inner.order.push_back(key);
        while inner.bytes > self.max_bytes {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(old) = inner.entries.remove(&oldest) {
                inner.bytes -= old.size();
            }
        }
        entry
    }

    /// Drops every entry carrying one of `tags`; `None` drops everything.
    fn drop_tagged(&self, tags: Option<&[String]>) {
        let mut inner = self.lock();
        inner.generation += 1;
        let generation = inner.generation;
        match tags {
            Some(tags) if inner.dropped.len() < MAX_REMEMBERED_TAGS => {
                for tag in tags {
                    inner.dropped.insert(tag.clone(), generation);
                }
            }
            _ => {
                inner.all_dropped = generation;
                inner.dropped.clear();
            }
        }
        let stale: Vec<String> = inner
            .entries
            .iter()
            .filter(|(_, e)| tags.is_none_or(|tags| e.tags.iter().any(|t| tags.contains(t))))
            .map(|(k, _)| k.clone())
            .collect();
        for key in &stale {
            if let Some(old) = inner.entries.remove(key) {
                inner.bytes -= old.size();
            }
        }
        inner.order.retain(|k| !stale.contains(k));
    }

    /// How many pages are cached, and their bytes (for tests and metrics).
    pub(crate) fn stats(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }
}

impl ChangeListener for PageCache {
    fn changed(&self, change: &Change) {
        self.drop_tagged(stale_tags(change).as_deref());
    }
}

/// The tags of the pages a change makes stale; `None` for every page. The page cache and the
/// static export (which re-renders only those pages) read changes the same way.
pub(crate) fn stale_tags(change: &Change) -> Option<Vec<String>> {
    match change {
        Change::Release { release_id, lang } => Some(vec![
            format!("release:{release_id}"),
            format!("list:{lang}"),
            "sitemap".to_owned(),
        ]),
        Change::Page { lang, .. } => Some(vec![format!("chrome:{lang}"), "sitemap".to_owned()]),
        Change::Site => None,
    }
}

/// The fast path, outermost: a GET or HEAD without a query whose page is cached is answered
/// here, before routing and the other middleware (its key is its path whatever the route, as
/// [`cache_key`] keeps only the query parameters a route reads). Everything else, misses
/// included, goes down the stack to [`serve_cached`].
pub(crate) async fn serve_hit(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let cache = &state.inner.cache;
    let hit = cache.max_bytes > 0
        && (request.method() == Method::GET || request.method() == Method::HEAD)
        && request.uri().query().is_none()
        && request.uri().path().len() <= MAX_KEY_BYTES
        && state.inner.followers.cache.following();
    if hit && let Some(entry) = cache.get(request.uri().path()) {
        let mut response = respond(&entry, request.headers());
        crate::headers::add(response.headers_mut(), false, &state);
        return response;
    }
    next.run(request).await
}

/// The middleware: answers from the cache, or renders and keeps what handlers tagged.
pub(crate) async fn serve_cached(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let cache = &state.inner.cache;
    let key = cache_key(
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
        request.uri().path(),
        request.uri().query(),
    );
    // A cache that does not follow the change stream could hide another server's change:
    // answer uncached until it does.
    let cacheable_request = cache.max_bytes > 0
        && state.inner.followers.cache.following()
        && (request.method() == Method::GET || request.method() == Method::HEAD)
        && key.len() <= MAX_KEY_BYTES;
    if !cacheable_request {
        return next.run(request).await;
    }
    if let Some(entry) = cache.get(&key) {
        return respond(&entry, request.headers());
    }
    let headers = request.headers().clone();
    let since = cache.generation();
    let response = next.run(request).await;
    let Some(tags) = response.extensions().get::<CacheTags>().cloned() else {
        return response;
    };
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ENTRY_BYTES * 4).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "response too large").into_response();
    };
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8"));
    let last_modified = Timestamp::now();
    let last_modified_text = jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&last_modified)
        .ok()
        .and_then(|text| HeaderValue::try_from(text).ok())
        .unwrap_or_else(|| HeaderValue::from_static(""));
    let entry = Entry {
        tags: tags.0,
        content_type,
        etag: HeaderValue::try_from(format!("\"{:016x}\"", crate::assets::fnv1a(&bytes)))
            .unwrap_or_else(|_| HeaderValue::from_static("\"\"")),
        last_modified,
        last_modified_text,
        gzip: gzip(&bytes),
        brotli: brotli(&bytes),
        identity: bytes,
    };
    let entry = cache.insert(key, entry, since);
    respond(&entry, &headers)
}

fn respond(entry: &Entry, request: &axum::http::HeaderMap) -> Response {
    let not_modified = match request.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        Some(tags) => tags
            .split(',')
            .any(|t| t.trim().as_bytes() == entry.etag.as_bytes() || t.trim() == "*"),
        None => request
            .get(IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| jiff::fmt::rfc2822::parse(v).ok())
            .is_some_and(|since| since.timestamp().as_second() >= entry.last_modified.as_second()),
    };
    let mut builder = Response::builder()
        .header(ETAG, entry.etag.clone())
        .header(LAST_MODIFIED, entry.last_modified_text.clone())
        .header(CACHE_CONTROL, "public, max-age=0, must-revalidate")
        .header(VARY, "Accept-Encoding");
    if not_modified {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_default();
    }
    let accepts = |coding: &str| {
        request
            .get_all(ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|c| {
                let mut parts = c.trim().split(';');
                parts.next() == Some(coding) && parts.all(|q| q.trim() != "q=0")
            })
    };
    builder = builder.header(CONTENT_TYPE, entry.content_type.clone());
    let body = if accepts("br") && !entry.brotli.is_empty() {
        builder = builder.header(CONTENT_ENCODING, "br");
        entry.brotli.clone()
    } else if accepts("gzip") && !entry.gzip.is_empty() {
        builder = builder.header(CONTENT_ENCODING, "gzip");
        entry.gzip.clone()
    } else {
        entry.identity.clone()
    };
    builder.body(Body::from(body)).unwrap_or_default()
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::default(),
    );
    match encoder.write_all(bytes).and_then(|()| encoder.finish()) {
        Ok(out) => Bytes::from(out),
        Err(_) => Bytes::new(),
    }
}

fn brotli(bytes: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        lgwin: 22,
        ..Default::default()
    };
    match brotli::BrotliCompress(&mut &bytes[..], &mut out, &params) {
        Ok(_) => Bytes::from(out),
        Err(_) => Bytes::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(tags: &[&str], size: usize) -> Entry {
        Entry {
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            content_type: HeaderValue::from_static("text/html"),
            etag: HeaderValue::from_static("\"x\""),
            last_modified: Timestamp::now(),
            last_modified_text: HeaderValue::from_static(""),
            identity: Bytes::from(vec![b'a'; size]),
            gzip: Bytes::new(),
            brotli: Bytes::new(),
        }
    }

    #[test]
    fn the_budget_is_kept_by_dropping_the_oldest() {
        let cache = PageCache::new(5_000);
        for i in 0..10 {
            cache.insert(format!("/p{i}"), entry(&["list:en"], 1_000), 0);
        }
        let (count, bytes) = cache.stats();
        assert!(bytes <= 5_000, "{bytes}");
        assert!(count >= 3);
        assert!(cache.get("/p9").is_some() && cache.get("/p0").is_none());
    }

    #[test]
    fn a_change_drops_exactly_the_pages_it_touches() {
        let cache = PageCache::new(1 << 20);
        cache.insert(
            "/en/releases/2021/1-a".into(),
            entry(&["release:1", "chrome:en"], 10),
            0,
        );
        cache.insert(
            "/en/releases/2021/2-b".into(),
            entry(&["release:2", "chrome:en"], 10),
            0,
        );
        cache.insert("/en/".into(), entry(&["list:en", "chrome:en"], 10), 0);
        cache.insert("/ru/".into(), entry(&["list:ru", "chrome:ru"], 10), 0);
        cache.insert("/sitemap.xml".into(), entry(&["sitemap"], 10), 0);
        cache.changed(&Change::Release {
            release_id: 1,
            lang: "en".into(),
        });
        let kept: Vec<bool> = [
            "/en/releases/2021/1-a",
            "/en/releases/2021/2-b",
            "/en/",
            "/ru/",
            "/sitemap.xml",
        ]
        .iter()
        .map(|k| cache.get(k).is_some())
        .collect();
        assert_eq!(kept, [false, true, false, true, false]);
        cache.changed(&Change::Page {
            slug: "privacy".into(),
            lang: "en".into(),
        });
        assert!(cache.get("/en/releases/2021/2-b").is_none() && cache.get("/ru/").is_some());
        cache.changed(&Change::Site);
        assert_eq!(cache.stats().0, 0);
    }

    #[test]
    fn the_key_holds_only_the_parameters_a_route_reads() {
        let listing = Some("/{lang}/releases/");
        assert_eq!(
            cache_key(
                listing,
                "/en/releases/",
                Some("utm_source=x&page=2&kind=statement&_=1")
            ),
            "/en/releases/?page=2&kind=statement"
        );
        assert_eq!(
            cache_key(listing, "/en/releases/", Some("x=1")),
            "/en/releases/"
        );
        assert_eq!(cache_key(Some("/{lang}/"), "/en/", Some("page=2")), "/en/");
        assert_eq!(cache_key(None, "/en/", Some("a=1")), "/en/");
        // A parameter named like a used one but longer is not it.
        assert_eq!(
            cache_key(listing, "/en/releases/", Some("pages=3&page")),
            "/en/releases/?page"
        );
    }

    #[test]
    fn a_page_rendered_before_a_change_is_not_kept_after_it() {
        let cache = PageCache::new(1 << 20);
        let change = Change::Release {
            release_id: 1,
            lang: "en".into(),
        };
        let since = cache.generation();
        // The listing is being rendered from the old data when release 1 is published.
        cache.changed(&change);
        cache.insert("/en/".into(), entry(&["list:en"], 10), since);
        assert!(cache.get("/en/").is_none(), "the stale listing was kept");
        // A page the change does not touch is kept; so is one rendered after the change.
        cache.insert("/ru/".into(), entry(&["list:ru"], 10), since);
        cache.insert("/en/".into(), entry(&["list:en"], 10), cache.generation());
        assert!(cache.get("/ru/").is_some() && cache.get("/en/").is_some());
        // A site-wide change stales every render in flight.
        let since = cache.generation();
        cache.changed(&Change::Site);
        cache.insert("/ru/".into(), entry(&["list:ru"], 10), since);
        assert!(cache.get("/ru/").is_none());
    }
}
