//! What lets a reader check the ministry's word: the signed form of each published revision,
//! the public keys, the publication log, and the "Verify a statement" page.
//!
//! ```text
//! GET  /api/v1/revisions/{id}/signed.json   signed form of a published revision
//! GET  /.well-known/pressroom/keys.json     public keys with their validity
//! GET  /.well-known/pressroom/log           the signed head of the log and entries 1–100
//! GET  /.well-known/pressroom/log-from-N    … and entries from N (`?from=N` redirects here)
//! GET  /{lang}/verify                       the form
//! POST /{lang}/verify                       pasted text or an uploaded signed file
//! ```
//!
//! The formats are `pressroom_core::signing`'s, documented in `docs/signing.md`; the checks
//! are the store's. Handlers only parse, ask and render.

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use minijinja::context;
use pressroom_core::signing::{KEYS_FORMAT, KeysDocument, LOG_FORMAT, ReleasePayload};
use pressroom_core::verify::Verdict;
use pressroom_store::{LOG_PAGE, PublicRelease, StoreError};
use serde::Deserialize;
use serde_json::json;

use crate::public::{Loaded, chrome, render};
use crate::view::release_path;
use crate::{AppState, WebError};

/// The largest signed file or pasted text the verify page accepts.
pub(crate) const MAX_UPLOAD: usize = 1024 * 1024;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/revisions/{id}/signed.json", get(signed_revision))
        .route("/.well-known/pressroom/keys.json", get(keys))
        .route("/.well-known/pressroom/log", get(log))
        // `log-from-N`: the later pages of the log as paths, so a static export holds them.
        .route("/.well-known/pressroom/{page}", get(log_page))
        .route(
            "/{lang}/verify",
            get(verify_form)
                .post(verify_submit)
                // Room for the form's other fields and multipart framing around a full file.
                .layer(DefaultBodyLimit::max(MAX_UPLOAD + 64 * 1024)),
        )
}

/// The release page's authenticity block: where its signed form is and where to check it.
pub(crate) fn release_block(lang: &str, found: &PublicRelease) -> Option<minijinja::Value> {
    let revision = found.translation.live_revision_id?;
    Some(context! {
        signed_url => format!("/api/v1/revisions/{revision}/signed.json"),
        verify_url => format!("/{lang}/verify"),
    })
}

fn json_response(value: &impl serde::Serialize) -> Response {
    let mut response = Json(value).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

async fn signed_revision(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let doc = state.store().signed_revision(id).await?;
    Ok(json_response(&doc))
}

async fn keys(State(state): State<AppState>) -> Result<Response, WebError> {
    let doc = KeysDocument {
        format: KEYS_FORMAT.to_owned(),
        site: state.config().base_url.clone(),
        keys: state.store().signing_keys().await?,
    };
    Ok(json_response(&doc))
}

#[derive(Debug, Deserialize)]
struct LogQuery {
    from: Option<String>,
}

/// The address of the log's page starting at entry `from`.
pub(crate) fn log_url(from: i64) -> String {
    match from {
        1 => "/.well-known/pressroom/log".to_owned(),
        n => format!("/.well-known/pressroom/log-from-{n}"),
    }
}

async fn log(
    State(state): State<AppState>,
    Query(query): Query<LogQuery>,
) -> Result<Response, WebError> {
    match query.from.as_deref() {
        None | Some("") => log_from(&state, 1).await,
        Some(text) => {
            let from = text
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    WebError::BadRequest(
                        "`from` must be a log position: a whole number from 1.".into(),
                    )
                })?;
            Ok(axum::response::Redirect::permanent(&log_url(from)).into_response())
        }
    }
}

async fn log_page(
    State(state): State<AppState>,
    Path(page): Path<String>,
) -> Result<Response, WebError> {
    let from = page
        .strip_prefix("log-from-")
        .filter(|n| !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n > 1)
        .ok_or(WebError::NotFound)?;
    log_from(&state, from).await
}

