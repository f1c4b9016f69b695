//! Pressroom's HTTP layer: the public site, health checks, templates and static assets.
//!
//! Handlers are thin: they parse the request, ask the store, and render a template. Rules live
//! in `pressroom-core`, SQL in `pressroom-store`.
//!
//! # Layout
//!
//! - [`AppState`] and [`router`]: the application, built once and shared by every request.
//! - `admin`: the editorial area (sign-in, editor, review, people, settings); `admin::router`
//!   is the one place that says which role may open which route.
//! - `api`: the JSON API v1 and its OpenAPI document.
//! - `public`: the reader's pages (home, listings, release page, editable pages).
//! - `cache`: the in-memory cache of rendered pages (ETag, compression, invalidation by tag).
//! - `i18n`: interface strings from Fluent files, per language.
//! - `authenticity`: signed forms, the key list, the publication log and the verify page.
//! - `view`: turning store records into what templates show (URLs, dates, numbers).
//! - `templates`: the default theme, embedded in the binary, overridable by a theme folder.
//! - `assets`: static files with content-hashed URLs.
//! - `media`: `/media/…` files, the banner and attachments of a release page, uploads.
//! - `client`: the client address (`X-Forwarded-For` from trusted proxies only).
//! - `headers`: security headers on every response (HSTS on https, `no-store` under `/admin`).
//! - `health`: `/healthz` and `/readyz`; `metrics`: Prometheus `/metrics`.
//! - `error`: one error type that renders as an HTML error page and logs faults.
//! - [`scheduler`]: the background job that publishes scheduled releases.
//! - [`stream`]: the followers of the store's change stream (page cache, search index), their
//!   shared wake-up, their status for `/metrics` and `/readyz`, and pruning.
//! - [`search_feed`]: keeps the search index in step with the store's change stream.
//! - [`outbox`]: sends the deliveries publications write (signed webhooks).
//! - [`export`]: the static export's addresses (from the store), answers (the router,
//!   in-process), stale pages (the cache's tags) and redirects.

mod admin;
mod api;
mod assets;
mod authenticity;
mod cache;
mod client;
mod error;
pub mod export;
mod headers;
mod health;
mod i18n;
pub mod import;
mod mail;
mod media;
mod metrics;
pub mod outbox;
mod public;
mod redirects;
mod reference;
pub mod scheduler;
pub mod search_feed;
pub mod stream;
mod templates;
mod timeline;
mod view;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use pressroom_store::Store;
use tower_http::trace::TraceLayer;

pub use api::openapi_json;
pub use client::TrustedProxies;
pub use error::WebError;
pub use mail::{MailConfig, MailSecurity};
pub use metrics::Metrics;

pub use media::{BannerUpload, UploadFailure};

/// Settings of the web layer, from the config file.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// The site's public address without a trailing slash (`https://mfa.example.org`), used in
    /// canonical links and feeds; empty means "relative to the request".
    pub base_url: String,
    /// A folder whose `templates/` and `assets/` override the default theme's files.
    pub theme_dir: Option<PathBuf>,
    /// Bytes of memory for cached pages; 0 turns the cache off.
    pub cache_bytes: usize,
    /// A bearer token that opens `/metrics` to other than loopback addresses; without one,
    /// only loopback may read it (the numbers tell an outsider when the site publishes).
    pub metrics_token: Option<String>,
    /// API requests per minute from one client address; 0 turns the limit off.
    pub api_requests_per_minute: usize,
    /// API requests with a missing or wrong token per minute from one address (guessing
    /// tokens); 0 turns the limit off.
    pub api_auth_failures_per_minute: usize,
    /// The search index's folder (`DATA/search`), kept between runs so a restart serves at
    /// once; `None` gives a private temporary folder, removed when the state is dropped, for
    /// tests and tools that need no lasting index.
    pub search_dir: Option<PathBuf>,
    /// The proxies (load balancers) whose `X-Forwarded-For` names the client, for throttling
    /// and the audit log; loopback by default.
    pub trusted_proxies: TrustedProxies,
    /// Where subscribers' mail is handed over; without it there are no e-mail subscriptions
    /// (the form and the footer's short form are not shown).
    pub mail: Option<MailConfig>,
}

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: WebConfig,
    templates: templates::Templates,
    assets: assets::Assets,
    i18n: Arc<i18n::I18n>,
    cache: Arc<cache::PageCache>,
    /// The settings, kinds, topics … every page reads, in memory.
    reference: Arc<reference::ReferenceCache>,
    /// Each language's listed releases, in memory.
    timelines: Arc<timeline::Timelines>,
    metrics: Arc<Metrics>,
    media: Option<Arc<dyn pressroom_media::Storage>>,
    api_limits: api::ApiLimits,
    search: pressroom_search::SearchIndex,
    followers: stream::Followers,
    /// Hands subscribers' mail to the SMTP server, when `[mail]` is configured.
    mailer: Option<mail::Mailer>,
    /// The subscription form's rate limits.
    subscribe_limits: public::SubscribeLimits,
    /// The temporary folder behind `search` when no `search_dir` was configured; declared
    /// after it so the index (and its folder lock) is dropped before the folder is removed.
    _search_tmp: Option<tempfile::TempDir>,
}

