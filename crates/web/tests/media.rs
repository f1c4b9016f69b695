//! Media on the public site: the banner as `<picture>` with a mobile crop, the Open Graph
//! image, attachments with type and size, `/media/…` files with immutable caching and the
//! right headers, and uploads that are refused without storing anything.

#[macro_use]
mod common;

use std::io::Cursor;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use axum::http::{StatusCode, header};
use bytes::Bytes;
use common::{Site, at, body_text};
use pressroom_core::media::{AltText, FocalPoint, RevisionMedia};
use pressroom_core::release::RevisionInput;
use pressroom_core::workflow::Action;
use pressroom_media::Storage;
use pressroom_media::storage::LocalFolder;
use pressroom_store::testing::TestDb;
use pressroom_store::{By, NewRelease};
use pressroom_web::{AppState, BannerUpload, UploadFailure, WebConfig, router};

struct MediaSite {
    site: Site,
    state: AppState,
    folder: Arc<LocalFolder>,
    _dir: tempfile::TempDir,
}

async fn media_site(db: TestDb) -> MediaSite {
    let people = db.people().await;
    let dir = tempfile::tempdir().unwrap();
    let folder = Arc::new(LocalFolder::new(&dir.path().join("media")));
    let config = WebConfig {
        base_url: "https://mfa.example.org".into(),
        theme_dir: None,
        cache_bytes: 8 << 20,
        ..Default::default()
    };
    let state = AppState::new(db.store.clone(), config, Some(folder.clone())).unwrap();
    MediaSite {
        site: Site {
            media: tempfile::tempdir().unwrap(),
            app: router(state.clone()),
            state: state.clone(),
            db,
            people,
        },
        state,
        folder,
        _dir: dir,
    }
}

fn photo(width: u32, height: u32) -> Bytes {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    Bytes::from(out.into_inner())
}

fn pdf() -> Bytes {
    Bytes::from_static(
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    )
}

fn alt(pairs: &[(&str, &str)]) -> AltText {
    pairs
        .iter()
        .map(|(l, t)| ((*l).to_owned(), (*t).to_owned()))
        .collect()
}

/// Publishes an English release showing a banner made from a 1800×1200 photo and one PDF.
async fn publish_with_media(m: &MediaSite) -> String {
    let p = &m.site.people;
    let store = &m.site.db.store;
    let new = NewRelease {
        kind: "press-release".into(),
        lang: "en".into(),
        input: RevisionInput {
            title: "Harbour reopens".into(),
            lead: "The harbour is open again.".into(),
            body: "Ships may enter from today.".into(),
            ..Default::default()
        },
    };
    let detail = store
        .create_release(&new, By::User(&p.author))
        .await
        .unwrap();
    let banner = m
        .state
        .upload_banner(
            BannerUpload::Single {
                image: photo(1800, 1200),
                focal: FocalPoint::new(400, 500).unwrap(),
            },
            Some(detail.release.id),
            alt(&[("en", "Cranes at the harbour at dawn")]),
            By::User(&p.author),
        )
        .await
        .unwrap();
    let report = m
        .state
        .upload_attachment(
            pdf(),
            "Harbour report.pdf",
            Some(detail.release.id),
            By::User(&p.author),
        )
        .await
        .unwrap();
    store
        .attach_media(
            detail.head.id,
            &RevisionMedia {
                banner: Some(banner.id),
                attachments: vec![report.id],
            },
            By::User(&p.author),
        )
        .await
        .unwrap();
    let when = at("2026-03-02T09:00:00Z");
    let t = detail.translation.id;
    store
        .apply(t, None, &Action::Submit, By::User(&p.author), when)
        .await
        .unwrap();
    store
        .apply(
            t,
            None,
            &Action::ApprovePublish { correction: None },
            By::User(&p.editor),
            when,
        )
        .await
        .unwrap();
    let listing = m.site.page("/en/releases/").await;
    // The release's own link, not the year archive's.
    let prefix = "/en/releases/2026/";
    let (start, _) = listing
        .match_indices(prefix)
        .find(|(i, _)| listing[i + prefix.len()..].starts_with(|c: char| c.is_ascii_digit()))
        .unwrap();
    let end = start + listing[start..].find('"').unwrap();
    listing[start..end].to_owned()
}

