//! The reader's pages. Each handler checks its URL, asks the store, renders a template.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::context;
use pressroom_core::language::pick;
use pressroom_core::markdown;
use pressroom_core::release::parse_release_segment;
use pressroom_core::settings::SiteSettings;
use pressroom_store::ReleaseFilter;
use serde::{Deserialize, Serialize};

use crate::view::{Chrome, Ctx, LanguageLink, PageLink, qa_labels, release_path};
use crate::{AppState, WebError};

/// Releases per listing page.
const PAGE_SIZE: i64 = 20;
/// The highest page number we accept; beyond it a request is garbage, not a reader.
const MAX_PAGE: i64 = 10_000;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/{lang}", get(lang_root))
        .route("/{lang}/", get(home))
        .route("/{lang}/releases", get(listing_redirect))
        .route("/{lang}/releases/", get(listing))
        .route("/{lang}/releases/{year}/", get(year_archive))
        .route("/{lang}/releases/{year}/{segment}", get(release))
        .route("/{lang}/pages/{slug}", get(page))
}

async fn root(State(state): State<AppState>) -> Result<Redirect, WebError> {
    let settings = state.store().site_settings().await?;
    Ok(Redirect::temporary(&format!(
        "/{}/",
        settings.default_language()
    )))
}

async fn lang_root(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Redirect, WebError> {
    let settings = state.store().site_settings().await?;
    check_lang(&settings, &lang)?;
    Ok(Redirect::permanent(&format!("/{lang}/")))
}

async fn listing_redirect(Path(lang): Path<String>) -> Redirect {
    Redirect::permanent(&format!("/{}/releases/", urlencode_segment(&lang)))
}

/// The reference data every page needs.
pub(crate) struct Loaded {
    pub(crate) settings: SiteSettings,
    kinds: Vec<pressroom_core::release::Kind>,
    series: Vec<pressroom_core::numbering::NumberSeries>,
}

impl Loaded {
    pub(crate) async fn fetch(state: &AppState) -> Result<Self, WebError> {
        let store = state.store();
        Ok(Self {
            settings: store.site_settings().await?,
            kinds: store.list_kinds().await?,
            series: store.list_series().await?,
        })
    }

    pub(crate) fn ctx<'a>(&'a self, lang: &'a str) -> Ctx<'a> {
        Ctx {
            lang,
            settings: &self.settings,
            kinds: &self.kinds,
            series: &self.series,
        }
    }
}

pub(crate) fn check_lang(settings: &SiteSettings, lang: &str) -> Result<(), WebError> {
    if settings.language(lang).is_some() {
        Ok(())
    } else {
        Err(WebError::UnknownLanguage(
            settings
                .languages
                .iter()
                .map(|l| (l.code.clone(), l.name.clone()))
                .collect(),
        ))
    }
}

/// The page frame; `alternates` are this page's URLs in other languages, if it has them.
pub(crate) async fn chrome(
    state: &AppState,
    loaded: &Loaded,
    lang: &str,
    alternates: &[(String, String)],
) -> Result<Chrome, WebError> {
    let settings = &loaded.settings;
    let fallback = settings.default_language();
    let language = settings.language(lang).ok_or(WebError::NotFound)?;
    let pages = state.store().list_pages(lang).await?;
    Ok(Chrome {
        lang: lang.to_owned(),
        dir: language.dir.as_str(),
        site_title: pick(&settings.title, lang, fallback).to_owned(),
        rights_notice: pick(&settings.rights_notice, lang, fallback).to_owned(),
        css_url: state.inner.assets.url("style.css"),
        languages: settings
            .languages
            .iter()
            .map(|l| LanguageLink {
                code: l.code.clone(),
                name: l.name.clone(),
                url: alternates
                    .iter()
                    .find(|(code, _)| *code == l.code)
                    .map_or_else(|| format!("/{}/", l.code), |(_, url)| url.clone()),
                current: l.code == lang,
            })
            .collect(),
        pages: pages
            .into_iter()
            .map(|(slug, title)| PageLink {
                url: format!("/{lang}/pages/{slug}"),
                title,
            })
            .collect(),
        home_url: format!("/{lang}/"),
        releases_url: format!("/{lang}/releases/"),
    })
}

pub(crate) fn render(
    state: &AppState,
    name: &str,
    ctx: impl Serialize,
) -> Result<Response, WebError> {
    Ok(Html(state.inner.templates.render(name, ctx)?).into_response())
}

async fn home(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Response, WebError> {
    let loaded = Loaded::fetch(&state).await?;
    check_lang(&loaded.settings, &lang)?;
    let filter = ReleaseFilter {
        lang: lang.clone(),
        limit: 10,
        ..Default::default()
    };
    let latest = state.store().list_public(&filter).await?;
    let ctx = loaded.ctx(&lang);
    let cards: Vec<_> = latest.iter().map(|s| ctx.card(s)).collect();
    let alternates: Vec<(String, String)> = loaded
        .settings
        .languages
        .iter()
        .map(|l| (l.code.clone(), format!("/{}/", l.code)))
        .collect();
    let chrome = chrome(&state, &loaded, &lang, &alternates).await?;
    render(&state, "home.html", context! { chrome, cards })
}

/// Query parameters of listings. Everything arrives as text and is checked here, so a bad
/// value gets a clear 400 instead of an extractor's generic one.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct ListingQuery {
    page: Option<String>,
    kind: Option<String>,
    topic: Option<String>,
}

impl ListingQuery {
    fn page(&self) -> Result<i64, WebError> {
        match self.page.as_deref() {
            None | Some("") => Ok(1),
            Some(p) => p
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| {
                    WebError::BadRequest(format!(
                        "The page number must be a whole number from 1 to {MAX_PAGE}."
                    ))
                }),
        }
    }
}

