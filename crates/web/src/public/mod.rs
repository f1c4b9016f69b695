//! The reader's pages. Each handler checks its URL, asks the store, renders a template, and
//! tags the response for the page cache with what it depends on.

mod feeds;
pub(crate) mod listings;
pub(crate) mod release;
mod search;
pub(crate) mod search_params;
pub(crate) mod sitemap;
mod subscriptions;

pub(crate) use subscriptions::SubscribeLimits;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::context;
use pressroom_core::language::pick;
use std::sync::Arc;

use pressroom_core::settings::SiteSettings;
use pressroom_store::SiteReference;
use serde::Serialize;

use crate::cache::CacheTags;
use crate::view::{Chrome, Ctx, LanguageLink, PageLink};
use crate::{AppState, WebError};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route("/{lang}", get(lang_root))
        .route("/{lang}/pages/{slug}", get(page))
        .merge(listings::router())
        .merge(release::router())
        .merge(feeds::router())
        .merge(sitemap::router())
        .merge(search::router())
        .merge(subscriptions::router())
}

async fn root(State(state): State<AppState>) -> Result<Redirect, WebError> {
    let reference = state.inner.reference.get(&state).await?;
    Ok(Redirect::temporary(&format!(
        "/{}/",
        reference.settings.default_language()
    )))
}

async fn lang_root(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Redirect, WebError> {
    Loaded::fetch(&state, &lang).await?;
    Ok(Redirect::permanent(&format!("/{lang}/")))
}

/// The reference data every page needs (settings, kinds, series, topics, spokespeople,
/// pages): the copy in memory ([`crate::reference`]).
pub(crate) struct Loaded(Arc<SiteReference>);

impl std::ops::Deref for Loaded {
    type Target = SiteReference;

    fn deref(&self) -> &SiteReference {
        &self.0
    }
}

impl Loaded {
    /// The reference data, after checking that the site publishes in `lang`.
    pub(crate) async fn fetch(state: &AppState, lang: &str) -> Result<Self, WebError> {
        let reference = state.inner.reference.get(state).await?;
        check_lang(&reference.settings, lang)?;
        Ok(Self(reference))
    }

    pub(crate) fn ctx<'a>(&'a self, state: &'a AppState, lang: &'a str) -> Ctx<'a> {
        Ctx {
            lang,
            settings: &self.settings,
            kinds: &self.kinds,
            series: &self.series,
            i18n: &state.inner.i18n,
        }
    }
}

fn check_lang(settings: &SiteSettings, lang: &str) -> Result<(), WebError> {
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

/// The page frame. `path` is this page's path; `alternates` are its paths in the languages
/// where it exists (the language switcher sends other languages to their home page).
pub(crate) fn chrome(
    state: &AppState,
    loaded: &Loaded,
    lang: &str,
    path: &str,
    alternates: &[(String, String)],
) -> Result<Chrome, WebError> {
    let settings = &loaded.settings;
    let fallback = settings.default_language();
    let language = settings.language(lang).ok_or(WebError::NotFound)?;
    let base = &state.config().base_url;
    Ok(Chrome {
        lang: lang.to_owned(),
        dir: language.dir.as_str(),
        site_title: pick(&settings.title, lang, fallback).to_owned(),
        rights_notice: pick(&settings.rights_notice, lang, fallback).to_owned(),
        css_url: state.inner.assets.url("style.css"),
        js_url: state.inner.assets.url("site.js"),
        languages: settings
            .languages
            .iter()
            .map(|l| {
                let alternate = alternates.iter().find(|(code, _)| *code == l.code);
                LanguageLink {
                    code: l.code.clone(),
                    name: l.name.clone(),
                    url: alternate.map_or_else(
                        || format!("{base}/{}/", l.code),
                        |(_, p)| format!("{base}{p}"),
                    ),
                    alternate: alternate.is_some(),
                    current: l.code == lang,
                }
            })
            .collect(),
        pages: loaded
            .pages_in(lang)
            .map(|p| PageLink {
                url: format!("/{lang}/pages/{}", p.slug),
                title: p.title.clone(),
            })
            .collect(),
        home_url: format!("/{lang}/"),
        releases_url: format!("/{lang}/releases/"),
        search_url: format!("/{lang}/search"),
        subscribe_url: state
            .inner
            .mailer
            .is_some()
            .then(|| format!("/{lang}/subscribe")),
        feed_url: format!("/{lang}/feed.atom"),
        canonical: format!("{base}{path}"),
    })
}

/// Renders a template into a cacheable response.
pub(crate) fn render(
    state: &AppState,
    name: &str,
    ctx: impl Serialize,
    tags: Vec<String>,
) -> Result<Response, WebError> {
    let mut response = Html(state.inner.templates.render(name, ctx)?).into_response();
    response.extensions_mut().insert(CacheTags(tags));
    Ok(response)
}

/// The same path in every language: for pages that exist in all of them.
pub(crate) fn all_languages(
    settings: &SiteSettings,
    lang: &str,
    path: &str,
) -> Vec<(String, String)> {
    settings
        .languages
        .iter()
        .map(|l| {
            (
                l.code.clone(),
                path.replacen(&format!("/{lang}/"), &format!("/{}/", l.code), 1),
            )
        })
        .collect()
}

async fn page(
    State(state): State<AppState>,
    Path((lang, slug)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let loaded = Loaded::fetch(&state, &lang).await?;
    let page = state.store().page(&slug, &lang).await?;
    let ctx = loaded.ctx(&state, &lang);
    let body_html = ctx.markdown(&page.body);
    let path = format!("/{lang}/pages/{slug}");
    let mut alternates = Vec::new();
    for l in &loaded.settings.languages {
        if l.code == lang || loaded.has_page(&slug, &l.code) {
            alternates.push((l.code.clone(), format!("/{}/pages/{slug}", l.code)));
        }
    }
    let chrome = chrome(&state, &loaded, &lang, &path, &alternates)?;
    render(
        &state,
        "page.html",
        context! { lang, chrome, title => page.title, body_html },
        vec![format!("chrome:{lang}")],
    )
}
