//! Markdown to sanitised HTML.
//!
//! Bodies are CommonMark with tables and strikethrough, rendered by pulldown-cmark and then
//! cleaned by ammonia, so nothing an author pastes can run script or load from another host.
//! Body headings are shifted so the body's top level becomes `<h2>`: the page's `<h1>` is the
//! title, and a body written with `##` or `###` must not skip a level after it.
//!
//! Releases that answer a media question, and interviews, mark their blocks like this:
//!
//! ```text
//! :::question
//! **Kaspiana Daily:** When will the dam reopen?
//! :::
//! :::answer
//! In the spring.
//! :::
//! ```
//!
//! Each block becomes a labelled `<section class="qa qa-question">` (or `qa-answer`); the labels
//! come from the caller, who knows the page's language.

use std::sync::LazyLock;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The words printed above question and answer blocks, in the page's language.
#[derive(Debug, Clone, Copy)]
pub struct QaLabels<'a> {
    /// "Question".
    pub question: &'a str,
    /// "Answer".
    pub answer: &'a str,
}

/// English labels, for callers without a language.
pub const ENGLISH_LABELS: QaLabels<'static> = QaLabels {
    question: "Question",
    answer: "Answer",
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Plain,
    Question,
    Answer,
}

struct Block<'a> {
    kind: BlockKind,
    text: &'a str,
}

/// Renders `markdown` to sanitised HTML. Never fails: an unclosed block ends at the end.
pub fn render(markdown: &str, labels: &QaLabels<'_>) -> String {
    let mut html = String::with_capacity(markdown.len() * 2);
    for block in split_blocks(markdown).0 {
        let inner = sanitise(&to_html(block.text));
        let (class, label) = match block.kind {
            BlockKind::Plain => {
                html.push_str(&inner);
                continue;
            }
            BlockKind::Question => ("qa-question", labels.question),
            BlockKind::Answer => ("qa-answer", labels.answer),
        };
        let label = ammonia::clean_text(label);
        html.push_str(&format!(
            "<section class=\"qa {class}\"><p class=\"qa-label\">{label}</p>\n{inner}</section>\n"
        ));
    }
    html
}

/// Checks that question/answer blocks are opened and closed properly, so the editor can say
/// where a block was left open instead of rendering something surprising.
pub fn check_blocks(markdown: &str) -> Result<(), String> {
    match split_blocks(markdown).1 {
        Some(line) => Err(format!(
            "the block opened on line {line} is never closed with `:::`"
        )),
        None => Ok(()),
    }
}

