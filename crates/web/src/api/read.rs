#![allow(
    unused_qualifications,
    reason = "utoipa expands `params(…)` with full paths"
)]
//! Public read endpoints: published releases, topics and pages. Cached like the public site.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pressroom_core::language::pick;
use pressroom_core::release::{release_key, release_year};
use pressroom_store::{PublicRelease, ReleaseFilter, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Problem;
use crate::AppState;
use crate::cache::CacheTags;
use crate::public::Loaded;
use crate::view::release_path;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/releases", get(list_releases))
        .route("/api/v1/releases/{id}", get(get_release))
        .route("/api/v1/topics", get(list_topics))
        .route("/api/v1/pages/{lang}/{slug}", get(get_page))
}

fn cached<T: Serialize>(value: T, tags: Vec<String>) -> Response {
    let mut response = Json(value).into_response();
    response.extensions_mut().insert(CacheTags(tags));
    response
}

/// A page of published releases.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReleaseList {
    items: Vec<ReleaseSummary>,
    page: i64,
    per_page: i64,
    total: i64,
}

/// One published release in one language.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReleaseSummary {
    id: i64,
    kind: String,
    /// The number as displayed in this language (`No:367/21`), if numbered.
    number: Option<String>,
    lang: String,
    title: String,
    lead: String,
    /// Absolute URL of the public page.
    url: String,
    /// First publication (RFC 3339).
    published_at: String,
    /// Last publication of this translation's live text (RFC 3339).
    updated_at: String,
    withdrawn: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
pub(crate) struct ListParams {
    /// Language code; the site's default language when absent.
    lang: Option<String>,
    /// Only this kind (`press-release`, `statement`, …).
    kind: Option<String>,
    /// Only this topic (slug).
    topic: Option<String>,
    /// Page number, from 1.
    page: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    per_page: Option<String>,
}

fn number_param(text: Option<&str>, name: &str, default: i64, max: i64) -> Result<i64, Problem> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(default),
        Some(t) => t
            .parse()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                let mut p = Problem::bad_request(format!(
                    "`{name}` must be a whole number from 1 to {max}"
                ));
                p.errors.push(super::problem::FieldProblem {
                    field: name.to_owned(),
                    message: format!("a whole number from 1 to {max}"),
                });
                p
            }),
    }
}

/// Published releases, newest first.
#[utoipa::path(get, path = "/api/v1/releases", params(ListParams), responses(
    (status = 200, description = "A page of releases", body = ReleaseList),
    (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "Unknown language, kind or topic", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn list_releases(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Response, Problem> {
    let settings = state.store().site_settings().await?;
    let lang = params
        .lang
        .clone()
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| settings.default_language().to_owned());
    let loaded = Loaded::fetch(&state, &lang)
        .await
        .map_err(|_| Problem::not_found(format!("the site does not publish in `{lang}`")))?;
    let page = number_param(params.page.as_deref(), "page", 1, 10_000)?;
    let per_page = number_param(params.per_page.as_deref(), "per_page", 20, 100)?;
    let kind = params.kind.clone().filter(|k| !k.is_empty());
    if kind
        .as_ref()
        .is_some_and(|k| !loaded.kinds.iter().any(|x| &x.key == k))
    {
        return Err(Problem::not_found("there is no such kind"));
    }
    let topic = params.topic.clone().filter(|t| !t.is_empty());
    if topic
        .as_ref()
        .is_some_and(|t| !loaded.topics.iter().any(|x| &x.slug == t))
    {
        return Err(Problem::not_found("there is no such topic"));
    }
    let filter = ReleaseFilter {
        lang: lang.clone(),
        kind,
        topic,
        published_between: None,
        limit: per_page,
        offset: (page - 1) * per_page,
        start_at: None,
    };
    let total = state.store().count_public(&filter).await?;
    let ctx = loaded.ctx(&state, &lang);
    let base = &state.config().base_url;
    let items = state
        .store()
        .list_public(&filter)
        .await?
        .iter()
        .map(|s| {
            let published = s.release.first_published_at.unwrap_or(s.release.created_at);
            ReleaseSummary {
                id: s.release.id,
                kind: s.release.kind.clone(),
                number: ctx.number(&s.release),
                lang: lang.clone(),
                title: s.title.clone(),
                lead: s.lead.clone(),
                url: format!(
                    "{base}{}",
                    release_path(&lang, &s.release, &s.slug, &loaded.settings)
                ),
                published_at: published.to_string(),
                updated_at: s.last_published_at.to_string(),
                withdrawn: s.withdrawn,
            }
        })
        .collect();
    Ok(cached(
        ReleaseList {
            items,
            page,
            per_page,
            total,
        },
        vec![format!("list:{lang}"), format!("chrome:{lang}")],
    ))
}

/// A published release with its published translations.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ReleaseDetail {
    id: i64,
    kind: String,
    /// Series, year and position of the official number, if numbered.
    series: Option<String>,
    year: Option<i16>,
    seq: Option<i64>,
    translations: Vec<PublishedTranslation>,
}

