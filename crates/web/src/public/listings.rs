//! Home, listings, archives by year and month, and topic pages: one query shape with filters.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use jiff::Timestamp;
use minijinja::context;
use pressroom_core::slug::percent_encode;
use pressroom_store::ReleaseFilter;
use serde::Deserialize;

use super::{Loaded, all_languages, chrome, render};
use crate::{AppState, WebError};

/// Releases per listing page.
pub(crate) const PAGE_SIZE: i64 = 20;
/// The highest page number we accept; beyond it a request is garbage, not a reader.
const MAX_PAGE: i64 = 10_000;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/{lang}/", get(home))
        .route("/{lang}/releases", get(listing_redirect))
        .route("/{lang}/releases/", get(listing))
        .route("/{lang}/releases/{year}/", get(year_archive))
        .route("/{lang}/releases/{year}/{month}/", get(month_archive))
        .route("/{lang}/topics/{slug}/", get(topic))
        // Path forms of `?page=N` (static exports cannot answer query strings).
        .route("/{lang}/releases/page/{n}/", get(listing_page))
        .route("/{lang}/releases/{year}/page/{n}/", get(year_archive_page))
        .route(
            "/{lang}/releases/{year}/{month}/page/{n}/",
            get(month_archive_page),
        )
        .route("/{lang}/topics/{slug}/page/{n}/", get(topic_page))
}

/// Page `n` of a listing in its path form: the page number from the path, no filters.
fn path_page(n: String) -> ListingQuery {
    ListingQuery {
        page: Some(n),
        from_path: true,
        ..Default::default()
    }
}

async fn listing_page(
    State(state): State<AppState>,
    Path((lang, n)): Path<(String, String)>,
) -> Result<Response, WebError> {
    list_releases(state, lang, Period::default(), None, path_page(n)).await
}