/// The text of `markdown` without markup, for descriptions, feeds and search.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for block in split_blocks(markdown).0 {
        for event in Parser::new_ext(block.text, options()) {
            match event {
                Event::Text(t) | Event::Code(t) => out.push_str(&t),
                Event::SoftBreak | Event::HardBreak => out.push(' '),
                Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => out.push(' '),
                _ => {}
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Splits the text into plain, question and answer blocks. Also returns the line of a block
/// left unclosed, if any.
fn split_blocks(markdown: &str) -> (Vec<Block<'_>>, Option<usize>) {
    let mut blocks = Vec::new();
    let mut kind = BlockKind::Plain;
    let mut start = 0;
    let mut opened_at = 0;
    let mut offset = 0;
    for (i, line) in markdown.split_inclusive('\n').enumerate() {
        let marker = line.trim();
        let next = match marker.strip_prefix(":::").map(str::trim) {
            Some("question") if kind == BlockKind::Plain => Some(BlockKind::Question),
            Some("answer") if kind == BlockKind::Plain => Some(BlockKind::Answer),
            Some("") if kind != BlockKind::Plain => Some(BlockKind::Plain),
            _ => None,
        };
        if let Some(next) = next {
            push_block(&mut blocks, kind, &markdown[start..offset]);
            kind = next;
            opened_at = i + 1;
            start = offset + line.len();
        }
        offset += line.len();
    }
    push_block(&mut blocks, kind, &markdown[start..]);
    (blocks, (kind != BlockKind::Plain).then_some(opened_at))
}

fn push_block<'a>(blocks: &mut Vec<Block<'a>>, kind: BlockKind, text: &'a str) {
    if kind != BlockKind::Plain || !text.trim().is_empty() {
        blocks.push(Block { kind, text });
    }
}

fn to_html(markdown: &str) -> String {
    // The body's top heading level; every heading moves by the same amount so that it is h2.
    let top = Parser::new_ext(markdown, options())
        .filter_map(|e| match e {
            Event::Start(Tag::Heading { level, .. }) => Some(level as usize),
            _ => None,
        })
        .min()
        .unwrap_or(2);
    let shift = |level: HeadingLevel| relevel(level as usize + 2 - top);
    let events = Parser::new_ext(markdown, options()).map(|event| match event {
        Event::Start(Tag::Heading {
            level,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: shift(level),
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(level)) => Event::End(TagEnd::Heading(shift(level))),
        other => other,
    });
    let mut html = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// The heading level `n`, kept within h2..h6.
fn relevel(n: usize) -> HeadingLevel {
    match n {
        0..=2 => HeadingLevel::H2,
        3 => HeadingLevel::H3,
        4 => HeadingLevel::H4,
        5 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// The sanitiser: ammonia's safe defaults, links open no window handle, and images may only
/// come from this site (a body must never make a reader's browser, or a feed reader without
/// a CSP, call another host). An image's address is kept in the form [`same_site_path`] gives.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .link_rel(Some("noopener noreferrer"))
        .attribute_filter(|element, attribute, value| {
            if element == "img" && attribute == "src" {
                same_site_path(value).map(Into::into)
            } else {
                Some(value.into())
            }
        });
    builder
});

/// The two bases an address is resolved against. `.invalid` never names a real host, so only
/// a relative address can land on it; two schemes, because `https:evil` is relative on an
/// https page but another host on an http one.
static BASES: LazyLock<[url::Url; 2]> = LazyLock::new(|| {
    ["https://site.invalid/", "http://site.invalid/"]
        .map(|b| url::Url::parse(b).unwrap_or_else(|_| unreachable!("a fixed, valid URL")))
});

/// `value` as the absolute path a browser would request from this site, or `None` when a
/// browser could resolve it to another host or scheme. Resolution is the WHATWG URL parser's
/// (the `url` crate): leading and trailing control characters and spaces are stripped, tabs
/// and line breaks removed, `\` read as `/`, so `/\evil`, `java\tscript:`, `https:evil` and
/// ` //evil` are judged as a browser sees them. Escaped slashes and control characters are
/// refused too: no image needs them, and a careless reader might decode them.
pub fn same_site_path(value: &str) -> Option<String> {
    let mut path = None;
    for base in BASES.iter() {
        let resolved = base.join(value).ok()?;
        if resolved.origin() != base.origin() {
            return None;
        }
        path = Some(resolved[url::Position::BeforePath..].to_owned());
    }
    let path = path?;
    let lower = path.to_ascii_lowercase();
    let escaped_trick = ["%2f", "%5c", "%00", "%09", "%0a", "%0d"]
        .iter()
        .any(|e| lower.contains(e));
    // A path that starts `//` would name a host once written back into the page.
    (!path.starts_with("//") && !escaped_trick).then_some(path)
}

fn sanitise(html: &str) -> String {
    CLEANER.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown_and_demotes_headings() {
        let html = render(
            "# Part\n\nText with **bold** and a [link](https://example.org).",
            &ENGLISH_LABELS,
        );
        assert!(html.contains("<h2>Part</h2>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("href=\"https://example.org\""));
        assert!(html.contains("rel=\"noopener noreferrer\""));
    }

    #[test]
    fn the_top_heading_level_of_a_body_becomes_h2() {
        let html = render("## Part\n\n### Sub", &ENGLISH_LABELS);
        assert!(
            html.contains("<h2>Part</h2>") && html.contains("<h3>Sub</h3>"),
            "{html}"
        );
        let html = render("### Only\n\n#### Below", &ENGLISH_LABELS);
        assert!(
            html.contains("<h2>Only</h2>") && html.contains("<h3>Below</h3>"),
            "{html}"
        );
        assert!(render("# Top\n\n## Next", &ENGLISH_LABELS).contains("<h3>Next</h3>"));
    }

    #[test]
    fn removes_scripts_handlers_and_foreign_images() {
        let html = render(
            "<script>alert(1)</script>\n\n<img src=\"https://tracker.example/p.gif\" onerror=\"x()\">\n\n\
             <img src=\"/media/a.png\" alt=\"a\">\n\n[x](javascript:alert(1))",
            &ENGLISH_LABELS,
        );
        assert!(!html.contains("script"), "{html}");
        assert!(!html.contains("onerror"));
        assert!(!html.contains("tracker.example"));
        assert!(html.contains("src=\"/media/a.png\""));
        assert!(!html.contains("javascript:"));
    }

    /// Addresses a browser resolves to another host, scheme or nothing at all.
    const HOSTILE_IMAGES: &[&str] = &[
        "https://tracker.example/p.gif",
        "//evil.example/p.png",
        "/\\evil.example/p.png",
        "\\\\evil.example/p.png",
        "\\/evil.example/p.png",
        "/\\/evil.example/p.png",
        "/\t/evil.example/p.png",
        "/\n/evil.example/p.png",
        "/\r\n/evil.example/p.png",
        " //evil.example/p.png",
        "\u{1}//evil.example/p.png",
        "\u{0}/\\evil.example/p.png",
        "https:evil.example/p.png",
        "http:evil.example/p.png",
        "HtTpS://evil.example/p.png",
        "java\tscript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://evil.example/p.png",
        "/.//evil.example/p.png",
        "%2F%2Fevil.example/p.png",
        "/%5Cevil.example/p.png",
        "/%2f%2fevil.example/p.png",
        "/media/%0a/p.png",
        "https://user@evil.example/p.png",
        "https://site.invalid@evil.example/p.png",
    ];

    #[test]
    fn hostile_image_addresses_are_refused() {
        for vector in HOSTILE_IMAGES {
            assert_eq!(same_site_path(vector), None, "{vector:?}");
        }
    }

    #[test]
    fn hostile_images_are_dropped_from_bodies_in_every_spelling() {
        for vector in HOSTILE_IMAGES {
            // As a raw attribute, and with the characters written as HTML references.
            let escaped: String = vector.chars().map(|c| format!("&#{};", c as u32)).collect();
            for src in [vector.replace('"', "&quot;"), escaped] {
                let html = render(&format!("<img src=\"{src}\" alt=\"x\">"), &ENGLISH_LABELS);
                // HTML turns a NUL into U+FFFD, so that vector becomes a path of this site.
                let kept = html
                    .split("src=\"")
                    .nth(1)
                    .map(|s| &s[..s.find('"').unwrap_or(0)]);
                assert!(
                    kept.is_none_or(|k| k.starts_with("/%EF%BF%BD/")),
                    "{vector:?} survived as {html}"
                );
            }
        }
    }

    #[test]
    fn images_of_this_site_stay() {
        for (src, kept) in [
            ("/media/0123abcd/photo.webp", "/media/0123abcd/photo.webp"),
            ("/media/a.png?v=2#top", "/media/a.png?v=2#top"),
            ("  /media/a.png  ", "/media/a.png"),
            ("media/a.png", "/media/a.png"),
            ("/media/r%C3%BCckblick.png", "/media/r%C3%BCckblick.png"),
            ("/media/../assets/logo.svg", "/assets/logo.svg"),
        ] {
            assert_eq!(same_site_path(src).as_deref(), Some(kept), "{src:?}");
            let html = render(&format!("<img src=\"{src}\" alt=\"a\">"), &ENGLISH_LABELS);
            assert!(html.contains(&format!("src=\"{kept}\"")), "{src:?}: {html}");
        }
    }

    #[test]
    fn script_links_are_dropped_in_every_spelling() {
        for href in [
            "javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "\u{1}javascript:alert(1)",
            "&#106;avascript:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html,<script>alert(1)</script>",
        ] {
            let html = render(&format!("<a href=\"{href}\">x</a>"), &ENGLISH_LABELS);
            assert!(!html.contains("href="), "{href:?} survived as {html}");
        }
        let html = render("<a href=\"https://example.org/a\">x</a>", &ENGLISH_LABELS);
        assert!(html.contains("href=\"https://example.org/a\""), "{html}");
    }

    #[test]
    fn question_and_answer_blocks_are_labelled_sections() {
        let md = "Intro.\n\n:::question\n**Daily:** When?\n:::\n:::answer\nSoon <script>x</script>.\n:::\n";
        let html = render(
            md,
            &QaLabels {
                question: "Sual",
                answer: "Cavab",
            },
        );
        let q = html
            .find("<section class=\"qa qa-question\"><p class=\"qa-label\">Sual</p>")
            .unwrap();
        let a = html
            .find("<section class=\"qa qa-answer\"><p class=\"qa-label\">Cavab</p>")
            .unwrap();
        assert!(html.find("<p>Intro.</p>").unwrap() < q && q < a);
        assert!(html.contains("<strong>Daily:</strong> When?"));
        assert!(!html.contains("<script"));
        assert!(check_blocks(md).is_ok());
    }

    #[test]
    fn an_unclosed_block_is_reported_with_its_line() {
        let md = "Intro\n:::question\nWhen?\n";
        assert_eq!(
            check_blocks(md).unwrap_err(),
            "the block opened on line 2 is never closed with `:::`"
        );
        assert!(render(md, &ENGLISH_LABELS).contains("qa-question"));
    }

    #[test]
    fn labels_are_escaped_and_plain_text_drops_markup() {
        let html = render(
            ":::question\nQ\n:::",
            &QaLabels {
                question: "<b>",
                answer: "A",
            },
        );
        assert!(html.contains("&lt;b&gt;"));
        assert_eq!(
            plain_text("# Title\n\nSome *text*\nhere.\n\n- one\n- two"),
            "Title Some text here. one two"
        );
    }
}
