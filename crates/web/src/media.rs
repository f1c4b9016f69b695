//! Media on the web: `/media/…` files served from the storage, the release page's banner and
//! attachment list, and the upload calls the editorial area makes (decode and encode off the
//! async threads, store the files, then record them).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use minijinja::context;
use pressroom_core::Invalid;
use pressroom_core::media::{
    AltText, Attachment, Banner, CropKind, FocalPoint, NewAttachment, VariantFormat,
};
use pressroom_core::release::{ReleaseId, TranslationId};
use pressroom_media::{
    BannerInput, DEFAULT_MAX_ATTACHMENT_BYTES, Limits, MediaKey, Storage, StorageError, StoredFile,
    process_attachment, process_banner,
};
use pressroom_store::{By, MediaChange, ShownMedia, StoreError, TranslationDetail};

use crate::view::Ctx;
use crate::{AppState, WebError};

/// Files under `/media/` never change (their names are their content's hash), so browsers
/// and caches keep them for a year without asking again.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// What `<picture>` and the mobile `<source>` are told about the layout: the default theme's
/// column is 46rem with 1rem of padding either side.
const MOBILE_SIZES: &str = "calc(100vw - 2rem)";
const DESKTOP_SIZES: &str = "(max-width: 46rem) calc(100vw - 2rem), 44rem";

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/media/{hash}/{file}", get(serve))
}

