//! What machines and tools see: feeds, sitemap, structured data, caching headers and cache
//! invalidation, validity under the Nu HTML Checker, feeds under feedparser.
//!
//! The external checkers (Java + `vnu-jar` from `npm ci`, Python + `feedparser`) run when
//! present; with `PRESSROOM_REQUIRE_TOOLS=1` (as CI sets it) their absence fails the test.

#[macro_use]
mod common;

use std::path::PathBuf;
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Site, at, body_text, site, site_with};
use pressroom_core::language::Language;
use pressroom_core::release::RevisionInput;
use pressroom_core::workflow::{Action, Correction};
use pressroom_store::testing::TestDb;
use pressroom_store::{By, NewRelease};
use tower::ServiceExt;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tool_missing(what: &str) {
    assert!(
        std::env::var("PRESSROOM_REQUIRE_TOOLS").is_err(),
        "PRESSROOM_REQUIRE_TOOLS is set but {what} is missing"
    );
    eprintln!("skipping: {what} is not installed");
}

/// A site with one release of every shape a reader can meet.
async fn rich_site(db: TestDb) -> Site {
    let site = site(db).await;
    let store = &site.db.store;
    let topic = store
        .create_topic(
            "water",
            &[
                ("en".to_owned(), "Water".to_owned()),
                ("ru".to_owned(), "Вода".to_owned()),
            ]
            .into(),
            By::Cli,
        )
        .await
        .unwrap();
    let speaker = store
        .create_spokesperson(
            "spokesperson",
            &[("en".to_owned(), "Aytan Soltanli".to_owned())].into(),
            &[("en".to_owned(), "Spokesperson".to_owned())].into(),
            By::Cli,
        )
        .await
        .unwrap();
    store
        .save_page(
            "privacy",
            "en",
            "Privacy policy",
            "We keep **no** trackers.",
            By::Cli,
        )
        .await
        .unwrap();
    let (author, editor) = (&site.people.author, &site.people.editor);
    let answer = NewRelease {
        kind: "answer".into(),
        lang: "en".into(),
        input: RevisionInput {
            title: "Answer on the dam".into(),
            lead: "When will the dam reopen?".into(),
            body: ":::question\n**Daily:** When?\n:::\n:::answer\nIn spring.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n:::\n".into(),
            spokesperson_id: Some(speaker.id),
            topic_ids: vec![topic.id],
            slug: None,
        },
    };
    let t = store
        .create_release(&answer, By::User(author))
        .await
        .unwrap()
        .translation
        .id;
    let when = at("2026-03-10T08:00:00Z");
    store
        .apply(t, None, &Action::Submit, By::User(author), when)
        .await
        .unwrap();
    store
        .apply(
            t,
            None,
            &Action::ApprovePublish { correction: None },
            By::User(editor),
            when,
        )
        .await
        .unwrap();
    let corrected = site
        .publish(
            "Hearing on 14 April",
            "# Details\n\nSee [the plan](https://example.org/plan).",
            at("2026-03-11T08:00:00Z"),
            Some("Слушания 14 апреля"),
        )
        .await;
    let version = store.translation(corrected).await.unwrap().version;
    let fixed = RevisionInput {
        title: "Hearing on 16 April".into(),
        body: "Fixed.".into(),
        slug: Some("hearing-on-14-april".into()),
        ..Default::default()
    };
    store
        .save_revision(corrected, version, &fixed, By::User(author))
        .await
        .unwrap();
    let later = at("2026-03-12T08:00:00Z");
    store
        .apply(corrected, None, &Action::Submit, By::User(author), later)
        .await
        .unwrap();
    let note = Correction::Major {
        note: "Corrected the date".into(),
    };
    store
        .apply(
            corrected,
            None,
            &Action::ApprovePublish {
                correction: Some(note),
            },
            By::User(editor),
            later,
        )
        .await
        .unwrap();
    let withdrawn = site
        .publish(
            "Issued in error",
            "Text & more <b>bold</b>.",
            at("2026-04-01T08:00:00Z"),
            None,
        )
        .await;
    store
        .apply(
            withdrawn,
            None,
            &Action::Withdraw {
                explanation: "Published by mistake.".into(),
            },
            By::User(editor),
            at("2026-04-02T08:00:00Z"),
        )
        .await
        .unwrap();
    site
}

