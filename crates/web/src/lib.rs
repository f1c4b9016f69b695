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
//! - `headers`: security headers on every response (HSTS on https, `no-store` under `/admin`).
//! - `health`: `/healthz` and `/readyz`; `metrics`: Prometheus `/metrics`.
//! - `error`: one error type that renders as an HTML error page and logs faults.
//! - [`scheduler`]: the background job that publishes scheduled releases.
//! - [`search_feed`]: keeps the search index in step with the store's change stream.

mod admin;
mod api;
mod assets;
mod authenticity;
mod cache;
mod error;
mod headers;
mod health;
mod i18n;
mod media;
mod metrics;
mod public;
pub mod scheduler;
pub mod search_feed;
mod templates;
mod view;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use pressroom_store::Store;
use tower_http::trace::TraceLayer;

pub use api::openapi_json;
pub use error::WebError;
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
    /// The search index's folder (`DATA/search`); `None` gives a private temporary folder
    /// removed with the state, for tests and tools.
    pub search_dir: Option<PathBuf>,
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
    metrics: Arc<Metrics>,
    media: Option<Arc<dyn pressroom_media::Storage>>,
    api_limits: api::ApiLimits,
    search: pressroom_search::SearchIndex,
    /// Removes the temporary index folder when the state goes (after `search`, so the index
    /// has let go of its files first).
    _search_folder: Option<search_feed::TempFolder>,
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
        let (search_dir, search_folder) = match &config.search_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let folder = search_feed::TempFolder::new()?;
                (folder.path().to_owned(), Some(folder))
            }
        };
        // A missing or unreadable index is not an error here: it serves no results until the
        // follower (`search_feed`) has rebuilt it, which it does when `last_seq` is `None`.
        let search = pressroom_search::SearchIndex::open(&search_dir)
            .map_err(|e| {
                WebError::Search(format!(
                    "cannot open the search index in {}: {e}",
                    search_dir.display()
                ))
            })?
            .index;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                templates,
                assets,
                i18n,
                cache,
                metrics: Arc::default(),
                media,
                api_limits: api::ApiLimits::new(
                    config.api_requests_per_minute,
                    config.api_auth_failures_per_minute,
                ),
                search,
                _search_folder: search_folder,
                config,
            }),
        })
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
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

    /// The search index (kept current by [`search_feed::follow`]).
    pub fn search(&self) -> &pressroom_search::SearchIndex {
        &self.inner.search
    }

    /// How many pages are cached and their size in bytes.
    pub fn cache_stats(&self) -> (usize, usize) {
        self.inner.cache.stats()
    }
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
            headers::security_headers,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