/// One language of a published release.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PublishedTranslation {
    lang: String,
    number: Option<String>,
    title: String,
    lead: String,
    /// Markdown source.
    body: String,
    /// Sanitised HTML.
    body_html: String,
    url: String,
    spokesperson: Option<String>,
    topics: Vec<String>,
    history: Vec<HistoryEntry>,
    withdrawn_at: Option<String>,
    withdrawal_explanation: Option<String>,
}

/// One publication of a translation.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct HistoryEntry {
    revision_id: i64,
    published_at: String,
    /// `major` (with note), `minor`, or absent for the first publication.
    correction: Option<String>,
    note: Option<String>,
}

/// A published release.
#[utoipa::path(get, path = "/api/v1/releases/{id}", params(("id" = i64, Path, description = "Release id")), responses(
    (status = 200, description = "The release", body = ReleaseDetail),
    (status = 404, description = "No published release with this id", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn get_release(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id: i64 = id
        .parse()
        .map_err(|_| Problem::bad_request("the release id must be a number"))?;
    let release = state.store().release(id).await?;
    let settings = state.store().site_settings().await?;
    let year = release_year(&release, &settings.tz())
        .ok_or_else(|| Problem::not_found("this release is not published"))?;
    let key = release_key(&release);
    let mut translations = Vec::new();
    for t in state.store().translations_of(id).await? {
        if t.live_revision_id.is_none() || settings.language(&t.lang).is_none() {
            continue;
        }
        let loaded = Loaded::fetch(&state, &t.lang)
            .await
            .map_err(|_| Problem::not_found("unknown language"))?;
        let found: PublicRelease = match state
            .store()
            .find_public(&loaded, &t.lang, year, &key)
            .await
        {
            Ok(found) => found,
            Err(StoreError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        let ctx = loaded.ctx(&state, &t.lang);
        let fallback = settings.default_language();
        translations.push(PublishedTranslation {
            lang: t.lang.clone(),
            number: ctx.number(&found.release),
            title: found.revision.title.clone(),
            lead: found.revision.lead.clone(),
            body_html: ctx.markdown(&found.revision.body),
            body: found.revision.body.clone(),
            url: format!(
                "{}{}",
                state.config().base_url,
                release_path(&t.lang, &found.release, &t.slug, &settings)
            ),
            spokesperson: found
                .spokesperson
                .as_ref()
                .map(|s| pick(&s.names, &t.lang, fallback).to_owned()),
            topics: found.topics.iter().map(|x| x.slug.clone()).collect(),
            history: found
                .history
                .iter()
                .map(|p| HistoryEntry {
                    revision_id: p.revision_id,
                    published_at: p.published_at.to_string(),
                    correction: p.correction.as_ref().map(|c| {
                        if c.note().is_some() {
                            "major".to_owned()
                        } else {
                            "minor".to_owned()
                        }
                    }),
                    note: p
                        .correction
                        .as_ref()
                        .and_then(|c| c.note().map(str::to_owned)),
                })
                .collect(),
            withdrawn_at: found.translation.withdrawn_at.map(|at| at.to_string()),
            withdrawal_explanation: found.translation.withdrawal_explanation.clone(),
        });
    }
    if translations.is_empty() {
        return Err(Problem::not_found("this release is not published"));
    }
    let detail = ReleaseDetail {
        id,
        kind: release.kind.clone(),
        series: release.series.clone(),
        year: release.number.map(|n| n.year),
        seq: release.number.map(|n| n.seq),
        translations,
    };
    Ok(cached(detail, vec![format!("release:{id}")]))
}

/// A topic.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TopicOut {
    slug: String,
    /// Name per language code.
    names: std::collections::BTreeMap<String, String>,
}

/// Every topic.
#[utoipa::path(get, path = "/api/v1/topics", responses((status = 200, description = "Topics", body = [TopicOut])))]
pub(crate) async fn list_topics(State(state): State<AppState>) -> Result<Response, Problem> {
    let topics: Vec<TopicOut> = state
        .store()
        .list_topics()
        .await?
        .into_iter()
        .map(|t| TopicOut {
            slug: t.slug,
            names: t.names,
        })
        .collect();
    let mut response = Json(topics).into_response();
    response
        .extensions_mut()
        .insert(CacheTags(vec!["site".to_owned()]));
    Ok(response)
}

/// An editable page.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PageOut {
    slug: String,
    lang: String,
    title: String,
    body: String,
    body_html: String,
    updated_at: String,
}

/// A page (privacy policy, terms, contact) in a language.
#[utoipa::path(get, path = "/api/v1/pages/{lang}/{slug}", params(("lang" = String, Path), ("slug" = String, Path)), responses(
    (status = 200, description = "The page", body = PageOut),
    (status = 404, description = "No such page", body = Problem, content_type = "application/problem+json"),
))]
pub(crate) async fn get_page(
    State(state): State<AppState>,
    Path((lang, slug)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let loaded = Loaded::fetch(&state, &lang)
        .await
        .map_err(|_| Problem::not_found(format!("the site does not publish in `{lang}`")))?;
    let page = state.store().page(&slug, &lang).await?;
    let body_html = loaded.ctx(&state, &lang).markdown(&page.body);
    let out = PageOut {
        slug,
        lang: lang.clone(),
        title: page.title,
        body: page.body,
        body_html,
        updated_at: page.updated_at.to_string(),
    };
    Ok(cached(out, vec![format!("chrome:{lang}")]))
}
