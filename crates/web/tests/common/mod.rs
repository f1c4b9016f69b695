//! Shared fixtures of the web tests: a site on a throwaway database, driven through the real
//! router, and `backends!` to run each test on SQLite and PostgreSQL.
#![allow(dead_code, unused_macros, missing_docs)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use jiff::Timestamp;
use pressroom_core::release::RevisionInput;
use pressroom_core::workflow::Action;
use pressroom_store::testing::{People, TestDb};
use pressroom_store::{By, NewRelease};
use pressroom_web::{AppState, WebConfig, router};
use tower::ServiceExt;

pub mod api;
pub mod browser;

pub struct Site {
    /// Where uploaded media go, removed with the site.
    pub media: tempfile::TempDir,
    pub db: TestDb,
    pub people: People,
    pub app: axum::Router,
    /// The application state behind `app`: its search index, for tests that fill it.
    pub state: AppState,
}

pub async fn site(db: TestDb) -> Site {
    site_with(db, None).await
}

pub async fn site_with(db: TestDb, theme_dir: Option<std::path::PathBuf>) -> Site {
    site_configured(db, |config| config.theme_dir = theme_dir).await
}

/// A site whose configuration `configure` changes from the tests' default.
pub async fn site_configured(db: TestDb, configure: impl FnOnce(&mut WebConfig)) -> Site {
    let people = db.people().await;
    let mut config = WebConfig {
        base_url: "https://mfa.example.org".into(),
        cache_bytes: 8 << 20,
        ..Default::default()
    };
    configure(&mut config);
    let media = tempfile::tempdir().unwrap();
    let storage = pressroom_media::storage::open("", media.path()).unwrap();
    let state = AppState::new(db.store.clone(), config, Some(storage)).unwrap();
    Site {
        media,
        app: router(state.clone()),
        state,
        db,
        people,
    }
}

impl Site {
    pub async fn get(&self, uri: &str) -> Response {
        self.app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    pub async fn page(&self, uri: &str) -> String {
        let response = self.get(uri).await;
        let status = response.status();
        let body = body_text(response).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        body
    }

    /// Publishes an English press release at `at`, optionally with a Russian translation.
    pub async fn publish(
        &self,
        title: &str,
        body: &str,
        at: Timestamp,
        russian: Option<&str>,
    ) -> i64 {
        let input = |t: &str| RevisionInput {
            title: t.into(),
            lead: format!("Lead of {t}."),
            body: body.into(),
            ..Default::default()
        };
        let new = NewRelease {
            kind: "press-release".into(),
            lang: "en".into(),
            input: input(title),
        };
        let detail = self
            .db
            .store
            .create_release(&new, By::User(&self.people.author))
            .await
            .unwrap();
        let mut ids = vec![detail.translation.id];
        if let Some(ru) = russian {
            ids.push(
                self.db
                    .store
                    .add_translation(
                        detail.release.id,
                        "ru",
                        &input(ru),
                        By::User(&self.people.author),
                    )
                    .await
                    .unwrap()
                    .translation
                    .id,
            );
        }
        for id in ids {
            self.db
                .store
                .apply(id, None, &Action::Submit, By::User(&self.people.author), at)
                .await
                .unwrap();
            self.db
                .store
                .apply(
                    id,
                    None,
                    &Action::ApprovePublish { correction: None },
                    By::User(&self.people.editor),
                    at,
                )
                .await
                .unwrap();
        }
        detail.translation.id
    }
}

pub async fn body_text(response: Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

pub fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A real JPEG photo-like image of `width` × `height`.
#[allow(dead_code)]
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .unwrap();
    out
}