async fn listing(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(query): Query<ListingQuery>,
) -> Result<Response, WebError> {
    list_releases(state, lang, None, query).await
}

async fn year_archive(
    State(state): State<AppState>,
    Path((lang, year)): Path<(String, String)>,
    Query(query): Query<ListingQuery>,
) -> Result<Response, WebError> {
    let year: i16 = year
        .parse()
        .ok()
        .filter(|y| (1900..=2999).contains(y))
        .ok_or(WebError::NotFound)?;
    list_releases(state, lang, Some(year), query).await
}

async fn list_releases(
    state: AppState,
    lang: String,
    year: Option<i16>,
    query: ListingQuery,
) -> Result<Response, WebError> {
    let loaded = Loaded::fetch(&state).await?;
    check_lang(&loaded.settings, &lang)?;
    let page = query.page()?;
    let kind = query.kind.filter(|k| !k.is_empty());
    if let Some(k) = &kind
        && !loaded.kinds.iter().any(|known| &known.key == k)
    {
        return Err(WebError::NotFound);
    }
    let topic = query.topic.filter(|t| !t.is_empty());
    if let Some(t) = &topic
        && !state
            .store()
            .list_topics()
            .await?
            .iter()
            .any(|known| &known.slug == t)
    {
        return Err(WebError::NotFound);
    }
    let tz = loaded.settings.tz();
    let published_between = match year {
        Some(y) => {
            let start = jiff::civil::date(y, 1, 1).to_zoned_datetime(tz.clone());
            let end = jiff::civil::date(y + 1, 1, 1).to_zoned_datetime(tz.clone());
            match (start, end) {
                (Ok(s), Ok(e)) => Some((s.timestamp(), e.timestamp())),
                _ => return Err(WebError::NotFound),
            }
        }
        None => None,
    };
    let filter = ReleaseFilter {
        lang: lang.clone(),
        kind: kind.clone(),
        topic: topic.clone(),
        published_between,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
    };
    let total = state.store().count_public(&filter).await?;
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    if page > 1 && page > pages {
        return Err(WebError::NotFound);
    }
    let ctx = loaded.ctx(&lang);
    let cards: Vec<_> = state
        .store()
        .list_public(&filter)
        .await?
        .iter()
        .map(|s| ctx.card(s))
        .collect();
    let base = match year {
        Some(y) => format!("/{lang}/releases/{y}/"),
        None => format!("/{lang}/releases/"),
    };
    let page_url = |n: i64| {
        let mut params = Vec::new();
        if let Some(k) = &kind {
            params.push(format!("kind={}", urlencode_segment(k)));
        }
        if let Some(t) = &topic {
            params.push(format!("topic={}", urlencode_segment(t)));
        }
        if n > 1 {
            params.push(format!("page={n}"));
        }
        if params.is_empty() {
            base.clone()
        } else {
            format!("{base}?{}", params.join("&"))
        }
    };
    let prev_url = (page > 1).then(|| page_url(page - 1));
    let next_url = (page < pages).then(|| page_url(page + 1));
    let kinds: Vec<_> = loaded
        .kinds
        .iter()
        .map(|k| context! { key => k.key, name => ctx.kind_name(&k.key), selected => kind.as_deref() == Some(k.key.as_str()) })
        .collect();
    let years = state.store().public_years(&lang).await?;
    let alternates: Vec<(String, String)> = loaded
        .settings
        .languages
        .iter()
        .map(|l| {
            (
                l.code.clone(),
                base.replacen(&format!("/{lang}/"), &format!("/{}/", l.code), 1),
            )
        })
        .collect();
    let chrome = chrome(&state, &loaded, &lang, &alternates).await?;
    render(
        &state,
        "listing.html",
        context! { chrome, cards, year, page, pages, total, prev_url, next_url, kinds, years, base },
    )
}

