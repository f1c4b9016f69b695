//! JSON API v1 under `/api/v1`, described by the OpenAPI 3.1 document at `/api/openapi.json`
//! (generated from these handlers with utoipa, so it cannot drift from the code).
//!
//! Reading published content (and searching it, `search`) needs nothing; writing needs an API token (`Authorization:
//! Bearer prt_…`) whose scopes and user's role both allow the action. Errors are RFC 9457
//! `application/problem+json` with one entry per bad field. Requests are rate-limited per client
//! address (`limit`), more strictly those refused for a wrong token.

mod body;
mod doc;
mod import;
mod limit;
mod problem;
mod read;
mod search;
mod write;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::OpenApi;

pub(crate) use limit::{ApiLimits, Buckets};
pub(crate) use problem::Problem;

use crate::AppState;

/// Largest request body the API reads.
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(OpenApi)]
#[openapi(
    info(title = "Pressroom API", version = "1", description = "Press releases of the ministry: read published releases; write, review and publish with a token."),
    paths(
        read::list_releases, read::get_release, read::list_topics, read::get_page, search::search,
        write::create_release, write::add_translation, write::get_translation, write::save_translation, write::act,
        write::upload_banner, write::upload_attachment, import::import_releases,
    ),
    components(schemas(
        read::ReleaseList, read::ReleaseSummary, read::ReleaseDetail, read::PublishedTranslation, read::HistoryEntry, read::TopicOut, read::PageOut,
        search::SearchOut, search::SearchHit, search::SearchFacets, search::SearchFacet,
        write::RevisionIn, write::NewReleaseIn, write::NewTranslationIn, write::SaveIn, write::ActionIn, write::CorrectionIn, write::TranslationOut, write::BannerForm, write::AttachmentForm,
        import::ImportIn, pressroom_core::import::ImportRelease, pressroom_core::import::ImportTranslation, pressroom_core::import::ImportFile, crate::import::ImportReport, crate::import::ReportLine,
        Problem, problem::FieldProblem,
    )),
    modifiers(&BearerAuth),
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document, as served.
pub fn openapi_json() -> String {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    doc::merge_flattened(&mut doc);
    doc::document_problems(&mut doc);
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], openapi_json())
}

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .merge(read::routes().layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::cache::serve_cached,
        )))
        .merge(search::routes())
        .merge(write::routes())
        .merge(import::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limit::limit,
        ))
}
