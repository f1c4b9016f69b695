//! The web layer's side of the static export (`pressroom export`): which addresses make up
//! the public site, read from the store (never by crawling pages), how each is answered (by
//! the real router, in-process, so a file holds exactly the bytes the server sends), which
//! pages a change makes stale (the page cache's own tags), and the redirects a static host
//! must answer instead of the server.
//!
//! The files, the manifest and the incremental bookkeeping are the cli's (`export`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Request, StatusCode};
use pressroom_store::{Change, ReleaseFilter};
use tower::ServiceExt;

use crate::cache::CacheTags;
use crate::public::listings::{PAGE_SIZE, Period, bounds};
use crate::public::release::revision_url;
use crate::public::sitemap::CHUNK;
use crate::view::release_path;
use crate::{AppState, WebError};

/// One address of the public site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteUrl {
    /// The path (`/en/releases/2026/367-slug`).
    pub url: String,
    /// Whether its bytes can never change (media, fingerprinted assets, signed forms): an
    /// incremental export that has it already does not ask again.
    pub immutable: bool,
}

/// The server's answer to one address.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Its status.
    pub status: StatusCode,
    /// Its `Content-Type`, empty when it has none.
    pub content_type: String,
    /// Its body, exactly as sent.
    pub body: Bytes,
    /// The page cache's tags (what the page depends on); `None` for an answer the cache
    /// does not keep, which an incremental export asks for again every time.
    pub tags: Option<Vec<String>>,
    /// The `Location` of a redirect.
    pub location: Option<String>,
}

/// A redirect the static host must answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRedirect {
    /// The old path, with its query if it has one.
    pub from: String,
    /// Where it leads.
    pub to: String,
    /// 301, or 302 for one that may change (the site's root, to the default language).
    pub status: u16,
}

/// The public site as the export sees it: the state (page cache off) and its router.
#[derive(Clone)]
pub struct Site {
    state: AppState,
    app: Router,
}

/// The tags of the pages `change` makes stale, `None` for every page: the page cache's rule.
pub fn stale_tags(change: &Change) -> Option<Vec<String>> {
    crate::cache::stale_tags(change)
}

impl Site {
    /// The site of `state`, whose `cache_bytes` should be 0: the export renders each page
    /// once, and a cache would only hold memory.
    pub fn new(state: AppState) -> Self {
        Self {
            app: crate::router(state.clone()),
            state,
        }
    }