async fn release(
    State(state): State<AppState>,
    Path((lang, year, segment)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let loaded = Loaded::fetch(&state).await?;
    check_lang(&loaded.settings, &lang)?;
    let year: i16 = year.parse().map_err(|_| WebError::NotFound)?;
    let (key, slug) = parse_release_segment(&segment).ok_or(WebError::NotFound)?;
    let found = state.store().find_public(&lang, year, &key).await?;
    if slug != found.translation.slug {
        let canonical = release_path(
            &lang,
            &found.release,
            &found.translation.slug,
            &loaded.settings,
        );
        return Ok(Redirect::permanent(&canonical).into_response());
    }
    let ctx = loaded.ctx(&lang);
    let fallback = loaded.settings.default_language();
    let path = ctx.release_url(&found.release, &found.translation.slug);
    let url = format!("{}{path}", state.config().base_url);
    let published = found
        .release
        .first_published_at
        .unwrap_or(found.release.created_at);
    let alternates: Vec<(String, String)> = std::iter::once((lang.clone(), path.clone()))
        .chain(found.other_languages.iter().map(|(code, slug)| {
            (
                code.clone(),
                release_path(code, &found.release, slug, &loaded.settings),
            )
        }))
        .collect();
    let translations: Vec<_> = alternates
        .iter()
        .filter(|(code, _)| *code != lang)
        .filter_map(|(code, url)| {
            loaded
                .settings
                .language(code)
                .map(|l| context! { code, name => l.name, url })
        })
        .collect();
    let history: Vec<_> = found
        .history
        .iter()
        .skip(1)
        .map(|p| context! { date => ctx.date_text(p.published_at), note => p.correction.as_ref().and_then(|c| c.note()) })
        .collect();
    let withdrawal = found.translation.withdrawn_at.map(|at| {
        context! { date => ctx.date_text(at), explanation => found.translation.withdrawal_explanation }
    });
    let spokesperson = found.spokesperson.as_ref().map(|s| {
        context! { name => pick(&s.names, &lang, fallback), position => pick(&s.positions, &lang, fallback) }
    });
    let topics: Vec<_> = found
        .topics
        .iter()
        .map(|t| context! { name => pick(&t.names, &lang, fallback), url => format!("/{lang}/releases/?topic={}", t.slug) })
        .collect();
    let body_html = markdown::render(&found.revision.body, &qa_labels(&lang));
    let share = share_links(&url, &found.revision.title);
    let chrome = chrome(&state, &loaded, &lang, &alternates).await?;
    render(
        &state,
        "release.html",
        context! {
            chrome,
            url,
            title => found.revision.title,
            lead => found.revision.lead,
            body_html,
            kind => ctx.kind_name(&found.release.kind),
            date => ctx.date_text(published),
            date_iso => ctx.local_date(published).to_string(),
            number => ctx.number(&found.release),
            spokesperson,
            topics,
            translations,
            history,
            withdrawal,
            share,
            authenticity => crate::authenticity::release_block(&lang, &found),
        },
    )
}

/// Plain links to the usual networks: no third-party script, nothing loads until clicked.
fn share_links(url: &str, title: &str) -> Vec<minijinja::Value> {
    let u = urlencode_segment(url);
    let t = urlencode_segment(title);
    [
        ("X", format!("https://x.com/intent/post?url={u}&text={t}")),
        (
            "Facebook",
            format!("https://www.facebook.com/sharer/sharer.php?u={u}"),
        ),
        (
            "Telegram",
            format!("https://t.me/share/url?url={u}&text={t}"),
        ),
        ("WhatsApp", format!("https://wa.me/?text={t}%20{u}")),
        (
            "LinkedIn",
            format!("https://www.linkedin.com/sharing/share-offsite/?url={u}"),
        ),
        ("E-mail", format!("mailto:?subject={t}&body={u}")),
    ]
    .into_iter()
    .map(|(name, href)| context! { name, href })
    .collect()
}

async fn page(
    State(state): State<AppState>,
    Path((lang, slug)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let loaded = Loaded::fetch(&state).await?;
    check_lang(&loaded.settings, &lang)?;
    let page = state.store().page(&slug, &lang).await?;
    let body_html = markdown::render(&page.body, &qa_labels(&lang));
    let alternates: Vec<(String, String)> = loaded
        .settings
        .languages
        .iter()
        .map(|l| (l.code.clone(), format!("/{}/pages/{slug}", l.code)))
        .collect();
    let chrome = chrome(&state, &loaded, &lang, &alternates).await?;
    render(
        &state,
        "page.html",
        context! { chrome, title => page.title, body_html },
    )
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn urlencode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