async fn serve(
    State(state): State<AppState>,
    Path((hash, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let key = MediaKey::parse(&format!("{hash}/{file}")).ok_or(WebError::NotFound)?;
    let storage = state.media().ok_or(WebError::NotFound)?;
    let bytes = storage.get(&key).await?.ok_or(WebError::NotFound)?;
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(key.content_type()),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    if key.is_download() {
        // The key's name is `[a-z0-9-]+.ext`: safe to quote as it is.
        let disposition = format!("attachment; filename=\"{}\"", key.file_name());
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// A banner upload as the editor sends it.
#[derive(Debug, Clone)]
pub enum BannerUpload {
    /// One image and the focal point both crops centre on.
    Single {
        /// The file (form field `image`).
        image: Bytes,
        /// The point the editor clicked.
        focal: FocalPoint,
    },
    /// One image per crop (fields `desktop_image`, `mobile_image`).
    Pair {
        /// The wide image.
        desktop: Bytes,
        /// The tall image.
        mobile: Bytes,
    },
}

/// Why an upload did not become a banner or an attachment.
#[derive(Debug, thiserror::Error)]
pub enum UploadFailure {
    /// The upload itself is wrong; each field says how (nothing was stored).
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// No media storage is configured for this server.
    #[error("media storage is not configured")]
    NoStorage,
    /// Writing the files failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Recording them failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl UploadFailure {
    /// Whether the uploader can fix it, as opposed to a fault to log.
    pub fn is_user_error(&self) -> bool {
        match self {
            Self::Invalid(_) => true,
            Self::Store(e) => e.is_user_error(),
            Self::NoStorage | Self::Storage(_) => false,
        }
    }
}

impl AppState {
    /// The media storage, if configured.
    pub fn media(&self) -> Option<&Arc<dyn Storage>> {
        self.inner.media.as_ref()
    }

    /// Makes a banner from an upload: checks and processes it, stores every file, then
    /// records the banner (not yet shown by any revision). A refused upload stores nothing.
    pub async fn upload_banner(
        &self,
        upload: BannerUpload,
        release_id: Option<ReleaseId>,
        alt: AltText,
        by: By<'_>,
    ) -> Result<Banner, UploadFailure> {
        let storage = self.media().ok_or(UploadFailure::NoStorage)?;
        let (mut banner, files) = banner_from_upload(upload).await?;
        banner.release_id = release_id;
        banner.alt = alt;
        banner.validate()?;
        let store = self.store();
        stored_then_recorded(storage.as_ref(), &files, store.create_banner(&banner, by)).await
    }

    /// Makes an attachment from an uploaded document: checks it, stores it, records it.
    pub async fn upload_attachment(
        &self,
        bytes: Bytes,
        file_name: &str,
        release_id: Option<ReleaseId>,
        by: By<'_>,
    ) -> Result<Attachment, UploadFailure> {
        let storage = self.media().ok_or(UploadFailure::NoStorage)?;
        let processed = process_attachment(&bytes, file_name, DEFAULT_MAX_ATTACHMENT_BYTES)
            .map_err(|e| e.into_invalid("file"))?;
        let attachment = NewAttachment {
            release_id,
            ..processed.attachment
        };
        let store = self.store();
        let files = std::slice::from_ref(&processed.file);
        stored_then_recorded(
            storage.as_ref(),
            files,
            store.create_attachment(&attachment, by),
        )
        .await
    }

    /// Gives a translation a new banner from an upload, as a new revision with the same text:
    /// checks the version first (so a stale form processes nothing), processes the images,
    /// stores the files, then records the banner and the revision in one transaction. When
    /// anything fails, no row is written and the files this upload added are deleted.
    /// `alt` describes the image in the translation's language (may be empty while drafting).
    pub async fn set_banner(
        &self,
        id: TranslationId,
        version: i64,
        upload: BannerUpload,
        alt: &str,
        by: By<'_>,
    ) -> Result<TranslationDetail, UploadFailure> {
        let storage = self.media().ok_or(UploadFailure::NoStorage)?;
        let translation = self.store().translation_at(id, version).await?;
        let (mut banner, files) = banner_from_upload(upload).await?;
        if !alt.trim().is_empty() {
            banner.alt.insert(translation.lang, alt.trim().to_owned());
        }
        banner.validate()?;
        let change = MediaChange::Banner(banner);
        let store = self.store();
        stored_then_recorded(
            storage.as_ref(),
            &files,
            store.change_media(id, version, &change, by),
        )
        .await
    }

    /// Adds an uploaded document to a translation, as a new revision with the same text; the
    /// same order and clean-up as [`AppState::set_banner`].
    pub async fn add_attachment(
        &self,
        id: TranslationId,
        version: i64,
        bytes: Bytes,
        file_name: &str,
        by: By<'_>,
    ) -> Result<TranslationDetail, UploadFailure> {
        let storage = self.media().ok_or(UploadFailure::NoStorage)?;
        self.store().translation_at(id, version).await?;
        let processed = process_attachment(&bytes, file_name, DEFAULT_MAX_ATTACHMENT_BYTES)
            .map_err(|e| e.into_invalid("file"))?;
        let change = MediaChange::Attachment(processed.attachment);
        let store = self.store();
        let files = std::slice::from_ref(&processed.file);
        stored_then_recorded(
            storage.as_ref(),
            files,
            store.change_media(id, version, &change, by),
        )
        .await
    }
}

/// Checks and processes a banner upload on a blocking thread (about a second for a camera
/// photo): the banner record (without release or alt text) and its files.
async fn banner_from_upload(
    upload: BannerUpload,
) -> Result<(pressroom_core::media::NewBanner, Vec<StoredFile>), UploadFailure> {
    let processed = tokio::task::spawn_blocking(move || {
        let input = match &upload {
            BannerUpload::Single { image, focal } => BannerInput::Single {
                image,
                focal: *focal,
            },
            BannerUpload::Pair { desktop, mobile } => BannerInput::Pair { desktop, mobile },
        };
        process_banner(input, &Limits::default())
    })
    .await
    .map_err(|e| StorageError::new("processing", e))?;
    let processed = processed.map_err(|e| {
        if e.error.is_user_error() {
            UploadFailure::Invalid(e.into_invalid())
        } else {
            UploadFailure::Storage(StorageError::new("processing", e))
        }
    })?;
    Ok((processed.banner, processed.files))
}

/// Files first, rows second: stores `files`, then runs `record`. If storing or recording
/// fails, the files this call added are deleted again (those that were already there belong
/// to other uploads of the same bytes), so a failed upload leaves neither rows nor files.
async fn stored_then_recorded<T>(
    storage: &dyn Storage,
    files: &[StoredFile],
    record: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, UploadFailure> {
    let mut added = Vec::new();
    let mut failure = None;
    for file in files {
        match storage.exists(&file.key).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                failure = Some(UploadFailure::Storage(e));
                break;
            }
        }
        match storage.put(&file.key, file.bytes.clone()).await {
            Ok(()) => added.push(&file.key),
            Err(e) => {
                failure = Some(UploadFailure::Storage(e));
                break;
            }
        }
    }
    let failure = match failure {
        Some(failure) => failure,
        None => match record.await {
            Ok(value) => return Ok(value),
            Err(e) => UploadFailure::Store(e),
        },
    };
    for key in added {
        if let Err(e) = storage.delete(key).await {
            // `pressroom media gc` removes it later; the upload's own error matters more.
            tracing::warn!(error = %e, key = %key.as_str(), "could not delete the file of a failed upload");
        }
    }
    Err(failure)
}

/// The fields of a multipart form: files as bytes with their file names, text as text.
#[derive(Default)]
pub(crate) struct Upload {
    pub text: BTreeMap<String, String>,
    pub files: BTreeMap<String, (String, Bytes)>,
}

pub(crate) async fn read_upload(mut multipart: Multipart) -> Result<Upload, WebError> {
    let mut upload = Upload::default();
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            return WebError::TooLarge(
                "The upload is larger than 40 MiB; choose a smaller file.".to_owned(),
            );
        }
        WebError::BadRequest(format!(
            "The upload could not be read ({}); try again, with files under 40 MiB.",
            e.body_text()
        ))
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let bytes = field.bytes().await.map_err(unreadable)?;
                if !bytes.is_empty() {
                    upload.files.insert(name, (file_name, bytes));
                }
            }
            None => {
                let text = field.text().await.map_err(unreadable)?;
                upload.text.insert(name, text);
            }
        }
    }
    Ok(upload)
}