    /// The state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Asks the router for `url` as a reader's GET would.
    pub async fn get(&self, url: &str) -> Result<Answer, WebError> {
        let mut request = Request::get(url)
            .body(Body::empty())
            .map_err(|e| WebError::BadRequest(format!("{url}: {e}")))?;
        // Handlers that throttle by client see loopback, as for a local reader.
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 0))));
        let response = match self.app.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE).unwrap_or_default();
        let location = header(axum::http::header::LOCATION);
        let tags = parts.extensions.get::<CacheTags>().map(|t| t.0.clone());
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|e| WebError::BadRequest(format!("{url}: the body could not be read: {e}")))?;
        Ok(Answer {
            status: parts.status,
            content_type,
            body,
            tags,
            location,
        })
    }

    /// Every address of the public site, from the store: each language's home, listings with
    /// all their pages, archives by year and month, topics, pages, feeds (also per topic),
    /// the verify page; every release page and its earlier revisions; the sitemaps,
    /// robots.txt, keys and log; each published revision's signed form; the media files
    /// pages show and the theme's assets. Search (a form, never a link) is not among them.
    pub async fn urls(&self) -> Result<Vec<SiteUrl>, WebError> {
        let store = self.state.store();
        let settings = store.site_settings().await?;
        let topics = store.list_topics().await?;
        let tz = settings.tz();
        let mut urls = Urls::default();
        let periods = self.periods(&settings).await?;
        for language in &settings.languages {
            let lang = &language.code;
            urls.page(format!("/{lang}/"));
            let all = ReleaseFilter {
                lang: lang.clone(),
                ..Default::default()
            };
            urls.listing(self, format!("/{lang}/releases/"), &all)
                .await?;
            // Every language's archive pages link the same period in the other languages
            // (empty there, but pages all the same): each language gets every period.
            for (year, months) in &periods {
                let period = Period {
                    year: Some(*year),
                    month: None,
                };
                let in_year = ReleaseFilter {
                    published_between: bounds(period, &tz)?,
                    ..all.clone()
                };
                urls.listing(self, format!("/{lang}/releases/{year}/"), &in_year)
                    .await?;
                for month in months {
                    let period = Period {
                        year: Some(*year),
                        month: Some(*month),
                    };
                    let in_month = ReleaseFilter {
                        published_between: bounds(period, &tz)?,
                        ..all.clone()
                    };
                    let base = format!("/{lang}/releases/{year}/{month:02}/");
                    urls.listing(self, base, &in_month).await?;
                }
            }
            for topic in &topics {
                let on_topic = ReleaseFilter {
                    topic: Some(topic.slug.clone()),
                    ..all.clone()
                };
                let base = format!("/{lang}/topics/{}/", topic.slug);
                for ext in ["atom", "rss", "json"] {
                    urls.page(format!("{base}feed.{ext}"));
                }
                urls.listing(self, base, &on_topic).await?;
            }
            for ext in ["atom", "rss", "json"] {
                urls.page(format!("/{lang}/feed.{ext}"));
            }
            for (slug, _) in store.list_pages(lang).await? {
                urls.page(format!("/{lang}/pages/{slug}"));
            }
            urls.page(format!("/{lang}/verify"));
            if self.state.inner.mailer.is_some() {
                urls.page(format!("/{lang}/subscribe"));
            }
        }
        self.releases(&settings, &mut urls).await?;
        urls.page("/sitemap.xml".to_owned());
        urls.page("/sitemaps/pages.xml".to_owned());
        for (chunk, _) in store.sitemap_chunks(CHUNK).await? {
            urls.page(format!("/sitemaps/releases-{}.xml", chunk + 1));
        }
        urls.page("/robots.txt".to_owned());
        urls.page("/.well-known/pressroom/keys.json".to_owned());
        let log_size = store.log_size().await?;
        let mut from = 1;
        while from == 1 || from <= log_size {
            urls.page(crate::authenticity::log_url(from));
            from += pressroom_store::LOG_PAGE;
        }
        for asset in ["style.css", "site.js"] {
            urls.immutable(self.state.inner.assets.url(asset));
        }
        Ok(urls.list)
    }

    /// The years with releases in any language, each with the months that have some: what
    /// the archive pages link.
    async fn periods(
        &self,
        settings: &pressroom_core::settings::SiteSettings,
    ) -> Result<BTreeMap<i16, BTreeSet<i8>>, WebError> {
        let tz = settings.tz();
        let mut periods: BTreeMap<i16, BTreeSet<i8>> = BTreeMap::new();
        for language in &settings.languages {
            let timeline = self
                .state
                .inner
                .timelines
                .get(&self.state, &language.code, &tz)
                .await?;
            for &year in timeline.years() {
                let period = Period {
                    year: Some(year),
                    month: None,
                };
                let months = periods.entry(year).or_default();
                let Some(bounds) = bounds(period, &tz)? else {
                    continue;
                };
                months.extend(
                    timeline
                        .within(Some(bounds))
                        .iter()
                        .map(|(at, _)| at.to_zoned_datetime(tz.clone()).date().month()),
                );
            }
        }
        Ok(periods)
    }

    /// Release pages, their earlier revisions, signed forms and media.
    async fn releases(
        &self,
        settings: &pressroom_core::settings::SiteSettings,
        urls: &mut Urls,
    ) -> Result<(), WebError> {
        let store = self.state.store();
        // (release, language) → (live revision, every published revision).
        let mut published: BTreeMap<(i64, String), (i64, Vec<i64>)> = BTreeMap::new();
        for (release, lang, revision, live) in store.public_publications().await? {
            published
                .entry((release, lang))
                .or_insert_with(|| (live, Vec::new()))
                .1
                .push(revision);
        }
        let mut shown = BTreeSet::new();
        for (chunk, _) in store.sitemap_chunks(CHUNK).await? {
            for entry in store.sitemap_entries(chunk, CHUNK).await? {
                if settings.language(&entry.lang).is_none() {
                    continue;
                }
                let path = release_path(&entry.lang, &entry.release, &entry.slug, settings);
                let Some((live, revisions)) = published.get(&(entry.release.id, entry.lang)) else {
                    urls.page(path);
                    continue;
                };
                for &revision in revisions {
                    if revision != *live {
                        urls.page(revision_url(&path, revision, Some(*live)));
                    }
                    urls.immutable(format!("/api/v1/revisions/{revision}/signed.json"));
                    shown.insert(revision);
                }
                urls.page(path);
            }
        }
        let mut files = BTreeSet::new();
        for revision in shown {
            files.extend(crate::media::referenced_files(
                &store.revision_media(revision).await?,
            ));
        }
        for file in files {
            urls.immutable(file);
        }
        Ok(())
    }

    /// The redirects a static host answers in the server's place: the root to the default
    /// language, `/{lang}` and `/{lang}/releases` to their folders, and every old address of
    /// the redirects table (imports' and admins'), with and without a trailing slash as the
    /// server treats them alike.
    pub async fn redirects(&self) -> Result<Vec<SiteRedirect>, WebError> {
        let store = self.state.store();
        let settings = store.site_settings().await?;
        let mut out = vec![SiteRedirect {
            from: "/".to_owned(),
            to: format!("/{}/", settings.default_language()),
            status: 302,
        }];
        for l in &settings.languages {
            for (from, to) in [
                (format!("/{}", l.code), format!("/{}/", l.code)),
                (
                    format!("/{}/releases", l.code),
                    format!("/{}/releases/", l.code),
                ),
            ] {
                out.push(SiteRedirect {
                    from,
                    to,
                    status: 301,
                });
            }
        }
        let mut offset = 0;
        loop {
            let page = store.list_redirects("", offset).await?;
            if page.is_empty() {
                break;
            }
            offset += i64::try_from(page.len()).unwrap_or(i64::MAX);
            for r in page {
                let (path, query) = match r.old_path.split_once('?') {
                    Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
                    None => (r.old_path.clone(), None),
                };
                let mut forms = vec![path.clone()];
                if path != "/" {
                    forms.push(format!("{path}/"));
                }
                for form in forms {
                    let from = match &query {
                        Some(q) => format!("{form}?{q}"),
                        None => form,
                    };
                    out.push(SiteRedirect {
                        from,
                        to: r.target.clone(),
                        status: 301,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// The list being built, without repeats.
#[derive(Default)]
struct Urls {
    list: Vec<SiteUrl>,
    seen: BTreeSet<String>,
}

impl Urls {
    fn page(&mut self, url: String) {
        self.add(url, false);
    }

    fn immutable(&mut self, url: String) {
        self.add(url, true);
    }

    fn add(&mut self, url: String, immutable: bool) {
        if self.seen.insert(url.clone()) {
            self.list.push(SiteUrl { url, immutable });
        }
    }

    /// A listing's first page and the path forms of the others (`base` ends with `/`).
    async fn listing(
        &mut self,
        site: &Site,
        base: String,
        filter: &ReleaseFilter,
    ) -> Result<(), WebError> {
        let total = site.state.store().count_public(filter).await?;
        let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
        for n in 2..=pages {
            self.page(format!("{base}page/{n}/"));
        }
        self.page(base);
        Ok(())
    }
}
