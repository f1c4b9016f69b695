//! The reader against the export WordPress itself wrote (`tests/wordpress/make-fixture.sh`)
//! and against small hand-written exports for what that site does not have.

use super::scan::php_string_int_map;
use super::*;
use jiff::Timestamp;
use std::io::Write;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wordpress")
}

fn options(uploads: Option<PathBuf>) -> WxrOptions {
    WxrOptions {
        lang: "en".into(),
        kind: "press-release".into(),
        pattern: NumberPattern::default(),
        uploads,
    }
}

fn read_all(path: &Path, uploads: Option<PathBuf>) -> (usize, WxrCounts, Vec<WxrRead>) {
    let wxr = open(path, options(uploads)).unwrap();
    let (len, counts) = (wxr.len(), wxr.counts().clone());
    let reads = wxr.map(Result::unwrap).collect();
    (len, counts, reads)
}

fn by_title<'a>(reads: &'a [WxrRead], title: &str) -> &'a WxrRead {
    reads
        .iter()
        .find(|r| r.release.translations[0].title == title)
        .unwrap_or_else(|| panic!("no release titled {title:?}"))
}

fn utc(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// An export with the WordPress namespace around `items` (each an `<item>` or `<wp:term>`).
fn export(items: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    write!(
        file,
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Ministry</title>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://old.example</wp:base_site_url>
{items}
</channel>
</rss>
"#
    )
    .unwrap();
    file
}

fn post(id: u64, title: &str, lang: &str, group: &str, body: &str) -> String {
    format!(
        r#"<item>
<title><![CDATA[{title}]]></title>
<link>https://old.example/{lang}/{id}/</link>
<guid isPermaLink="false">https://old.example/?p={id}</guid>
<content:encoded><![CDATA[{body}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{id}</wp:post_id>
<wp:post_date><![CDATA[2021-10-04 15:20:00]]></wp:post_date>
<wp:post_date_gmt><![CDATA[2021-10-04 11:20:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[post-{id}]]></wp:post_name>
<wp:status><![CDATA[publish]]></wp:status>
<wp:post_parent>0</wp:post_parent>
<wp:post_type><![CDATA[post]]></wp:post_type>
<category domain="language" nicename="{lang}"><![CDATA[{lang}]]></category>
<category domain="post_translations" nicename="{group}"><![CDATA[{group}]]></category>
<category domain="category" nicename="news"><![CDATA[News {lang}]]></category>
</item>
"#
    )
}

#[test]
fn the_wordpress_export_gives_its_published_posts() {
    let dir = fixture();
    let (len, counts, reads) = read_all(&dir.join("export.xml"), Some(dir.join("uploads")));
    assert_eq!(len, 6, "six published posts");
    assert_eq!(reads.len(), 6);
    assert_eq!(counts.unpublished, 1, "the draft is skipped");
    assert_eq!(counts.pages, 1);
    assert_eq!(counts.attachments, 3);
    assert!(
        reads
            .iter()
            .all(|r| !r.release.translations[0].title.contains("draft")),
        "the draft never becomes a release"
    );

    let answer = by_title(
        &reads,
        "Answer of the Press Service Department to the media question",
    );
    let r = &answer.release;
    assert_eq!(r.kind, "press-release");
    assert_eq!((r.number, r.number_year), (Some(367), None));
    assert_eq!(r.published_at, utc("2021-10-04T11:20:00Z"));
    assert_eq!(r.topics, ["media", "Press releases", "Press Service"]);
    assert!(
        r.source_id
            .starts_with("wxr:http://mfa.localhost/2021/10/no367-21-"),
        "{}",
        r.source_id
    );
    let t = &r.translations[0];
    assert_eq!(t.lang, "en");
    assert_eq!(
        t.slug.as_deref(),
        Some("no367-21-answer-of-the-press-service-department-to-the-media-question")
    );
    assert_eq!(
        t.old_urls,
        [
            "http://mfa.localhost/2021/10/no367-21-answer-of-the-press-service-department-to-the-media-question",
            "/?p=4"
        ]
    );
    assert_eq!(
        t.lead,
        "The Press Service answers a question about a neighbouring country's statement."
    );
    let banner = r.banner.as_ref().expect("the featured image is the banner");
    assert_eq!(
        Path::new(&banner.file),
        dir.join("uploads/2021/10/press-service-banner.jpg")
    );
    assert_eq!(
        banner.alt.get("en").map(String::as_str),
        Some("The ministry building at dusk")
    );
    assert!(t.body.contains("## Answer"), "{}", t.body);
    assert!(
        t.body
            .contains("[contrary to the UN Charter](<https://www.un.org/en/about-us/un-charter>)"),
        "{}",
        t.body
    );
    assert!(
        t.body
            .contains("- respect for territorial integrity;\n- the inviolability")
    );
    assert!(t.body.contains("> Peace is built"), "{}", t.body);
    assert!(answer.warnings.is_empty(), "{:?}", answer.warnings);

    let statement = by_title(&reads, "Statement on the anniversary of the Constitution");
    assert_eq!(statement.release.number, Some(350));
    assert_eq!(statement.release.number_year, None);
    let pdf = &statement.release.attachments;
    assert_eq!(pdf.len(), 1, "the PDF is attached");
    assert!(pdf[0].file.ends_with("uploads/2021/09/statement-350.pdf"));
    assert_eq!(pdf[0].name.as_deref(), Some("Statement No 350 (PDF)"));
    assert!(
        statement.release.translations[0]
            .body
            .contains("1. Reception at the Ministry\n2. Wreath")
    );

    // Numbered in 2021, published on 1 January 2022 in Baku.
    let year_end = by_title(&reads, "Statement on the end of the year");
    assert_eq!(
        (year_end.release.number, year_end.release.number_year),
        (Some(400), Some(2021))
    );
    let commentary = by_title(&reads, "Commentary of the spokesperson on the elections");
    assert_eq!(
        (commentary.release.number, commentary.release.number_year),
        (Some(12), None)
    );

    let unnumbered = by_title(&reads, "Press conference of the Minister");
    assert_eq!(unnumbered.release.number, None);
    assert!(
        unnumbered.warnings.iter().any(|w| w.contains("no number")),
        "{:?}",
        unnumbered.warnings
    );

    // The classic-editor post: paragraphs from blank lines, a table, the inline image a link.
    let visit = by_title(&reads, "Information on the visit of the Minister to Geneva");
    let body = &visit.release.translations[0].body;
    assert!(
        body.contains("the **High Commissioner**\\\nand address"),
        "{body}"
    );
    assert!(body.contains("| Day | Meeting |\n| --- | --- |"), "{body}");
    assert!(!body.contains("!["), "no image from the old site: {body}");
    assert!(visit.warnings.iter().any(|w| w.contains("became a link")));
    assert!(visit.release.banner.is_none());

    for read in &reads {
        for t in &read.release.translations {
            pressroom_core::markdown::check_blocks(&t.body).unwrap();
            let html = pressroom_core::markdown::render(
                &t.body,
                &pressroom_core::markdown::ENGLISH_LABELS,
            );
            assert!(!html.contains("<img"), "{html}");
        }
        read.release.validate().unwrap();
    }
}

#[test]
fn without_an_uploads_copy_files_are_the_old_addresses() {
    let (_, _, reads) = read_all(&fixture().join("export.xml"), None);
    let answer = by_title(
        &reads,
        "Answer of the Press Service Department to the media question",
    );
    assert_eq!(
        answer.release.banner.as_ref().unwrap().file,
        "http://mfa.localhost/wp-content/uploads/2021/10/press-service-banner.jpg"
    );
    let missing = tempfile::tempdir().unwrap();
    let (_, _, reads) = read_all(&fixture().join("export.xml"), Some(missing.path().into()));
    let answer = by_title(
        &reads,
        "Answer of the Press Service Department to the media question",
    );
    assert!(
        answer
            .release
            .banner
            .as_ref()
            .unwrap()
            .file
            .starts_with("http://")
    );
    assert!(
        answer
            .warnings
            .iter()
            .any(|w| w.contains("not in the uploads copy")),
        "{:?}",
        answer.warnings
    );
}

#[test]
fn a_polylang_group_is_one_release_with_two_translations() {
    let file = export(&format!(
        r#"<wp:term><wp:term_id>9</wp:term_id><wp:term_taxonomy><![CDATA[post_translations]]></wp:term_taxonomy><wp:term_slug><![CDATA[pll_61a]]></wp:term_slug><wp:term_name><![CDATA[pll_61a]]></wp:term_name><wp:term_description><![CDATA[a:2:{{s:2:"en";i:12;s:2:"az";i:13;}}]]></wp:term_description></wp:term>
{}{}{}"#,
        post(
            12,
            "No:367/21, Answer to the media",
            "en",
            "pll_61a",
            "<p>English text.</p>"
        ),
        post(20, "No: 5, Alone", "en", "pll_other", "<p>Alone.</p>"),
        post(
            13,
            "No:367/21, Mediaya cavab",
            "az",
            "pll_61a",
            "<p>Azərbaycan mətni.</p>"
        ),
    ));
    let wxr = open(file.path(), options(None)).unwrap();
    assert_eq!(wxr.len(), 2, "three posts, two releases");
    let reads: Vec<_> = wxr.map(Result::unwrap).collect();
    assert_eq!(reads.len(), 2);
    assert_eq!(reads[0].release.translations[0].title, "Alone");
    let group = &reads[1].release;
    assert_eq!(group.source_id, "wxr:https://old.example/?p=12");
    assert_eq!((group.number, group.number_year), (Some(367), None));
    let langs: Vec<_> = group.translations.iter().map(|t| t.lang.as_str()).collect();
    assert_eq!(langs, ["en", "az"]);
    assert_eq!(group.translations[1].title, "Mediaya cavab");
    assert_eq!(group.translations[1].body.trim(), "Azərbaycan mətni.");
    assert_eq!(
        group.translations[1].old_urls,
        ["https://old.example/az/13/", "/?p=13"]
    );
    assert_eq!(group.topics, ["News en", "News az"]);
    group.validate().unwrap();
}

#[test]
fn php_arrays_of_polylang_are_read() {
    assert_eq!(
        php_string_int_map(r#"a:2:{s:2:"en";i:12;s:2:"az";i:13;}"#),
        Some(vec![("en".into(), 12), ("az".into(), 13)])
    );
    assert_eq!(php_string_int_map("a:1:{s:5:\"en\";i:1;}"), None);
    assert_eq!(php_string_int_map("not php"), None);
    assert_eq!(php_string_int_map("a:9999999999:{"), None);
}

fn error_of(text: &str) -> String {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let result = open(file.path(), options(None)).and_then(|wxr| {
        for read in wxr {
            read?;
        }
        Ok(())
    });
    result.unwrap_err().to_string()
}

#[test]
fn a_truncated_export_names_its_line() {
    let whole = std::fs::read_to_string(fixture().join("export.xml")).unwrap();
    let cut = &whole[..whole.find("No:12/22").unwrap()];
    let lines = cut.lines().count();
    let e = error_of(cut);
    assert!(e.contains("cut short"), "{e}");
    assert!(e.contains(&format!("line {lines} ")), "{e}");
    assert!(e.contains("inside <item> opened at line"), "{e}");
    // Cut inside a CDATA section, it is the parser that stops.
    let e = error_of(&whole[..whole.find("Wreath").unwrap()]);
    assert!(e.contains("line"), "{e}");
}

#[test]
fn invalid_xml_names_its_line() {
    let file = export(
        &post(1, "No: 1, A", "en", "g", "<p>x</p>").replace("</wp:post_id>", "</wp:post_ID>"),
    );
    let e = error_of(&std::fs::read_to_string(file.path()).unwrap());
    assert!(e.contains("is not valid XML at line 13 "), "{e}");
    assert!(e.contains("Export it again"), "{e}");
    let e = error_of(
        &std::fs::read_to_string(file.path())
            .unwrap()
            .replace("<title>Ministry", "<title>M & M"),
    );
    assert!(e.contains("at line 4 "), "{e}");
}

#[test]
fn something_else_is_not_a_wordpress_export() {
    for text in [
        "",
        "just some text",
        "{\"json\": true}",
        "<?xml version=\"1.0\"?><html><body/></html>",
        "<rss version=\"2.0\"><channel><item><title>A feed</title></item></channel></rss>",
        "\u{0}\u{1}\u{ff}binary",
    ] {
        let e = error_of(text);
        assert!(e.contains("is not a WordPress export"), "{text:?}: {e}");
        assert!(e.contains("Tools → Export"), "{e}");
    }
}

#[test]
fn a_group_is_found_by_its_description_and_escaped_names_are_decoded() {
    // No `post_translations` category on the posts: Polylang's term lists them.
    let file = export(&format!(
        r#"<wp:term><wp:term_taxonomy>post_translations</wp:term_taxonomy><wp:term_slug>pll_1</wp:term_slug><wp:term_description><![CDATA[a:2:{{s:2:"en";i:1;s:2:"ru";i:2;}}]]></wp:term_description></wp:term>
{}{}"#,
        post(
            1,
            "No: 7, Q&amp;A on the Minister&#8217;s visit",
            "en",
            "",
            "<p>a</p>"
        ),
        post(2, "No: 7, Вопросы и ответы", "ru", "", "<p>б</p>")
            .replace("post-2", "%d0%b2%d0%be%d0%bf%d1%80%d0%be%d1%81%d1%8b"),
    ));
    let reads: Vec<_> = open(file.path(), options(None))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(reads.len(), 1);
    let titles: Vec<_> = reads[0]
        .release
        .translations
        .iter()
        .map(|t| t.title.as_str())
        .collect();
    assert_eq!(
        titles,
        ["Q&A on the Minister\u{2019}s visit", "Вопросы и ответы"]
    );
    // WordPress keeps a non-ASCII slug percent-encoded.
    assert_eq!(
        reads[0].release.translations[1].slug.as_deref(),
        Some("вопросы")
    );
}

#[test]
fn a_post_that_cannot_be_read_does_not_stop_the_others() {
    let file = export(&format!(
        "{}{}",
        post(1, "No: 7", "en", "", "<p>only a number for a title</p>"),
        post(2, "No: 8, Fine", "en", "", "<p>b</p>"),
    ));
    let reads: Vec<_> = open(file.path(), options(None)).unwrap().collect();
    assert_eq!(reads.len(), 2);
    assert!(!reads[0].as_ref().unwrap_err().is_fatal());
    let e = reads[0].as_ref().unwrap_err().to_string();
    assert!(e.starts_with("post 1 (line "), "{e}");
    assert!(e.contains("no title"), "{e}");
    assert_eq!(reads[1].as_ref().unwrap().release.number, Some(8));
}

#[test]
fn no_input_makes_it_panic() {
    // Every cut of the export, and a damaged byte every few hundred: an error or releases,
    // never a panic.
    let whole = std::fs::read(fixture().join("export.xml")).unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    let attempt = |bytes: &[u8]| {
        file.as_file().set_len(0).unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        if let Ok(wxr) = open(file.path(), options(None)) {
            for read in wxr {
                let _ = read;
            }
        }
    };
    for cut in (0..whole.len()).step_by(53) {
        attempt(&whole[..cut]);
    }
    for at in (0..whole.len()).step_by(211) {
        let mut damaged = whole.clone();
        damaged[at] = [b'<', b'&', b']', 0xff, b'"'][at % 5];
        attempt(&damaged);
    }
}

/// Run by hand (`cargo test -p pressroom --bin pressroom large_export -- --ignored
/// --nocapture`): a 200 MB export is read with a peak memory far below its size.
#[test]
#[ignore = "writes 200 MB; run by hand to see memory and speed"]
fn a_large_export_streams() {
    let body = "<p>A paragraph of a press release, long enough to weigh.</p>\n".repeat(40);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let head = std::fs::read_to_string(export("").path()).unwrap();
    let (start, end) = head.split_at(head.find("</channel>").unwrap());
    file.write_all(start.as_bytes()).unwrap();
    let n = 80_000;
    for id in 1..=n {
        let group = format!("pll_{}", id / 2);
        let lang = if id % 2 == 0 { "en" } else { "az" };
        file.write_all(post(id, &format!("No: {id}, Title {id}"), lang, &group, &body).as_bytes())
            .unwrap();
    }
    file.write_all(end.as_bytes()).unwrap();
    let size = file.as_file().metadata().unwrap().len();
    let started = std::time::Instant::now();
    let wxr = open(file.path(), options(None)).unwrap();
    let expected = wxr.len();
    let count = wxr.map(Result::unwrap).count();
    assert_eq!(count, expected);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("");
    eprintln!(
        "{} MB, {count} releases in {:?}; {peak}",
        size / 1_000_000,
        started.elapsed()
    );
}

#[test]
fn without_a_utc_date_the_local_date_is_read_as_utc_with_a_warning() {
    let item = post(3, "No:1/21, Old", "en", "", "<p>x</p>").replace(
        "<![CDATA[2021-10-04 11:20:00]]>",
        "<![CDATA[0000-00-00 00:00:00]]>",
    );
    let read = open(export(&item).path(), options(None))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(read.release.published_at, utc("2021-10-04T15:20:00Z"));
    assert!(
        read.warnings.iter().any(|w| w.contains("time zone")),
        "{:?}",
        read.warnings
    );
}

#[test]
fn a_group_whose_member_fails_is_released_with_the_others() {
    let file = export(&format!(
        "{}{}{}",
        post(1, "No: 3, English", "en", "pll_g", "<p>a</p>"),
        post(2, "No: 3", "az", "pll_g", "<p>b</p>"),
        post(3, "No: 4, Later", "en", "", "<p>c</p>"),
    ));
    let reads: Vec<_> = open(file.path(), options(None)).unwrap().collect();
    assert_eq!(reads.len(), 3, "the error, the group, the later post");
    assert!(reads[0].is_err());
    let group = &reads[1].as_ref().unwrap().release;
    assert_eq!(group.translations.len(), 1);
    assert_eq!(group.translations[0].title, "English");
    assert_eq!(reads[2].as_ref().unwrap().release.number, Some(4));
}

#[test]
fn an_export_not_in_utf8_says_how_to_convert_it() {
    let latin = std::fs::read_to_string(export("").path())
        .unwrap()
        .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    let e = error_of(&latin);
    assert!(e.contains("encoded in iso-8859-1"), "{e}");
    assert!(e.contains("iconv -f iso-8859-1 -t UTF-8"), "{e}");
    let fine = std::fs::read_to_string(export("").path()).unwrap();
    let wxr = open_text(&fine);
    assert!(wxr.is_empty());
}

fn open_text(text: &str) -> Wxr {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    // The reader keeps its own handles; the file may go once it is open.
    open(file.path(), options(None)).unwrap()
}