impl AppState {
    /// Builds the state: loads the theme (failing if a theme file cannot be read). Without
    /// `media` storage, `/media/` answers 404 and uploads fail with
    /// [`UploadFailure::NoStorage`].
    pub fn new(
        store: Store,
        config: WebConfig,
        media: Option<Arc<dyn pressroom_media::Storage>>,
    ) -> Result<Self, WebError> {
        let i18n = Arc::new(i18n::I18n::new()?);
        let templates = templates::Templates::new(config.theme_dir.clone(), i18n.clone());
        let assets = assets::Assets::load(config.theme_dir.as_deref())?;
        let cache = Arc::new(cache::PageCache::new(config.cache_bytes));
        store.subscribe(cache.clone());
        let reference = Arc::new(reference::ReferenceCache::default());
        store.subscribe(reference.clone());
        let timelines = Arc::new(timeline::Timelines::default());
        store.subscribe(timelines.clone());
        let (search, _search_tmp) = open_search(config.search_dir.as_deref())?;
        let mailer = match &config.mail {
            Some(mail) => {
                let host = reqwest::Url::parse(&config.base_url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_else(|| "localhost".to_owned());
                Some(mail::Mailer::new(mail, &host).map_err(WebError::Mail)?)
            }
            None => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                templates,
                assets,
                i18n,
                cache,
                reference,
                timelines,
                metrics: Arc::default(),
                media,
                api_limits: api::ApiLimits::new(
                    config.api_requests_per_minute,
                    config.api_auth_failures_per_minute,
                ),
                search,
                followers: stream::Followers::default(),
                mailer,
                subscribe_limits: public::SubscribeLimits::default(),
                _search_tmp,
                config,
            }),
        })
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The full-text index: the search page and API read it, and the change-stream follower
    /// ([`search_feed::follow`]) keeps it current. Its `last_seq()` is `None`
    /// until the first rebuild has finished; pages say so instead of claiming "no results".
    pub fn search(&self) -> &pressroom_search::SearchIndex {
        &self.inner.search
    }

    fn config(&self) -> &WebConfig {
        &self.inner.config
    }

    fn api_limits(&self) -> &api::ApiLimits {
        &self.inner.api_limits
    }

    /// The process's metrics, shared with the scheduler.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.inner.metrics.clone()
    }

    /// How far the page cache and the search index follow the change stream.
    pub fn followers(&self) -> [&stream::FollowerStatus; 2] {
        self.inner.followers.all()
    }

    /// How many pages are cached and their size in bytes.
    pub fn cache_stats(&self) -> (usize, usize) {
        self.inner.cache.stats()
    }
}

/// Opens the index in `dir`, or in a new temporary folder when there is none. A missing or
/// outdated index is not an error here: it serves nothing until the follower (which rebuilds
/// whenever `last_seq()` is `None`) has built it, so `Opened::rebuild` is not needed.
fn open_search(
    dir: Option<&std::path::Path>,
) -> Result<(pressroom_search::SearchIndex, Option<tempfile::TempDir>), WebError> {
    let tmp = match dir {
        Some(_) => None,
        None => Some(tempfile::tempdir().map_err(|e| {
            WebError::Search(format!(
                "cannot create a temporary folder for the search index: {e}; set search_dir or \
                 free space in the temporary folder"
            ))
        })?),
    };
    let path = dir.or(tmp.as_ref().map(tempfile::TempDir::path));
    let path = path.ok_or_else(|| WebError::Search("no search index folder".to_owned()))?;
    let opened = match pressroom_search::SearchIndex::open(path) {
        // Another server on this machine shares the data folder (and holds its index): this
        // one keeps a private index, rebuilt and followed from the same change stream.
        Err(pressroom_search::SearchError::Busy(_)) if dir.is_some() => {
            tracing::warn!(
                folder = %path.display(),
                "the search index folder is in use by another pressroom; this server keeps a \
                 private index in a temporary folder (give each server its own data folder to \
                 keep it between runs)"
            );
            return open_search(None);
        }
        other => other,
    }
    .map_err(|e| match e {
        pressroom_search::SearchError::Busy(_) => WebError::Search(e.to_string()),
        other => WebError::Search(format!(
            "cannot open the search index in {}: {other}; check that the folder is writable \
             by this user, or delete it to have it rebuilt",
            path.display()
        )),
    })?;
    Ok((opened.index, tmp))
}

/// The whole application: public site, assets and health checks.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(metrics::router())
        .merge(admin::router(&state))
        .merge(api::router(&state))
        .route(
            "/admin",
            axum::routing::get(|| async { axum::response::Redirect::permanent("/admin/") }),
        )
        .merge(assets::router())
        .merge(media::router())
        .merge(public::router().layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::serve_cached,
        )))
        .merge(authenticity::router())
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            redirects::old_addresses,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::serve_hit,
        ))
        .with_state(state)
}
