//! Static assets of the theme, served under content-hashed URLs with immutable caching, so a
//! new release of the theme is picked up at once and an unchanged one is never re-fetched.

use std::path::Path;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::{AppState, WebError};

/// The embedded default files: (name, content type, bytes).
const EMBEDDED: &[(&str, &str, &[u8])] = &[
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/style.css"),
    ),
    (
        "site.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/site.js"),
    ),
    (
        "admin.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/admin.css"),
    ),
    (
        "admin.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/admin.js"),
    ),
];

/// One asset, loaded at start-up.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: Vec<u8>,
    hashed_name: String,
}

/// The theme's assets.
pub(crate) struct Assets {
    files: Vec<Asset>,
}

impl Assets {
    /// Loads the embedded files, replaced by `theme/assets/NAME` where the theme has one.
    pub(crate) fn load(theme_dir: Option<&Path>) -> Result<Self, WebError> {
        let mut files = Vec::new();
        for (name, content_type, embedded) in EMBEDDED {
            let bytes = match theme_dir
                .map(|d| d.join("assets").join(name))
                .filter(|p| p.is_file())
            {
                Some(path) => std::fs::read(&path)
                    .map_err(|e| WebError::Theme(format!("{}: {e}", path.display())))?,
                None => embedded.to_vec(),
            };
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
            let hashed_name = format!("{stem}.{:016x}.{ext}", fnv1a(&bytes));
            files.push(Asset {
                name,
                content_type,
                bytes,
                hashed_name,
            });
        }
        Ok(Self { files })
    }

    /// The URL of asset `name` (`/assets/style.0123456789abcdef.css`).
    pub(crate) fn url(&self, name: &str) -> String {
        self.files.iter().find(|a| a.name == name).map_or_else(
            || {
                tracing::error!(
                    asset = name,
                    "a template asks for an asset that is not embedded"
                );
                format!("/assets/{name}")
            },
            |a| format!("/assets/{}", a.hashed_name),
        )
    }
}

/// FNV-1a: a stable, dependency-free fingerprint; collisions only cost a cache miss.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/assets/{file}", get(serve))
}

async fn serve(
    State(state): State<AppState>,
    UrlPath(file): UrlPath<String>,
) -> Result<Response, WebError> {
    let asset = state
        .inner
        .assets
        .files
        .iter()
        .find(|a| a.hashed_name == file)
        .ok_or(WebError::NotFound)?;
    Ok((
        [
            (CONTENT_TYPE, asset.content_type),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        asset.bytes.clone(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_the_templates_use_is_embedded_under_a_hashed_name() {
        let assets = Assets::load(None).unwrap();
        for name in ["style.css", "site.js", "admin.css", "admin.js"] {
            let url = assets.url(name);
            let (stem, ext) = name.rsplit_once('.').unwrap();
            assert!(
                url.starts_with(&format!("/assets/{stem}."))
                    && url.ends_with(ext)
                    && url.len() > name.len() + 17,
                "{url}"
            );
        }
    }
}
