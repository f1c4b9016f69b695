//! `pressroom import markdown` as an archivist runs it: the seed page (No:367/21, an answer to
//! a media question of 4 October 2021) as a Markdown file with a banner imports with its
//! number, date and headline, its old address answers 301, the next 2021 release is never
//! 367, a dry run and a refused folder write nothing, and a second run skips what the first
//! brought in.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::{Process, jpeg, listening_port, pressroom, write_test_key};

fn run(data: &Path, args: &[&str]) -> Output {
    pressroom(data, args).stdin(Stdio::null()).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A GET: the status, the `Location` header and the body.
fn get(port: u16, path: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let location = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .unwrap_or_default()
        .to_owned();
    (status, location, body.to_owned())
}

const SEED: &str = "+++
kind = \"press-release\"
lang = \"en\"
number = 367
date = 2021-10-04T13:30:00+04:00
title = \"Answer of the Press Service Department to the media question\"
slug = \"answer-to-the-media-question\"
topics = [\"Foreign policy\"]
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

#[test]
fn the_seed_page_imports_with_its_number_date_and_old_address() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("site");
    let archive = dir.path().join("archive");
    std::fs::create_dir_all(archive.join("images")).unwrap();
    std::fs::write(archive.join("367-21.en.md"), SEED).unwrap();
    std::fs::write(archive.join("367-21.ru.md"), SEED_RU).unwrap();
    std::fs::write(archive.join("images/367.jpg"), jpeg(1800, 900)).unwrap();
    let archive = archive.to_str().unwrap();

    write_test_key(&data);
    let init = run(&data, &["init", "--admin", "chief"]);
    assert!(init.status.success(), "{}", text(&init));

    // A dry run reports and writes nothing.
    let out = run(&data, &["import", "markdown", archive, "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    let report = text(&out);
    assert!(
        report.contains("would import 1 release(s) (2 translations)"),
        "{report}"
    );
    assert!(
        report.contains("creates the topic “Foreign policy”"),
        "{report}"
    );

    // A folder with a taken number and a broken file imports nothing.
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("a.md"),
        SEED.replace("number = 367", "number = 12"),
    )
    .unwrap();
    std::fs::write(
        bad.join("b.md"),
        SEED.replace("number = 367", "number = 12"),
    )
    .unwrap();
    let out = run(&data, &["import", "markdown", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = text(&out);
    assert!(report.contains("refused: b.md"), "{report}");
    assert!(report.contains("nothing was imported"), "{report}");
    std::fs::write(bad.join("c.md"), "+++\nlang = \"en\"\n").unwrap();
    let out = run(&data, &["import", "markdown", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("c.md: the front matter is not closed"),
        "{}",
        text(&out)
    );

    let out = run(&data, &["import", "markdown", archive]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("imported 1 release(s) (2 translations)"),
        "{}",
        text(&out)
    );
    let out = run(&data, &["import", "markdown", archive]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("imported 0 release(s) (0 translations); skipped 1"),
        "{}",
        text(&out)
    );
    let log = run(&data, &["log", "verify"]);
    assert!(log.status.success(), "{}", text(&log));

    let mut child = pressroom(&data, &["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let port = listening_port(&mut child);
    let _server = Process(child);
    let page = "/en/releases/2021/367-answer-to-the-media-question";
    let (status, _, html) = get(port, page);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("No:367/21"), "{html}");
    assert!(html.contains("Answer of the Press Service Department to the media question"));
    assert!(
        !html.contains("No:367/21, Answer"),
        "the headline is shown without the number"
    );
    assert!(
        html.contains("2021-10-04") || html.contains("4 October 2021"),
        "{html}"
    );
    assert!(
        html.contains("The Ministry of Foreign Affairs"),
        "the banner's alt text: {html}"
    );
    let (status, location, _) = get(port, "/en/news/no36721-answer-of-the-press-service/");
    assert_eq!((status, location.as_str()), (301, page));
    let (status, _, _) = get(port, "/en/news/never-was");
    assert_eq!(status, 404);
    let (status, _, html) = get(port, "/ru/releases/2021/367");
    assert!(
        status == 200 || status == 301 || status == 308,
        "{status} {html}"
    );
}

/// The export a real WordPress made (`tests/wordpress/make-fixture.sh`): every published post
/// keeps its title (without the number), number, date, topics and address; a damaged copy of
/// the same file imports nothing.
#[test]
fn a_wordpress_export_imports_with_its_numbers_and_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("site");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wordpress");
    let export = fixture.join("export.xml");
    let uploads = fixture.join("uploads");
    write_test_key(&data);
    assert!(run(&data, &["init", "--admin", "chief"]).status.success());

    // Damaged copies: cut in the middle, and broken markup. Nothing is imported.
    let xml = std::fs::read_to_string(&export).unwrap();
    let cut = dir.path().join("cut.xml");
    std::fs::write(&cut, &xml[..xml.len() / 2]).unwrap();
    let broken = dir.path().join("broken.xml");
    std::fs::write(&broken, xml.replacen("</title>", "</titel>", 3)).unwrap();
    for (file, says) in [(&cut, "line"), (&broken, "not valid XML at line")] {
        let out = run(&data, &["import", "wxr", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains(says), "{}", text(&out));
    }

    let args = [
        "import",
        "wxr",
        export.to_str().unwrap(),
        "--uploads",
        uploads.to_str().unwrap(),
        "--unnumbered-kind",
        "news",
        "--lang",
        "en",
    ];
    let out = run(&data, &args);
    assert!(out.status.success(), "{}", text(&out));
    let report = text(&out);
    assert!(report.contains("imported 6 release(s)"), "{report}");
    assert!(
        report.contains("1 unpublished post(s)"),
        "the draft: {report}"
    );
    let out = run(&data, &args);
    assert!(text(&out).contains("skipped 6"), "{}", text(&out));

    let mut child = pressroom(&data, &["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let port = listening_port(&mut child);
    let _server = Process(child);
    let (status, location, _) = get(
        port,
        "/2021/10/no367-21-answer-of-the-press-service-department-to-the-media-question/",
    );
    assert_eq!(status, 301);
    assert!(location.starts_with("/en/releases/2021/367-"), "{location}");
    let (status, _, html) = get(port, &location);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("No:367/21"), "{html}");
    assert!(
        html.contains(">Answer of the Press Service Department to the media question<"),
        "{html}"
    );
    assert!(
        html.contains("<picture"),
        "the featured image is the banner: {html}"
    );
    assert!(
        html.contains("The ministry building at dusk"),
        "with its alt text: {html}"
    );
    let (_, location, _) = get(port, "/2022/01/no400-21-statement-on-the-end-of-the-year");
    assert!(
        location.starts_with("/en/releases/2021/400-"),
        "No:400/21 keeps 2021: {location}"
    );
    let (_, location, _) = get(port, "/2021/11/press-conference-of-the-minister");
    let (status, _, html) = get(port, &location);
    assert_eq!(status, 200, "{location}");
    assert!(html.contains("Press conference of the Minister"), "{html}");
}
