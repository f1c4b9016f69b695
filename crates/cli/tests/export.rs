//! `pressroom export` as a site operator runs it: a site with releases in two years and two
//! languages, a topic, a page, a correction (so an earlier revision), a banner and an old
//! address is exported; every file is byte for byte what `pressroom serve` answers for its
//! address; every link in the exported pages leads to an exported file (or a written
//! redirect); a second export after a correction and a withdrawal rewrites only the files
//! whose bytes changed and deletes the page whose address went away; bad input is refused
//! with a message and changes nothing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::SystemTime;

use common::{Process, jpeg, listening_port, pressroom, write_test_key};
use jiff::Timestamp;
use pressroom_core::release::RevisionInput;
use pressroom_core::workflow::{Action, Correction};
use pressroom_store::By;
use pressroom_store::testing::{People, TestDb};

const BASE: &str = "https://press.example.org";

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The binary on the test's database.
fn run(data: &Path, db: &TestDb, args: &[&str]) -> Output {
    pressroom(data, args)
        .env("PRESSROOM_DATABASE_URL", &db.url)
        .env("PRESSROOM_BASE_URL", BASE)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const SEED: &str = "+++
kind = \"press-release\"
lang = \"en\"
number = 367
date = 2021-10-04T13:30:00+04:00
title = \"Answer of the Press Service Department to the media question\"
slug = \"answer-to-the-media-question\"
banner = \"images/367.jpg\"
banner_alt = \"The Ministry of Foreign Affairs\"
old_urls = [\"https://mfa.gov.az/en/news/no36721-answer-of-the-press-service/\"]
+++
**Question:** What is the Ministry's comment?

**Answer:** The Ministry answered the question of the media.
";

const SEED_RU: &str = "---
lang: ru
title: Ответ Управления пресс-службы на вопрос СМИ
date: 2021-10-04T13:30:00+04:00
banner_alt: Министерство иностранных дел
---
Министерство ответило на вопрос СМИ.
";

/// A site worth exporting: 23 English releases, one a month from January 2025 (two listing
/// pages), one of them also in Azerbaijani, every other one on the topic "water", a corrected one, a page,
/// an admin's redirect with a query, and an imported release with a banner, a Russian
/// translation and an old address. Gives the translation ids to correct and to withdraw.
async fn seed(db: &TestDb, people: &People, data: &Path, work: &Path) -> (i64, i64) {
    let store = &db.store;
    let water = store
        .create_topic(
            "water",
            &[("en".to_owned(), "Water".to_owned())].into(),
            By::User(&people.admin),
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..23 {
        let input = RevisionInput {
            title: format!("Statement number {i}"),
            lead: format!("Lead {i}."),
            body: format!("Body of statement {i}."),
            topic_ids: if i % 2 == 0 { vec![water.id] } else { vec![] },
            ..Default::default()
        };
        let draft = db.draft("press-release", "en", input, &people.author).await;
        let when = at(&format!("{}-{:02}-10T08:00:00Z", 2025 + i / 12, 1 + i % 12));
        db.submit_and_approve(draft.translation.id, people, when)
            .await;
        if i == 3 {
            let az = store
                .add_translation(
                    draft.release.id,
                    "az",
                    &RevisionInput {
                        title: "Bəyanat üç".into(),
                        body: "Mətn.".into(),
                        ..Default::default()
                    },
                    By::User(&people.author),
                )
                .await
                .unwrap();
            db.submit_and_approve(az.translation.id, people, when).await;
        }
        ids.push(draft.translation.id);
    }
    correct(db, people, ids[5], "Statement number 5, corrected", None).await;
    store
        .save_page(
            "privacy",
            "en",
            "Privacy",
            "We keep nothing.",
            By::User(&people.admin),
        )
        .await
        .unwrap();
    store
        .save_redirect("/news.php?id=5", "/en/", By::User(&people.admin))
        .await
        .unwrap();

    let archive = work.join("archive");
    std::fs::create_dir_all(archive.join("images")).unwrap();
    std::fs::write(archive.join("367-21.en.md"), SEED).unwrap();
    std::fs::write(archive.join("367-21.ru.md"), SEED_RU).unwrap();
    std::fs::write(archive.join("images/367.jpg"), jpeg(1800, 900)).unwrap();
    let out = run(data, db, &["import", "markdown", archive.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    (ids[7], ids[9])
}

/// Publishes a corrected text of translation `id` (a minor correction), with a new slug if
/// given.
async fn correct(db: &TestDb, people: &People, id: i64, title: &str, slug: Option<&str>) {
    let store = &db.store;
    let version = store.translation(id).await.unwrap().version;
    let fixed = RevisionInput {
        title: title.into(),
        body: "Corrected text.".into(),
        slug: slug.map(str::to_owned),
        ..Default::default()
    };
    store
        .save_revision(id, version, &fixed, By::User(&people.author))
        .await
        .unwrap();
    let when = Timestamp::now();
    store
        .apply(id, None, &Action::Submit, By::User(&people.author), when)
        .await
        .unwrap();
    let minor = Action::ApprovePublish {
        correction: Some(Correction::Minor),
    };
    store
        .apply(id, None, &minor, By::User(&people.editor), when)
        .await
        .unwrap();
}

/// The manifest's files: file → address (`None` for the hosting files it writes itself).
fn manifest(out: &Path) -> BTreeMap<String, Option<String>> {
    let text = std::fs::read(out.join(".pressroom/export.json")).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&text).unwrap();
    assert_eq!(json["complete"], true);
    json["files"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(file, e)| (file.clone(), e["url"].as_str().map(str::to_owned)))
        .collect()
}

/// Every file under `dir` outside `.pressroom/`, relative, with its modification time.
fn files_in(dir: &Path) -> BTreeMap<String, SystemTime> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, SystemTime>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            if rel == ".pressroom" {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
                out.insert(rel, modified);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Compares every exported file with the server's body for its address; gives the number.
async fn same_as_served(out: &Path, port: u16) -> usize {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let listed = manifest(out);
    let on_disk: BTreeSet<String> = files_in(out).into_keys().collect();
    let in_manifest: BTreeSet<String> = listed.keys().cloned().collect();
    assert_eq!(
        on_disk,
        in_manifest
            .iter()
            .filter(|f| !f.starts_with(".pressroom/"))
            .cloned()
            .collect(),
        "the folder holds exactly the manifest's files"
    );
    let mut compared = 0;
    for (file, url) in &listed {
        let Some(url) = url else { continue };
        let response = client
            .get(format!("http://127.0.0.1:{port}{url}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let served = response.bytes().await.unwrap();
        let written = std::fs::read(out.join(file)).unwrap();
        assert!(
            served.as_ref() == written.as_slice(),
            "{file} differs from what the server sends for {url}"
        );
        compared += 1;
    }
    compared
}

/// The addresses the exported pages link to (`href`, `src`, `srcset`), this site's only,
/// without fragments.
fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["href=\"", "src=\"", "srcset=\""] {
        for part in html.split(attr).skip(1) {
            let value = part.split('"').next().unwrap_or_default();
            let values: Vec<&str> = if attr == "srcset=\"" {
                value
                    .split(',')
                    .filter_map(|c| c.split_whitespace().next())
                    .collect()
            } else {
                vec![value]
            };
            for v in values {
                let v = v.replace("&amp;", "&");
                let local = match v.strip_prefix(BASE) {
                    Some(rest) => rest.to_owned(),
                    None if v.starts_with('/') && !v.starts_with("//") => v,
                    None => continue,
                };
                let local = local.split('#').next().unwrap_or_default().to_owned();
                if !local.is_empty() {
                    found.push(local);
                }
            }
        }
    }
    found
}

/// Every link of every exported HTML page leads to an exported file, as nginx's
/// `try_files $uri $uri.html $uri/index.html` finds it, or to a redirect in `_redirects`.
fn links_resolve(out: &Path) -> usize {
    let redirects: BTreeSet<String> = std::fs::read_to_string(out.join("_redirects"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(' ').next().map(str::to_owned))
        .collect();
    let files: BTreeSet<String> = files_in(out).into_keys().collect();
    let mut checked = 0;
    for file in files.iter().filter(|f| f.ends_with(".html")) {
        let html = std::fs::read_to_string(out.join(file)).unwrap();
        for link in links(&html) {
            assert!(
                !link.contains('?'),
                "{file} links {link}: a static host cannot answer a query"
            );
            let path = percent_decode(link.trim_start_matches('/'));
            let found = [
                path.clone(),
                format!("{path}.html"),
                format!("{path}index.html"),
                format!("{path}/index.html"),
            ]
            .iter()
            .any(|f| files.contains(f))
                || redirects.contains(&link);
            assert!(found, "{file} links {link}, which the export lacks");
            checked += 1;
        }
    }
    checked
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[tokio::test]
async fn an_export_is_the_site_as_served_and_follows_changes() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("site");
    std::fs::create_dir_all(&data).unwrap();
    write_test_key(&data);
    let db = TestDb::sqlite_in(&data).await;
    let people = db.people().await;
    let (to_correct, to_withdraw) = seed(&db, &people, &data, work.path()).await;
    let out = work.path().join("public");
    let out_arg = out.to_str().unwrap();

    let first = run(
        &data,
        &db,
        &["export", "--out", out_arg, "--base-url", BASE],
    );
    assert!(first.status.success(), "{}", text(&first));

    // The test writes to the database from its own process, which a server on SQLite hears
    // of only by polling: its page cache is off so that it always answers what is stored.
    let mut child = pressroom(&data, &["serve", "--listen", "127.0.0.1:0"])
        .env("PRESSROOM_DATABASE_URL", &db.url)
        .env("PRESSROOM_BASE_URL", BASE)
        .env("PRESSROOM_PAGE_CACHE_MB", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let port = listening_port(&mut child);
    let _server = Process(child);

    let compared = same_as_served(&out, port).await;
    let files = files_in(&out);
    for expected in [
        "az/index.html",
        "en/index.html",
        "ru/index.html",
        "en/releases/index.html",
        "en/releases/page/2/index.html",
        "en/releases/2025/index.html",
        "en/releases/2026/01/index.html",
        "en/topics/water/index.html",
        "en/topics/water/feed.atom",
        "en/feed.rss",
        "en/pages/privacy.html",
        "en/releases/2021/367-answer-to-the-media-question.html",
        "sitemap.xml",
        "sitemaps/releases-1.xml",
        "robots.txt",
        ".well-known/pressroom/keys.json",
        ".well-known/pressroom/log",
        "_redirects",
    ] {
        assert!(files.contains_key(expected), "{expected} is missing");
    }
    let of = |prefix: &str| files.keys().filter(|f| f.starts_with(prefix)).count();
    assert!(of("media/") >= 10, "the banner's variants are exported");
    assert!(of("assets/") == 2, "style and script");
    assert!(
        files.keys().any(|f| f.contains("/revisions/")),
        "the corrected release's first revision has its page"
    );
    assert!(
        of("api/v1/revisions/") >= 26,
        "every published revision's signed form"
    );
    assert!(compared > 100, "{compared} files compared");
    let redirects = std::fs::read_to_string(out.join("_redirects")).unwrap();
    assert!(
        redirects.contains(
            "/en/news/no36721-answer-of-the-press-service /en/releases/2021/367-answer-to-the-media-question 301"
        ),
        "{redirects}"
    );
    assert!(redirects.contains("/news.php id=5 /en/ 301"), "{redirects}");
    assert!(redirects.contains("/ /az/ 302"), "{redirects}");
    let map = std::fs::read_to_string(out.join(".pressroom/nginx-redirects.map")).unwrap();
    assert!(map.contains("\"/news.php?id=5\" \"/en/\";"), "{map}");
    assert!(links_resolve(&out) > 500);

    // Nothing changed: nothing is written, nothing asked for again but what is never kept.
    let again = run(
        &data,
        &db,
        &["export", "--out", out_arg, "--base-url", BASE],
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains(" 0 written"), "{}", text(&again));
    assert_eq!(files_in(&out), files, "no file was touched");

    // A correction that renames a page and a withdrawal: only the files whose bytes changed
    // are rewritten (pages of the two releases, English listings and feeds, the sitemap,
    // the log); the old address's files go; every other file keeps its time.
    correct(
        &db,
        &people,
        to_correct,
        "Statement number 7, renamed",
        Some("renamed-statement"),
    )
    .await;
    db.store
        .apply(
            to_withdraw,
            None,
            &Action::Withdraw {
                explanation: "Issued in error.".into(),
            },
            By::User(&people.editor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let incremental = run(
        &data,
        &db,
        &["export", "--out", out_arg, "--base-url", BASE],
    );
    assert!(incremental.status.success(), "{}", text(&incremental));
    let after = files_in(&out);
    let gone: Vec<&String> = files.keys().filter(|f| !after.contains_key(*f)).collect();
    assert!(
        !gone.is_empty() && gone.iter().all(|f| f.contains("statement-number-7")),
        "the old address's page went: {gone:?}"
    );
    assert!(
        after.keys().any(|f| f.contains("renamed-statement")),
        "the new address is written"
    );
    let rewritten: Vec<&String> = after
        .iter()
        .filter(|(f, t)| files.get(*f).is_some_and(|old| old != *t))
        .map(|(f, _)| f)
        .collect();
    for f in &rewritten {
        assert!(
            f.starts_with("en/") || f.starts_with("sitemap") || f.starts_with(".well-known/"),
            "{f} was rewritten though the changes do not touch it"
        );
    }
    assert!(
        !rewritten
            .iter()
            .any(|f| f.starts_with("ru/") || f.starts_with("media/")),
        "{rewritten:?}"
    );
    let untouched_release = files
        .keys()
        .find(|f| f.contains("statement-number-12"))
        .unwrap();
    assert_eq!(files[untouched_release], after[untouched_release]);
    let report = text(&incremental);
    eprintln!("first export: {}incremental: {report}", text(&first));
    let asked: usize = report
        .split(" unchanged, ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        asked * 2 < after.len(),
        "only the pages the changes touch were asked for again: {report}"
    );
    let withdrawn = std::fs::read_to_string(
        out.join(
            after
                .keys()
                .find(|f| f.contains("statement-number-9.html"))
                .unwrap(),
        ),
    )
    .unwrap();
    assert!(withdrawn.contains("Issued in error."));
    same_as_served(&out, port).await;
    assert!(links_resolve(&out) > 500);

    // An interrupted export (a file gone, a temporary file left) is repaired by a re-run.
    let victim = out.join("en/releases/index.html");
    std::fs::remove_file(&victim).unwrap();
    std::fs::write(out.join(".pressroom/tmp/part-x"), "half").unwrap_or_else(|_| {
        std::fs::create_dir_all(out.join(".pressroom/tmp")).unwrap();
        std::fs::write(out.join(".pressroom/tmp/part-x"), "half").unwrap();
    });
    let repair = run(
        &data,
        &db,
        &["export", "--out", out_arg, "--base-url", BASE],
    );
    assert!(repair.status.success(), "{}", text(&repair));
    assert!(victim.is_file());
    assert!(!out.join(".pressroom/tmp/part-x").exists());
    same_as_served(&out, port).await;
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("site");
    std::fs::create_dir_all(&data).unwrap();
    write_test_key(&data);
    let db = TestDb::sqlite_in(&data).await;
    let people = db.people().await;
    let draft = db
        .draft(
            "press-release",
            "en",
            pressroom_store::testing::sample_text("One"),
            &people.author,
        )
        .await;
    db.submit_and_approve(draft.translation.id, &people, Timestamp::now())
        .await;

    let refused = |args: &[&str], expected: &str| {
        let out = run(&data, &db, args);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(text(&out).contains(expected), "{args:?}: {}", text(&out));
    };
    let file = work.path().join("a-file");
    std::fs::write(&file, "mine").unwrap();
    refused(
        &["export", "--out", file.to_str().unwrap()],
        "is a file, not a folder",
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    let under_file = file.join("public");
    refused(
        &["export", "--out", under_file.to_str().unwrap()],
        "is a file, not a folder",
    );
    // Root may write anywhere on a disk; /proc takes no new files from anyone.
    refused(
        &["export", "--out", "/proc/pressroom-export"],
        "cannot write in /proc",
    );
    let new = work.path().join("new");
    for bad in ["ftp://press.example.org", "press.example.org", "https://"] {
        refused(
            &["export", "--out", new.to_str().unwrap(), "--base-url", bad],
            "is not an http(s) address",
        );
    }
    assert!(!new.exists(), "a refused export creates nothing");
    let foreign = work.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("index.html"), "someone else's").unwrap();
    refused(
        &["export", "--out", foreign.to_str().unwrap()],
        "holds no previous export",
    );
    assert_eq!(
        std::fs::read_dir(&foreign).unwrap().count(),
        1,
        "nothing was added"
    );
    let forced = run(
        &data,
        &db,
        &["export", "--out", foreign.to_str().unwrap(), "--force"],
    );
    assert!(forced.status.success(), "{}", text(&forced));
    assert!(foreign.join("en/index.html").is_file());
    assert_eq!(
        std::fs::read_to_string(foreign.join("index.html")).unwrap(),
        "someone else's",
        "a file the site does not have is left alone"
    );
    let _: PathBuf = foreign;
}