async fn year_archive_page(
    State(state): State<AppState>,
    Path((lang, year, n)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let period = Period {
        year: Some(parse_year(&year)?),
        month: None,
    };
    list_releases(state, lang, period, None, path_page(n)).await
}

async fn month_archive_page(
    State(state): State<AppState>,
    Path((lang, year, month, n)): Path<(String, String, String, String)>,
) -> Result<Response, WebError> {
    let period = month_period(&year, &month)?;
    list_releases(state, lang, period, None, path_page(n)).await
}

async fn topic_page(
    State(state): State<AppState>,
    Path((lang, slug, n)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    list_releases(state, lang, Period::default(), Some(slug), path_page(n)).await
}

async fn listing_redirect(Path(lang): Path<String>) -> Redirect {
    Redirect::permanent(&format!("/{}/releases/", percent_encode(&lang)))
}

async fn home(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Response, WebError> {
    let loaded = Loaded::fetch(&state, &lang).await?;
    let filter = ReleaseFilter {
        lang: lang.clone(),
        limit: 11,
        ..Default::default()
    };
    let latest = state.store().list_public(&filter).await?;
    let ctx = loaded.ctx(&state, &lang);
    let mut cards: Vec<_> = latest.iter().map(|s| ctx.card(s)).collect();
    let featured_index = cards.iter().position(|c| !c.withdrawn);
    // The featured release shows its banner, when it has one.
    let featured_banner = match featured_index.and_then(|i| latest.get(i)) {
        Some(summary) => {
            let shown = state
                .store()
                .revision_media(summary.live_revision_id)
                .await?;
            crate::media::release_media(&ctx, &shown, &state.config().base_url)
                .get_attr("banner")
                .ok()
                .filter(|b| !b.is_none() && !b.is_undefined())
        }
        None => None,
    };
    let featured = featured_index.map(|i| cards.remove(i));
    cards.truncate(10);
    let path = format!("/{lang}/");
    let chrome = chrome(
        &state,
        &loaded,
        &lang,
        &path,
        &all_languages(&loaded.settings, &lang, &path),
    )?;
    render(
        &state,
        "home.html",
        context! { lang, chrome, featured, featured_banner, cards },
        tags(&lang),
    )
}

fn tags(lang: &str) -> Vec<String> {
    vec![format!("list:{lang}"), format!("chrome:{lang}")]
}

/// Query parameters of listings. Everything arrives as text and is checked here, so a bad
/// value gets a clear 400 instead of an extractor's generic one.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct ListingQuery {
    pub page: Option<String>,
    pub kind: Option<String>,
    pub topic: Option<String>,
    /// The page number came from the path (`…/page/N/`), not from `?page=N`.
    #[serde(skip)]
    pub from_path: bool,
}

impl ListingQuery {
    pub(crate) fn page(&self) -> Result<i64, WebError> {
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

    /// The kind and topic filters, checked against what exists (unknown ones are 404s).
    pub(crate) fn filters(
        &self,
        loaded: &Loaded,
    ) -> Result<(Option<String>, Option<String>), WebError> {
        let kind = self.kind.clone().filter(|k| !k.is_empty());
        if kind
            .as_ref()
            .is_some_and(|k| !loaded.kinds.iter().any(|known| &known.key == k))
        {
            return Err(WebError::NotFound);
        }
        let topic = self.topic.clone().filter(|t| !t.is_empty());
        if topic
            .as_ref()
            .is_some_and(|t| !loaded.topics.iter().any(|known| &known.slug == t))
        {
            return Err(WebError::NotFound);
        }
        Ok((kind, topic))
    }
}

/// Which slice of the archive a listing shows.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Period {
    pub year: Option<i16>,
    pub month: Option<i8>,
}

async fn listing(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(query): Query<ListingQuery>,
) -> Result<Response, WebError> {
    list_releases(state, lang, Period::default(), None, query).await
}

fn parse_year(year: &str) -> Result<i16, WebError> {
    year.parse()
        .ok()
        .filter(|y| (1900..=2999).contains(y))
        .ok_or(WebError::NotFound)
}

async fn year_archive(
    State(state): State<AppState>,
    Path((lang, year)): Path<(String, String)>,
    Query(query): Query<ListingQuery>,
) -> Result<Response, WebError> {
    let period = Period {
        year: Some(parse_year(&year)?),
        month: None,
    };
    list_releases(state, lang, period, None, query).await
}

async fn month_archive(
    State(state): State<AppState>,
    Path((lang, year, month)): Path<(String, String, String)>,
    Query(query): Query<ListingQuery>,
) -> Result<Response, WebError> {
    let period = month_period(&year, &month)?;
    list_releases(state, lang, period, None, query).await
}

fn month_period(year: &str, month: &str) -> Result<Period, WebError> {
    let month: i8 = month
        .parse()
        .ok()
        .filter(|m| (1..=12).contains(m))
        .ok_or(WebError::NotFound)?;
    Ok(Period {
        year: Some(parse_year(year)?),
        month: Some(month),
    })
}

async fn topic(
    State(state): State<AppState>,
    Path((lang, slug)): Path<(String, String)>,
    Query(query): Query<ListingQuery>,
) -> Result<Response, WebError> {
    list_releases(state, lang, Period::default(), Some(slug), query).await
}

/// The instants bounding a period in the site's time zone.
pub(crate) fn bounds(
    period: Period,
    tz: &jiff::tz::TimeZone,
) -> Result<Option<(Timestamp, Timestamp)>, WebError> {
    let Some(year) = period.year else {
        return Ok(None);
    };
    let (start, end) = match period.month {
        Some(12) => (
            jiff::civil::date(year, 12, 1),
            jiff::civil::date(year + 1, 1, 1),
        ),
        Some(m) => (
            jiff::civil::date(year, m, 1),
            jiff::civil::date(year, m + 1, 1),
        ),
        None => (
            jiff::civil::date(year, 1, 1),
            jiff::civil::date(year + 1, 1, 1),
        ),
    };
    let at = |d: jiff::civil::Date| {
        d.to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| WebError::NotFound)
    };
    Ok(Some((at(start)?, at(end)?)))
}

async fn list_releases(
    state: AppState,
    lang: String,
    period: Period,
    topic_page: Option<String>,
    query: ListingQuery,
) -> Result<Response, WebError> {
    let loaded = Loaded::fetch(&state, &lang).await?;
    let page = if query.from_path {
        // `page/abc/` is no page, not a bad request.
        query.page().map_err(|_| WebError::NotFound)?
    } else {
        query.page()?
    };
    let (kind, topic_filter) = query.filters(&loaded)?;
    let topic_slug = match &topic_page {
        Some(slug) if !loaded.topics.iter().any(|t| &t.slug == slug) => {
            return Err(WebError::NotFound);
        }
        Some(slug) => Some(slug.clone()),
        None => topic_filter.clone(),
    };
    let tz = loaded.settings.tz();
    let timeline = state.inner.timelines.get(&state, &lang, &tz).await?;
    let mut filter = ReleaseFilter {
        lang: lang.clone(),
        kind: kind.clone(),
        topic: topic_slug.clone(),
        published_between: bounds(period, &tz)?,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        start_at: None,
    };
    // Unfiltered, the timeline gives the total and the release the page starts at; a kind or
    // topic filter is counted and paged by the database.
    let total = if filter.kind.is_none() && filter.topic.is_none() {
        let listed = timeline.within(filter.published_between);
        let first = usize::try_from(filter.offset).unwrap_or(usize::MAX);
        filter.start_at = listed.get(first).copied();
        filter.offset = 0;
        if filter.start_at.is_none() {
            filter.limit = 0;
        }
        listed.len() as i64
    } else {
        state.store().count_public(&filter).await?
    };
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    if page > 1 && page > pages {
        return Err(WebError::NotFound);
    }
    let base = match (period.year, period.month, &topic_page) {
        (_, _, Some(slug)) => format!("/{lang}/topics/{slug}/"),
        (Some(y), Some(m), _) => format!("/{lang}/releases/{y}/{m:02}/"),
        (Some(y), None, _) => format!("/{lang}/releases/{y}/"),
        _ => format!("/{lang}/releases/"),
    };
    let page_url = |n: i64| {
        let mut params = Vec::new();
        if let Some(k) = &kind {
            params.push(format!("kind={}", percent_encode(k)));
        }
        if let (Some(t), None) = (&topic_filter, &topic_page) {
            params.push(format!("topic={}", percent_encode(t)));
        }
        match (params.is_empty(), n > 1) {
            // Unfiltered pages have a path form, so a static export holds every one.
            (true, true) => format!("{base}page/{n}/"),
            (true, false) => base.clone(),
            (false, more) => {
                if more {
                    params.push(format!("page={n}"));
                }
                format!("{base}?{}", params.join("&"))
            }
        }
    };
    // `?page=N` of an unfiltered listing, and `page/1/`, answer with the one address of the page.
    let unfiltered = kind.is_none() && (topic_filter.is_none() || topic_page.is_some());
    let moved = if query.from_path {
        page == 1
    } else {
        query.page.as_deref().is_some_and(|p| !p.is_empty()) && unfiltered
    };
    if moved {
        return Ok(Redirect::permanent(&page_url(page)).into_response());
    }
    let ctx = loaded.ctx(&state, &lang);
    let cards: Vec<_> = if filter.limit == 0 {
        Vec::new()
    } else {
        state.store().list_public(&filter).await?
    }
    .iter()
    .map(|s| ctx.card(s))
    .collect();
    let heading = match (period.year, period.month, &topic_page) {
        (_, _, Some(slug)) => {
            let name = loaded
                .topics
                .iter()
                .find(|t| &t.slug == slug)
                .map(|t| ctx.topic_name(t))
                .unwrap_or_default();
            state
                .inner
                .i18n
                .text(&lang, "topic-title", &[("topic", name.into())])
        }
        (Some(y), Some(m), _) => state.inner.i18n.text(
            &lang,
            "releases-of-month",
            &[
                ("month", state.inner.i18n.month_name(&lang, m).into()),
                ("year", y.to_string().into()),
            ],
        ),
        (Some(y), None, _) => {
            state
                .inner
                .i18n
                .text(&lang, "releases-of-year", &[("year", y.to_string().into())])
        }
        _ => ctx.text("releases-title"),
    };
    let kinds: Vec<_> = loaded
        .kinds
        .iter()
        .map(|k| context! { key => k.key, name => ctx.kind_name(&k.key), selected => kind.as_deref() == Some(k.key.as_str()) })
        .collect();
    let topics: Vec<_> = loaded
        .topics
        .iter()
        .map(|t| context! { slug => t.slug, name => ctx.topic_name(t), selected => topic_filter.as_deref() == Some(t.slug.as_str()) })
        .collect();
    let years = timeline.years();
    let months: Vec<_> = match period.year.and_then(|y| {
        bounds(
            Period {
                year: Some(y),
                month: None,
            },
            &tz,
        )
        .ok()
        .flatten()
    }) {
        Some((from, to)) => {
            let mut months: Vec<i8> = timeline
                .within(Some((from, to)))
                .iter()
                .map(|(at, _)| ctx.local_date(*at).month())
                .collect();
            months.sort_unstable();
            months.dedup();
            let year = period.year.unwrap_or_default();
            months
                .into_iter()
                .map(|m| {
                    context! {
                        name => state.inner.i18n.month_name(&lang, m),
                        url => format!("/{lang}/releases/{year}/{m:02}/"),
                        current => period.month == Some(m),
                    }
                })
                .collect()
        }
        None => Vec::new(),
    };
    // A topic's feeds have a path form (`/{lang}/topics/{slug}/feed.atom`); a kind's keep
    // the query.
    let (feed_base, feed_query) = match (&kind, &topic_slug) {
        (Some(k), _) => (
            format!("/{lang}/feed"),
            format!("?kind={}", percent_encode(k)),
        ),
        (None, Some(t)) => (
            format!("/{lang}/topics/{}/feed", percent_encode(t)),
            String::new(),
        ),
        _ => (format!("/{lang}/feed"), String::new()),
    };
    let path = page_url(page);
    // Page N of this listing may not exist in another language: the others link their first.
    let alternates: Vec<(String, String)> = all_languages(&loaded.settings, &lang, &page_url(1))
        .into_iter()
        .map(|(code, other)| match code == lang {
            true => (code, path.clone()),
            false => (code, other),
        })
        .collect();
    let chrome = chrome(&state, &loaded, &lang, &path, &alternates)?;
    render(
        &state,
        "listing.html",
        context! {
            lang, chrome, cards, heading, page, pages, total, kinds, topics, years, months, base,
            year => period.year,
            topic_page => topic_page.is_some(),
            prev_url => (page > 1).then(|| page_url(page - 1)),
            next_url => (page < pages).then(|| page_url(page + 1)),
            feeds => context! {
                atom => format!("{feed_base}.atom{feed_query}"),
                rss => format!("{feed_base}.rss{feed_query}"),
                json => format!("{feed_base}.json{feed_query}"),
            },
        },
        tags(&lang),
    )
}