async fn log_from(state: &AppState, from: i64) -> Result<Response, WebError> {
    let store = state.store();
    let size = store.log_size().await?;
    let head = match size {
        0 => None,
        n => store.log_entries(n, 1).await?.pop(),
    };
    let entries = store.log_entries(from, LOG_PAGE).await?;
    let next = (from + LOG_PAGE <= size).then(|| log_url(from + LOG_PAGE));
    let head = head.map(|h| {
        json!({
            "seq": size,
            "entry_sha256": h.entry_sha256,
            "algorithm": h.algorithm,
            "key_id": h.key_id,
            "signature": h.signature,
        })
    });
    Ok(json_response(&json!({
        "format": LOG_FORMAT,
        "site": state.config().base_url,
        "size": size,
        "head": head,
        "from": from,
        "entries": entries,
        "next": next,
    })))
}

async fn verify_form(
    State(state): State<AppState>,
    Path(lang): Path<String>,
) -> Result<Response, WebError> {
    page(&state, &lang, None, None, "").await
}

/// What the form sent.
#[derive(Debug, Default, Deserialize)]
struct Submission {
    #[serde(default)]
    text: String,
    #[serde(skip)]
    file: Option<Vec<u8>>,
}

async fn verify_submit(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    request: Request,
) -> Result<Response, WebError> {
    // Refuses an unknown language before reading the upload.
    Loaded::fetch(&state, &lang).await?;
    let submission = match read_submission(&state, request).await {
        Ok(s) => s,
        Err((status, message)) => {
            let mut response = page(&state, &lang, None, Some(message), "").await?;
            *response.status_mut() = status;
            return Ok(response);
        }
    };
    let outcome = match &submission.file {
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => state.store().verify_document(text).await,
            Err(_) => {
                let message = "The file is not a signed Pressroom file (it is not UTF-8 text). \
                               Upload the .json file from a release's “signed version” link.";
                return page(&state, &lang, None, Some(message.into()), &submission.text).await;
            }
        },
        None if submission.text.trim().is_empty() => {
            let message = "Paste the text of a statement, or choose a signed file.";
            return page(&state, &lang, None, Some(message.into()), "").await;
        }
        None => verify_pasted(&state, &submission.text).await,
    };
    match outcome {
        Ok(verdict) => page(&state, &lang, Some(verdict), None, &submission.text).await,
        Err(StoreError::Invalid(invalid)) => {
            let message = invalid
                .errors
                .iter()
                .map(|e| match e.field.as_str() {
                    "file" => format!("The file cannot be checked: {}.", e.message),
                    _ => format!("The text cannot be checked: {}.", e.message),
                })
                .collect::<Vec<_>>()
                .join(" ");
            page(&state, &lang, None, Some(message), &submission.text).await
        }
        Err(other) => Err(other.into()),
    }
}

/// How many of the index's best candidates a pasted text is compared with.
const VERIFY_CANDIDATES: usize = 20;

/// Checks a pasted text by its phrases first (`Store::verify_text`): they find every exact
/// copy, passage and text modified little enough to count as modified, at the cost of a few
/// index lookups, with or without the search index. Only a text they find nothing for is
/// compared with the search index's candidates too (translations sharing words rather than
/// whole phrases), when the index is current: that query costs more than the rest of the
/// check, and an unknown text is the only one it can still change the verdict of. Neither
/// path reads every signed revision.
async fn verify_pasted(state: &AppState, text: &str) -> Result<Verdict, StoreError> {
    let store = state.store();
    let verdict = store.verify_text(text).await?;
    if verdict != Verdict::NotFound {
        return Ok(verdict);
    }
    let index = state.search();
    let current = match index.last_seq() {
        Some(seq) => store.last_change_seq().await? <= seq,
        None => false,
    };
    if !current {
        return Ok(verdict);
    }
    match index.similar(text, VERIFY_CANDIDATES) {
        Ok(candidates) if !candidates.is_empty() => {
            store.verify_text_among(text, &candidates).await
        }
        Ok(_) => Ok(verdict),
        Err(e) => {
            tracing::warn!(error = %e, "the search index failed; checked by phrases alone");
            Ok(verdict)
        }
    }
}