/// The focal point from percentage fields `focal_x`, `focal_y` (the centre when absent).
pub(crate) fn focal(upload: &Upload) -> Result<FocalPoint, Invalid> {
    let coordinate = |name: &str| -> Result<u16, Invalid> {
        match upload
            .text
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            None => Ok(500),
            Some(text) => text
                .parse::<f64>()
                .ok()
                .filter(|v| (0.0..=100.0).contains(v))
                .map(|v| (v * 10.0).round() as u16)
                .ok_or_else(|| Invalid::field(name, "give a percentage from 0 to 100")),
        }
    };
    FocalPoint::new(coordinate("focal_x")?, coordinate("focal_y")?)
}

/// The banner in an upload form: `image` with a focal point, or `desktop_image` and
/// `mobile_image`.
pub(crate) fn banner_upload(upload: &Upload) -> Result<BannerUpload, Invalid> {
    let file = |name: &str| upload.files.get(name).map(|(_, b)| b.clone());
    match (file("image"), file("desktop_image"), file("mobile_image")) {
        (Some(image), _, _) => Ok(BannerUpload::Single {
            image,
            focal: focal(upload)?,
        }),
        (None, Some(desktop), Some(mobile)) => Ok(BannerUpload::Pair { desktop, mobile }),
        _ => Err(Invalid::field(
            "image",
            "choose one image (with its focal point), or a desktop image and a mobile image",
        )),
    }
}