fn attribute<'a>(html: &'a str, tag_start: &str, name: &str) -> Vec<&'a str> {
    html.match_indices(tag_start)
        .filter_map(|(i, _)| {
            let tag = &html[i..i + html[i..].find('>')?];
            let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
            Some(&tag[at..at + tag[at..].find('"')?])
        })
        .collect()
}

async fn the_banner_is_a_picture_with_a_mobile_crop_and_nothing_shifts(db: TestDb) {
    let m = media_site(db).await;
    let path = publish_with_media(&m).await;
    let html = m.site.page(&path).await;
    assert!(html.contains("<picture class=\"banner\">"), "{html}");
    let medias = attribute(&html, "<source", "media");
    assert_eq!(medias, vec!["(max-width: 640px)", "(max-width: 640px)"]);
    let types = attribute(&html, "<source", "type");
    assert_eq!(types, vec!["image/webp", "image/jpeg", "image/webp"]);
    // The 1800×1200 photo: desktop up to 1600 wide (never upscaled), mobile 4:5 up to 768.
    let srcsets = attribute(&html, "<source", "srcset");
    assert!(
        srcsets[0].contains("mobile-768.webp 768w") && srcsets[0].contains("mobile-480.webp 480w")
    );
    assert!(srcsets[2].contains("desktop-1600.webp 1600w") && !srcsets[2].contains("2560w"));
    assert_eq!(
        attribute(&html, "<source", "width"),
        vec!["768", "768", "1600"]
    );
    assert_eq!(
        attribute(&html, "<source", "height"),
        vec!["960", "960", "533"]
    );
    assert_eq!(attribute(&html, "<img", "width"), vec!["1600"]);
    assert_eq!(attribute(&html, "<img", "height"), vec!["533"]);
    assert_eq!(
        attribute(&html, "<img", "alt"),
        vec!["Cranes at the harbour at dawn"]
    );
    assert!(attribute(&html, "<img", "src")[0].ends_with("/desktop-1200.jpg"));
    assert!(attribute(&html, "<img", "sizes")[0].contains("44rem"));

    // Open Graph: the 1200×630 crop, absolute, with a large card.
    let og: Vec<&str> = attribute(&html, "<meta property=\"og:image", "content");
    assert!(
        og[0].starts_with("https://mfa.example.org/media/") && og[0].ends_with("/og-1200.jpg"),
        "{og:?}"
    );
    assert_eq!(&og[2..4], &["1200", "630"]);
    assert!(html.contains("content=\"summary_large_image\""));

    // The attachment is listed with its type and size.
    assert!(
        html.contains(">Harbour report.pdf</a> <span class=\"file-meta\">(PDF, 1 KB)</span>"),
        "{html}"
    );

    // Every file the page names is served, immutable, with its type.
    let mut urls: Vec<String> = srcsets
        .iter()
        .chain(attribute(&html, "<img", "srcset").iter())
        .flat_map(|s| {
            s.split(", ")
                .map(|c| c.split(' ').next().unwrap().to_owned())
        })
        .collect();
    urls.push(
        og[0]
            .trim_start_matches("https://mfa.example.org")
            .to_owned(),
    );
    assert_eq!(urls.len(), 2 * 2 + 4 * 2 + 1);
    for url in &urls {
        let response = m.site.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let h = response.headers();
        let expected = if url.ends_with(".webp") {
            "image/webp"
        } else {
            "image/jpeg"
        };
        assert_eq!(h[header::CONTENT_TYPE], expected, "{url}");
        assert_eq!(
            h[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(h.get(header::CONTENT_DISPOSITION).is_none());
        let bytes = axum::body::to_bytes(response.into_body(), 10 << 20)
            .await
            .unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        let width: u32 = url
            .rsplit('-')
            .next()
            .unwrap()
            .split('.')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(decoded.width(), width, "{url}");
    }

    let link = html.split("<section class=\"attachments\"").nth(1).unwrap();
    let href = &link[link.find("href=\"").unwrap() + 6..];
    let href = &href[..href.find('"').unwrap()];
    let response = m.site.get(href).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(
        response.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"harbour-report.pdf\""
    );
    assert_eq!(body_text(response).await.as_bytes(), &pdf()[..]);
}

async fn refused_uploads_store_nothing(db: TestDb) {
    let m = media_site(db).await;
    let by = By::User(&m.site.people.author);
    let single = |image: Bytes| BannerUpload::Single {
        image,
        focal: FocalPoint::CENTRE,
    };
    // A pixel bomb: a small JPEG whose frame header claims 60000×60000 pixels.
    let mut bomb = photo(400, 300).to_vec();
    let sof = bomb.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    bomb[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let photo_bytes = photo(800, 600);
    for (upload, needle) in [
        (single(pdf()), "PDF document"),
        (single(Bytes::from(bomb)), "megapixels"),
        (
            single(photo_bytes.slice(..photo_bytes.len() / 2)),
            "incomplete",
        ),
        (single(Bytes::from_static(b"<svg onload=alert(1)>")), "SVG"),
        (
            BannerUpload::Pair {
                desktop: photo(1200, 400),
                mobile: Bytes::from_static(b""),
            },
            "empty",
        ),
    ] {
        match m
            .state
            .upload_banner(upload, None, AltText::new(), by)
            .await
        {
            Err(UploadFailure::Invalid(i)) => {
                assert!(i.to_string().contains(needle), "{i}");
                assert!(i.errors.iter().all(|e| e.field.ends_with("image")), "{i}");
            }
            other => panic!("expected a field error about {needle}, got {other:?}"),
        }
    }
    let long_alt = alt(&[("en", &"x".repeat(400))]);
    let refused = m
        .state
        .upload_banner(single(photo(800, 600)), None, long_alt, by)
        .await;
    assert!(matches!(refused, Err(UploadFailure::Invalid(i)) if i.message_for("alt.en").is_some()));
    match m
        .state
        .upload_attachment(photo(800, 600), "photo.pdf", None, by)
        .await
    {
        Err(UploadFailure::Invalid(i)) => {
            assert!(i.message_for("file").unwrap().contains("JPEG image"))
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    assert!(
        m.folder.list().await.unwrap().is_empty(),
        "no file was stored"
    );
    assert!(
        m.site.db.store.media_keys().await.unwrap().is_empty(),
        "no row was recorded"
    );

    let bare = AppState::new(m.site.db.store.clone(), WebConfig::default(), None).unwrap();
    let failure = bare
        .upload_attachment(pdf(), "a.pdf", None, by)
        .await
        .unwrap_err();
    assert!(matches!(failure, UploadFailure::NoStorage) && !failure.is_user_error());
}

async fn media_addresses_that_name_no_file_are_404(db: TestDb) {
    let m = media_site(db).await;
    for uri in [
        "/media/",
        "/media/abc/def.webp",
        "/media/0123456789abcdef0123456789abcdef/missing.webp",
        "/media/0123456789abcdef0123456789abcdef/x.svg",
        "/media/0123456789ABCDEF0123456789ABCDEF/x.jpg",
        "/media/0123456789abcdef0123456789abcdef/..%2F..%2Fpressroom.db",
        "/media/../pressroom.db",
    ] {
        let status = m.site.get(uri).await.status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
}

async fn a_release_page_with_media_is_valid_html(db: TestDb) {
    let m = media_site(db).await;
    let path = publish_with_media(&m).await;
    let html = m.site.page(&path).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("release.html");
    std::fs::write(&file, &html).unwrap();
    let jar = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../node_modules/vnu-jar/build/dist/vnu.jar");
    if !jar.is_file() || Command::new("java").arg("-version").output().is_err() {
        assert!(
            std::env::var("PRESSROOM_REQUIRE_TOOLS").is_err(),
            "PRESSROOM_REQUIRE_TOOLS is set but the Nu HTML Checker is missing"
        );
        eprintln!("skipping: the Nu HTML Checker (java and `npm ci` for vnu-jar) is not installed");
        return;
    }
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "text"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the Nu HTML Checker found errors:\n{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

pressroom_store::backends!(
    the_banner_is_a_picture_with_a_mobile_crop_and_nothing_shifts,
    refused_uploads_store_nothing,
    media_addresses_that_name_no_file_are_404,
    a_release_page_with_media_is_valid_html,
    a_failed_upload_leaves_no_rows_or_files,
);

/// Storage that stores the first `fail_after` files it is given and then fails, or that, on
/// its first write, saves another revision of a translation (another editor saving while the
/// upload is being stored), so recording the upload meets a stale version.
#[derive(Debug)]
struct Faulty {
    inner: Arc<LocalFolder>,
    fail_after: usize,
    puts: std::sync::atomic::AtomicUsize,
    race: Option<(pressroom_store::Store, i64, pressroom_core::user::User)>,
}

impl Storage for Faulty {
    fn put<'a>(
        &'a self,
        key: &'a pressroom_media::MediaKey,
        bytes: Bytes,
    ) -> futures_util::future::BoxFuture<'a, Result<(), pressroom_media::StorageError>> {
        Box::pin(async move {
            let n = self.puts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if n == 0
                && let Some((store, id, user)) = &self.race
            {
                let detail = store.translation_detail(*id).await.unwrap();
                let input = RevisionInput::from_revision(&detail.head, &detail.translation.slug);
                store
                    .save_revision(*id, detail.translation.version, &input, By::User(user))
                    .await
                    .unwrap();
            }
            if n >= self.fail_after {
                return Err(pressroom_media::StorageError::new("faulty", "disk full"));
            }
            self.inner.put(key, bytes).await
        })
    }
    fn get<'a>(
        &'a self,
        key: &'a pressroom_media::MediaKey,
    ) -> futures_util::future::BoxFuture<'a, Result<Option<Bytes>, pressroom_media::StorageError>>
    {
        self.inner.get(key)
    }
    fn exists<'a>(
        &'a self,
        key: &'a pressroom_media::MediaKey,
    ) -> futures_util::future::BoxFuture<'a, Result<bool, pressroom_media::StorageError>> {
        self.inner.exists(key)
    }
    fn delete<'a>(
        &'a self,
        key: &'a pressroom_media::MediaKey,
    ) -> futures_util::future::BoxFuture<'a, Result<(), pressroom_media::StorageError>> {
        self.inner.delete(key)
    }
    fn list(
        &self,
    ) -> futures_util::future::BoxFuture<
        '_,
        Result<Vec<pressroom_media::storage::StoredObject>, pressroom_media::StorageError>,
    > {
        self.inner.list()
    }
    fn describe(&self) -> String {
        "faulty".to_owned()
    }
}

/// A banner or attachment upload that fails half-way — the storage failing between files, or
/// the translation changing before the rows are written — leaves no rows, no revision and no
/// files behind.
async fn a_failed_upload_leaves_no_rows_or_files(db: TestDb) {
    let people = db.people().await;
    let store = db.store.clone();
    let detail = store
        .create_release(
            &NewRelease {
                kind: "press-release".into(),
                lang: "en".into(),
                input: RevisionInput {
                    title: "Harbour reopens".into(),
                    body: "Ships may enter from today.".into(),
                    ..Default::default()
                },
            },
            By::User(&people.author),
        )
        .await
        .unwrap();
    let id = detail.translation.id;
    let dir = tempfile::tempdir().unwrap();
    let folder = Arc::new(LocalFolder::new(&dir.path().join("media")));
    let by = By::User(&people.author);
    // A storage failing after three files, and storage that works while the translation
    // changes under the upload; each for a banner and for an attachment.
    for (fail_after, races) in [(3, false), (0, false), (usize::MAX, true)] {
        for attachment in [false, true] {
            if attachment && fail_after == 3 {
                continue; // An attachment is one file.
            }
            let faulty = Arc::new(Faulty {
                inner: folder.clone(),
                fail_after,
                puts: Default::default(),
                race: races.then(|| (store.clone(), id, people.editor.clone())),
            });
            let state = AppState::new(store.clone(), WebConfig::default(), Some(faulty)).unwrap();
            let version = store.translation(id).await.unwrap().version;
            let result = if attachment {
                state.add_attachment(id, version, pdf(), "a.pdf", by).await
            } else {
                let upload = BannerUpload::Single {
                    image: photo(1600, 1000),
                    focal: FocalPoint::new(500, 500).unwrap(),
                };
                state.set_banner(id, version, upload, "Harbour", by).await
            };
            let what = format!("fail after {fail_after}, race {races}, attachment {attachment}");
            match (&result, races) {
                (Err(UploadFailure::Store(pressroom_store::StoreError::Conflict { .. })), true)
                | (Err(UploadFailure::Storage(_)), false) => {}
                other => panic!("{what}: unexpected {other:?}"),
            }
            assert!(
                store.media_keys().await.unwrap().is_empty(),
                "{what}: no media row was recorded"
            );
            let head = store.translation(id).await.unwrap().head_revision_id;
            let shown = store.revision_media(head).await.unwrap();
            assert!(
                shown.banner.is_none() && shown.attachments.is_empty(),
                "{what}: no revision shows the failed upload"
            );
            assert!(
                folder.list().await.unwrap().is_empty(),
                "{what}: the files this upload stored were deleted"
            );
        }
    }
}