const PAGE_TYPES: &[&str] = &[
    "/en/",
    "/en/releases/",
    "/en/releases/?kind=answer&topic=water",
    "/en/releases/2026/",
    "/en/releases/2026/03/",
    "/en/topics/water/",
    "/en/releases/2026/1-answer-on-the-dam",
    "/en/releases/2026/2-hearing-on-14-april",
    "/en/releases/2026/2-hearing-on-14-april/revisions/2",
    "/en/releases/2026/3-issued-in-error",
    "/ru/releases/2026/2-slushaniya-14-aprelya",
    "/en/pages/privacy",
    "/ru/",
    "/az/",
];

async fn every_page_type_is_valid_html(db: TestDb) {
    let site = rich_site(db).await;
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, uri) in PAGE_TYPES
        .iter()
        .chain(["/en/no-such-page", "/xx/"].iter())
        .enumerate()
    {
        let response = site.get(uri).await;
        let html = body_text(response).await;
        assert!(html.starts_with("<!DOCTYPE html>"), "{uri}");
        let path = dir.path().join(format!("page{i}.html"));
        std::fs::write(&path, &html).unwrap();
        files.push((uri, path));
    }
    let jar = workspace_root().join("node_modules/vnu-jar/build/dist/vnu.jar");
    if !jar.is_file() || Command::new("java").arg("-version").output().is_err() {
        return tool_missing("the Nu HTML Checker (java and `npm ci` for vnu-jar)");
    }
    let out = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .args(["--errors-only", "--format", "text"])
        .args(files.iter().map(|(_, p)| p))
        .output()
        .unwrap();
    let report =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let mut named = report.clone();
    for (uri, path) in &files {
        named = named.replace(&format!("file:{}", path.display()), uri);
    }
    assert!(
        out.status.success(),
        "the Nu HTML Checker found errors:\n{named}"
    );
}