/// What the release template shows of a revision's media: the banner as `<picture>` sources,
/// the Open Graph image, and the attachment list.
pub(crate) fn release_media(ctx: &Ctx<'_>, media: &ShownMedia, base_url: &str) -> minijinja::Value {
    let banner = media.banner.as_ref().and_then(|b| banner_view(ctx.lang, b));
    let og_image = media.banner.as_ref().and_then(|b| {
        let og = b.variants(CropKind::Og, VariantFormat::Jpeg);
        let v = og.last()?;
        Some(context! {
            url => format!("{base_url}/media/{}", v.file.key),
            width => v.width,
            height => v.height,
            alt => b.spec.alt.get(ctx.lang).map(|a| a.trim()).unwrap_or_default(),
        })
    });
    let attachments: Vec<_> = media
        .attachments
        .iter()
        .map(|a| {
            context! {
                url => format!("/media/{}", a.spec.file.key),
                name => a.spec.file_name,
                label => a.spec.format.label(),
                size => size_text(ctx, a.spec.file.size),
            }
        })
        .collect();
    context! { banner, og_image, attachments }
}

/// The `/media/…` addresses [`release_media`] puts in a page for `media`: every variant of
/// the two crops' `srcset`s, the Open Graph image and the attachments (not the kept source,
/// which no page shows). The static export copies exactly these.
pub(crate) fn referenced_files(media: &ShownMedia) -> Vec<String> {
    let mut urls = Vec::new();
    if let Some(b) = &media.banner {
        for crop in [CropKind::Desktop, CropKind::Mobile] {
            for format in [VariantFormat::Webp, VariantFormat::Jpeg] {
                urls.extend(
                    b.variants(crop, format)
                        .iter()
                        .map(|v| format!("/media/{}", v.file.key)),
                );
            }
        }
        if let Some(og) = b.variants(CropKind::Og, VariantFormat::Jpeg).last() {
            urls.push(format!("/media/{}", og.file.key));
        }
    }
    urls.extend(
        media
            .attachments
            .iter()
            .map(|a| format!("/media/{}", a.spec.file.key)),
    );
    urls
}

fn banner_view(lang: &str, banner: &Banner) -> Option<minijinja::Value> {
    let srcset = |crop, format| -> String {
        banner
            .variants(crop, format)
            .iter()
            .map(|v| format!("/media/{} {}w", v.file.key, v.width))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let desktop = banner.variants(CropKind::Desktop, VariantFormat::Jpeg);
    let mobile = banner.variants(CropKind::Mobile, VariantFormat::Jpeg);
    let widest = desktop.last()?;
    let tallest = mobile.last()?;
    // The fallback `src` for browsers without srcset: the variant nearest 1200 pixels wide.
    let fallback = desktop
        .iter()
        .rev()
        .find(|v| v.width <= 1200)
        .unwrap_or(&desktop[0]);
    Some(context! {
        alt => banner.spec.alt.get(lang).map(|a| a.trim()).unwrap_or_default(),
        mobile => context! {
            webp => srcset(CropKind::Mobile, VariantFormat::Webp),
            jpeg => srcset(CropKind::Mobile, VariantFormat::Jpeg),
            width => tallest.width,
            height => tallest.height,
            sizes => MOBILE_SIZES,
        },
        desktop => context! {
            webp => srcset(CropKind::Desktop, VariantFormat::Webp),
            jpeg => srcset(CropKind::Desktop, VariantFormat::Jpeg),
            src => format!("/media/{}", fallback.file.key),
            width => widest.width,
            height => widest.height,
            sizes => DESKTOP_SIZES,
        },
    })
}

/// "340 KB", "1.2 MB" (with the language's decimal separator): what readers need to decide
/// whether to download on a phone.
fn size_text(ctx: &Ctx<'_>, bytes: u64) -> String {
    let separator = ctx.text("decimal-separator");
    if bytes < 1_000_000 {
        let kb = bytes.div_ceil(1000).max(1);
        ctx.i18n
            .text(ctx.lang, "file-size-kb", &[("size", kb.to_string().into())])
    } else {
        let tenths = (bytes + 50_000) / 100_000;
        let text = format!("{}{separator}{}", tenths / 10, tenths % 10);
        ctx.i18n
            .text(ctx.lang, "file-size-mb", &[("size", text.into())])
    }
}
