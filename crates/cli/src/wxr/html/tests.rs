//! The converter on bodies WordPress does not make in the fixture, and on tag soup.

use super::*;

#[test]
fn a_body_with_headings_lists_and_links_renders() {
    let mut warnings = Vec::new();
    let links = Links {
        base_host: Some("old.example".into()),
    };
    let md = to_markdown(
        r#"<!-- wp:heading --><h2>Visit <em>to</em> Baku</h2><!-- /wp:heading -->
<!-- wp:paragraph --><p>See <a href="https://old.example/en/news/5/?x=1">the news</a>, <a href="javascript:alert(1)">this</a> and <strong>bold </strong>text.</p><!-- /wp:paragraph -->
<ul><li>one<ul><li>nested</li></ul></li><li>two</li></ul>
<ol start="3"><li>three</li></ol>
<p>:::question</p><p>1. not a list, - not either, # nor a heading *</p>
<p>&nbsp;</p>
<blockquote><p>quoted</p><p>twice</p></blockquote>
<pre><code>let x = 1;</code></pre>
<p><img src="https://old.example/wp-content/uploads/a.jpg" alt="A photo"> <iframe src="https://video.example/embed"></iframe></p>
<script>alert("no")</script>"#,
        &links,
        &mut warnings,
    );
    for expected in [
        "## Visit *to* Baku",
        "[the news](</en/news/5/?x=1>)",
        ", this and **bold** text.",
        "- one\n  - nested\n- two",
        "3. three",
        "\\:::question",
        "1\\. not a list, - not either, \\# nor a heading \\*",
        "> quoted\n>\n> twice",
        "```\nlet x = 1;\n```",
        "[A photo](<https://old.example/wp-content/uploads/a.jpg>)",
    ] {
        assert!(md.contains(expected), "{expected:?} not in:\n{md}");
    }
    assert!(!md.contains("alert"), "{md}");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    pressroom_core::markdown::check_blocks(&md).unwrap();
    let html = pressroom_core::markdown::render(&md, &pressroom_core::markdown::ENGLISH_LABELS);
    assert!(html.contains("<h2>Visit <em>to</em> Baku</h2>"), "{html}");
    assert!(html.contains("<li>nested</li>"), "{html}");
    assert!(html.contains("<blockquote>"), "{html}");
    assert!(!html.contains("qa-question"), "{html}");
}

#[test]
fn any_tag_soup_becomes_markdown_that_renders() {
    // Pseudo-random sequences of the pieces the converter treats specially.
    const PIECES: &[&str] = &[
        "<p>",
        "</p>",
        "<li>",
        "</li>",
        "<ul>",
        "</ul>",
        "<ol>",
        "</ol>",
        "<blockquote>",
        "</blockquote>",
        "<b>",
        "</b>",
        "<em>",
        "</em>",
        "<a href=\"https://x.example/\">",
        "</a>",
        "<table>",
        "</table>",
        "<tr>",
        "<td>",
        "</td>",
        "<th>",
        "<pre>",
        "</pre>",
        "<code>",
        "</code>",
        "<br>",
        "<h2>",
        "</h2>",
        "<img src=\"/a.png\">",
        "<!-- wp:x -->",
        "<script>",
        "</script>",
        "<iframe>",
        "\n\n",
        "\n",
        " ",
        "ə",
        "é:::",
        ":::question",
        "- ",
        "1. ",
        "*",
        "`",
        "[caption]",
        "[/caption]",
        "[gallery]",
        "&amp;",
        "&nbsp;",
        "<hr>",
        "</td></tr>",
        "<div>",
        "</div>",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    let links = Links::default();
    for _ in 0..10_000 {
        let mut html = String::new();
        for _ in 0..next() % 40 {
            html.push_str(PIECES[next() % PIECES.len()]);
        }
        let mut warnings = Vec::new();
        let md = to_markdown(&html, &links, &mut warnings);
        assert!(
            pressroom_core::markdown::check_blocks(&md).is_ok(),
            "{html:?} gave {md:?}"
        );
        let page = pressroom_core::markdown::render(&md, &pressroom_core::markdown::ENGLISH_LABELS);
        assert!(!page.contains("<img"), "{html:?} gave {page}");
    }
}