async fn feeds_are_well_formed_and_filtered(db: TestDb) {
    let site = rich_site(db).await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = Vec::new();
    for (uri, content_type, expected) in [
        ("/en/feed.atom", "application/atom+xml", 3),
        ("/en/feed.rss", "application/rss+xml", 3),
        ("/en/feed.json", "application/feed+json", 3),
        ("/en/feed.atom?kind=answer", "application/atom+xml", 1),
        ("/en/topics/water/feed.rss", "application/rss+xml", 1),
        ("/ru/feed.atom", "application/atom+xml", 1),
    ] {
        let response = site.get(uri).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{uri}"
        );
        let body = body_text(response).await;
        if uri.contains(".json") {
            let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(doc["version"], "https://jsonfeed.org/version/1.1");
            assert_eq!(doc["items"].as_array().unwrap().len(), expected, "{uri}");
            assert!(
                doc["items"][0]["url"]
                    .as_str()
                    .unwrap()
                    .starts_with("https://mfa.example.org/en/releases/2026/")
            );
        }
        if !uri.contains(".json") {
            let path = dir.path().join(format!("feed{}.xml", args.len()));
            std::fs::write(&path, &body).unwrap();
            args.push(path.display().to_string());
            args.push(expected.to_string());
        }
    }
    assert_eq!(
        site.get("/en/feed.atom?kind=rumour").await.status(),
        StatusCode::NOT_FOUND
    );
    let has_feedparser = Command::new("python3")
        .args(["-c", "import feedparser"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_feedparser {
        return tool_missing("Python's feedparser (pip install feedparser)");
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/check_feeds.py");
    let out = Command::new("python3")
        .arg(script)
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "feedparser:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn sitemap_robots_and_structured_data(db: TestDb) {
    let site = rich_site(db).await;
    // The sitemap is an index of bounded children: the site's pages, and releases by id.
    let index = site.page("/sitemap.xml").await;
    assert!(index.contains("<sitemapindex"), "{index}");
    assert!(
        index.contains("<loc>https://mfa.example.org/sitemaps/pages.xml</loc>"),
        "{index}"
    );
    assert!(
        index.contains("<loc>https://mfa.example.org/sitemaps/releases-1.xml</loc><lastmod>"),
        "{index}"
    );
    assert!(!index.contains("releases-2.xml"), "{index}");
    let sitemap = site.page("/sitemaps/releases-1.xml").await;
    assert!(
        sitemap
            .contains("<loc>https://mfa.example.org/en/releases/2026/2-hearing-on-14-april</loc>")
    );
    assert!(sitemap.contains("<xhtml:link rel=\"alternate\" hreflang=\"ru\" href=\"https://mfa.example.org/ru/releases/2026/2-slushaniya-14-aprelya\"/>"), "{sitemap}");
    let pages = site.page("/sitemaps/pages.xml").await;
    assert!(
        pages.contains("https://mfa.example.org/en/pages/privacy"),
        "{pages}"
    );
    assert!(
        pages.contains("<loc>https://mfa.example.org/az/</loc>"),
        "{pages}"
    );
    for missing in [
        "/sitemaps/releases-2.xml",
        "/sitemaps/releases-0.xml",
        "/sitemaps/x.xml",
    ] {
        assert_eq!(
            site.get(missing).await.status(),
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    let robots = site.page("/robots.txt").await;
    assert!(robots.contains("Sitemap: https://mfa.example.org/sitemap.xml"));
    let html = site.page("/en/releases/2026/2-hearing-on-14-april").await;
    let json = html
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let ld: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(ld["@type"], "NewsArticle");
    assert_eq!(ld["headline"], "Hearing on 16 April");
    assert_eq!(ld["identifier"], "No:2/26");
    for tag in [
        "og:title\" content=\"Hearing on 16 April\"",
        "twitter:card",
        "hreflang=\"ru\"",
        "rel=\"canonical\"",
    ] {
        assert!(html.contains(tag), "{tag}");
    }
    let old = site
        .page("/en/releases/2026/2-hearing-on-14-april/revisions/2")
        .await;
    // The query form of old links leads to the path form, which a static export can hold.
    let moved = site
        .get("/en/releases/2026/2-hearing-on-14-april?revision=2")
        .await;
    assert_eq!(moved.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        moved.headers()[header::LOCATION],
        "/en/releases/2026/2-hearing-on-14-april/revisions/2"
    );
    assert!(
        old.contains("Hearing on 14 April")
            && old.contains("earlier version")
            && old.contains("noindex")
    );
    assert_eq!(
        site.get("/en/releases/2026/2-hearing-on-14-april?revision=999")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn cached_pages_revalidate_and_compress(db: TestDb) {
    let site = rich_site(db).await;
    let first = site.get("/en/releases/").await;
    let etag = first.headers()[header::ETAG].clone();
    assert!(first.headers().contains_key(header::LAST_MODIFIED));
    let body = body_text(first).await;
    let again = site
        .app
        .clone()
        .oneshot(
            Request::get("/en/releases/")
                .header(header::IF_NONE_MATCH, etag.clone())
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    for (coding, decode) in [
        ("br", decode_brotli as fn(&[u8]) -> String),
        ("gzip", decode_gzip),
    ] {
        let response = site
            .app
            .clone()
            .oneshot(
                Request::get("/en/releases/")
                    .header(header::ACCEPT_ENCODING, coding)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.headers()[header::CONTENT_ENCODING], coding);
        assert_eq!(response.headers()[header::VARY], "Accept-Encoding");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .unwrap();
        assert!(bytes.len() < body.len() / 2, "{coding} compresses");
        assert_eq!(decode(&bytes), body);
    }
}

fn decode_gzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn decode_brotli(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Warms the cache with every affected page, changes something, and fetches them again.
async fn publishing_invalidates_exactly_what_it_changes(db: TestDb) {
    let site = rich_site(db).await;
    let affected = [
        "/en/",
        "/en/releases/",
        "/en/releases/2026/",
        "/en/releases/2026/05/",
        "/en/topics/water/",
        "/en/feed.atom",
        "/en/feed.rss",
        "/en/feed.json",
        "/sitemaps/releases-1.xml",
    ];
    let untouched = "/en/releases/2026/1-answer-on-the-dam";
    for uri in affected.iter().chain([&untouched]) {
        let _ = site.get(uri).await;
    }
    let untouched_etag = site.get(untouched).await.headers()[header::ETAG].clone();
    let store = &site.db.store;
    let water = store.list_topics().await.unwrap()[0].id;
    let new = NewRelease {
        kind: "press-release".into(),
        lang: "en".into(),
        input: RevisionInput {
            title: "Fresh news on water".into(),
            body: "Body.".into(),
            topic_ids: vec![water],
            ..Default::default()
        },
    };
    let t = store
        .create_release(&new, By::User(&site.people.author))
        .await
        .unwrap()
        .translation
        .id;
    let when = at("2026-05-05T08:00:00Z");
    store
        .apply(
            t,
            None,
            &Action::Submit,
            By::User(&site.people.author),
            when,
        )
        .await
        .unwrap();
    store
        .apply(
            t,
            None,
            &Action::ApprovePublish { correction: None },
            By::User(&site.people.editor),
            when,
        )
        .await
        .unwrap();
    for uri in affected {
        let body = site.page(uri).await;
        let expected = if uri.starts_with("/sitemaps/") {
            "/en/releases/2026/4-fresh-news-on-water"
        } else {
            "Fresh news on water"
        };
        assert!(body.contains(expected), "{uri} is stale after publishing");
    }
    assert_eq!(
        site.get(untouched).await.headers()[header::ETAG],
        untouched_etag,
        "an unrelated release page stays cached"
    );

    // A translation in another language changes the other languages' pages of that release.
    let ru = store
        .add_translation(
            store.translation(t).await.unwrap().release_id,
            "ru",
            &RevisionInput {
                title: "Свежие новости".into(),
                body: "Текст.".into(),
                ..Default::default()
            },
            By::User(&site.people.author),
        )
        .await
        .unwrap();
    let en_page = "/en/releases/2026/4-fresh-news-on-water";
    assert!(!site.page(en_page).await.contains("Русский</a>\n"));
    store
        .apply(
            ru.translation.id,
            None,
            &Action::Submit,
            By::User(&site.people.author),
            when,
        )
        .await
        .unwrap();
    store
        .apply(
            ru.translation.id,
            None,
            &Action::ApprovePublish { correction: None },
            By::User(&site.people.editor),
            when,
        )
        .await
        .unwrap();
    assert!(
        site.page(en_page)
            .await
            .contains("hreflang=\"ru\" lang=\"ru\">Русский</a>")
    );
    assert!(site.page("/ru/").await.contains("Свежие новости"));
    assert!(
        site.page("/sitemaps/releases-1.xml")
            .await
            .contains("/ru/releases/2026/4-svezhie-novosti")
    );

    // Settings change every page.
    let mut settings = store.site_settings().await.unwrap();
    settings
        .rights_notice
        .insert("en".into(), "Crown copyright, reuse freely.".into());
    store
        .save_site_settings(&settings, By::User(&site.people.admin))
        .await
        .unwrap();
    assert!(
        site.page(untouched)
            .await
            .contains("Crown copyright, reuse freely.")
    );
}

async fn interface_speaks_the_page_language_and_rtl_is_supported(db: TestDb) {
    let site = rich_site(db).await;
    let mut settings = site.db.store.site_settings().await.unwrap();
    settings.languages.push(Language::from_code("fa").unwrap());
    site.db
        .store
        .save_site_settings(&settings, By::User(&site.people.admin))
        .await
        .unwrap();
    let ru = site.page("/ru/releases/2026/2-slushaniya-14-aprelya").await;
    assert!(
        ru.contains("Поделиться") && ru.contains("11 марта 2026"),
        "{ru}"
    );
    let fa = site.page("/fa/").await;
    assert!(fa.contains("<html lang=\"fa\" dir=\"rtl\">"), "{fa}");
    assert!(site.page("/en/").await.contains("lang=\"fa\">فارسی</a>"));
}

async fn a_theme_folder_overrides_templates_and_assets(db: TestDb) {
    let theme = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(theme.path().join("templates")).unwrap();
    std::fs::create_dir_all(theme.path().join("assets")).unwrap();
    std::fs::write(
        theme.path().join("templates/home.html"),
        "{% extends \"base.html\" %}{% block main %}<p>Ministry theme</p>{% endblock %}",
    )
    .unwrap();
    std::fs::write(
        theme.path().join("assets/style.css"),
        "body { color: #123456; }",
    )
    .unwrap();
    let site = site_with(db, Some(theme.path().to_path_buf())).await;
    let home = site.page("/en/").await;
    assert!(home.contains("<p>Ministry theme</p>"));
    let css = home
        .split("href=\"/assets/style.")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(
        body_text(site.get(&format!("/assets/style.{css}")).await).await,
        "body { color: #123456; }"
    );
    assert!(
        site.page("/en/releases/").await.contains("<h1>"),
        "templates the theme lacks come from the default"
    );
}

pressroom_store::backends!(
    every_page_type_is_valid_html,
    feeds_are_well_formed_and_filtered,
    sitemap_robots_and_structured_data,
    cached_pages_revalidate_and_compress,
    publishing_invalidates_exactly_what_it_changes,
    interface_speaks_the_page_language_and_rtl_is_supported,
    a_theme_folder_overrides_templates_and_assets,
);
