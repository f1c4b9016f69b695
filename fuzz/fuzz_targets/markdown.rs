//! Release bodies are typed by authors and pasted from anywhere: rendering, the block check
//! and plain text must never panic, and the sanitised HTML must never load from another
//! host or run script, whatever the Markdown.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pressroom_core::markdown::{ENGLISH_LABELS, QaLabels, check_blocks, plain_text, render};

fuzz_target!(|text: &str| {
    let html = render(text, &ENGLISH_LABELS);
    assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "script survived: {html}"
    );
    // The image-URL rule: only images from this site. Read the address as a browser does
    // (entities decoded, tabs and newlines dropped, `\\` as `/`): a path, not `//host`.
    for src in html
        .split("<img")
        .skip(1)
        .filter_map(|t| t.split("src=\"").nth(1))
    {
        let raw = src.split('"').next().unwrap_or("");
        let url: String = raw
            .replace("&amp;", "&")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .map(|c| if c == '\\' { '/' } else { c })
            .collect();
        let url = url.trim_start_matches(|c: char| c <= ' ');
        assert!(
            url.starts_with('/') && !url.starts_with("//"),
            "image from elsewhere: {raw:?} in {html}"
        );
    }
    let labels = QaLabels {
        question: text,
        answer: text,
    };
    let _ = render(text, &labels);
    let _ = check_blocks(text);
    let _ = plain_text(text);
});