/// Reads a multipart (with a file) or URL-encoded (text only) form. Every failure is a
/// message for the reader, never a fault.
async fn read_submission(
    state: &AppState,
    request: Request,
) -> Result<Submission, (StatusCode, String)> {
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The upload is too large: at most {} KiB.",
                MAX_UPLOAD / 1024
            ),
        )
    };
    let bad = |message: &str| (StatusCode::BAD_REQUEST, message.to_owned());
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let Form(submission) = Form::<Submission>::from_request(request, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    bad("The form could not be read; send it again from the verify page.")
                }
            })?;
        return Ok(submission);
    }
    if !content_type.starts_with("multipart/form-data") {
        return Err(bad(
            "Send the form from the verify page (multipart or URL-encoded).",
        ));
    }
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|_| bad("The upload could not be read; send it again from the verify page."))?;
    let mut submission = Submission::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(bad("The upload was cut short or is malformed; try again.")),
        };
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                bad("The upload was cut short or is malformed; try again.")
            }
        })?;
        if bytes.len() > MAX_UPLOAD {
            return Err(too_large());
        }
        match name.as_str() {
            "text" => {
                submission.text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| bad("The text is not valid UTF-8."))?;
            }
            "file" if !bytes.is_empty() => submission.file = Some(bytes.to_vec()),
            _ => {}
        }
    }
    Ok(submission)
}

/// Renders the verify page, with a verdict or an error (then with status 400).
async fn page(
    state: &AppState,
    lang: &str,
    verdict: Option<Verdict>,
    error: Option<String>,
    text: &str,
) -> Result<Response, WebError> {
    let loaded = Loaded::fetch(state, lang).await?;
    let result = match verdict {
        Some(v) => Some(result_view(state, &loaded, lang, v).await?),
        None => None,
    };
    let alternates: Vec<(String, String)> = loaded
        .settings
        .languages
        .iter()
        .map(|l| (l.code.clone(), format!("/{}/verify", l.code)))
        .collect();
    let path = format!("/{lang}/verify");
    let chrome = chrome(state, &loaded, lang, &path, &alternates)?;
    let failed = error.is_some();
    let mut response = render(
        state,
        "verify.html",
        context! {
            lang,
            chrome,
            result,
            error,
            text,
            action => format!("/{lang}/verify"),
            max_kib => MAX_UPLOAD / 1024,
        },
        vec![format!("chrome:{lang}")],
    )?;
    if failed {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// The verdict as the page shows it: a heading, a sentence, the release, the differences.
async fn result_view(
    state: &AppState,
    loaded: &Loaded,
    lang: &str,
    verdict: Verdict,
) -> Result<minijinja::Value, WebError> {
    let i18n = &state.inner.i18n;
    let text = |key: &str| i18n.text(lang, key, &[]);
    let (kind, heading, message, revision, diff) = match verdict {
        Verdict::Genuine {
            revision,
            excerpt,
            changed_later,
            withdrawn,
        } => {
            let (kind, key) = match (changed_later, withdrawn) {
                (_, true) => ("changed", "verdict-withdrawn"),
                (true, false) => ("changed", "verdict-changed"),
                (false, false) => ("genuine", "verdict-genuine"),
            };
            let detail = format!("{key}-{}", if excerpt { "passage" } else { "text" });
            (kind, text(key), text(&detail), Some(revision), Vec::new())
        }
        Verdict::Modified {
            revision,
            diff,
            reason,
        } => (
            "modified",
            text("verdict-modified"),
            i18n.text(lang, "verdict-modified-text", &[("reason", reason.into())]),
            revision,
            diff,
        ),
        Verdict::NotFound => (
            "not-found",
            text("verdict-not-found"),
            text("verdict-not-found-text"),
            None,
            Vec::new(),
        ),
    };
    let release = match revision {
        Some(r) => Some(release_view(state, loaded, lang, &r).await?),
        None => None,
    };
    Ok(context! { kind, heading, message, release, diff })
}

async fn release_view(
    state: &AppState,
    loaded: &Loaded,
    lang: &str,
    payload: &ReleasePayload,
) -> Result<minijinja::Value, WebError> {
    let store = state.store();
    let url = match (
        store.release(payload.release_id).await,
        store.translation(payload.translation_id).await,
    ) {
        (Ok(release), Ok(t)) => Some(release_path(&t.lang, &release, &t.slug, &loaded.settings)),
        _ => None,
    };
    let ctx = loaded.ctx(state, lang);
    Ok(context! {
        url,
        title => payload.title,
        language => payload.language,
        kind => ctx.kind_name(&payload.kind),
        number => payload.number.as_ref().map(|n| n.display.clone()),
        date => payload.date,
        signed_url => format!("/api/v1/revisions/{}/signed.json", payload.revision_id),
    })
}
