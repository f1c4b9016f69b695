//! The pieces under the Markdown writer: html5ever's tokenizer as a list of owned tokens,
//! WordPress shortcodes, and the escapes Markdown needs at the start of a line.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// One token, owned, as the sink hands it over.
pub enum Tok {
    Start(String, Vec<(String, String)>),
    End(String),
    Text(String),
    Comment,
}

/// Collects tokens, and switches the tokenizer to raw text inside `script`/`style` so their
/// content is never read as markup.
#[derive(Default)]
struct Sink(RefCell<Vec<Tok>>);

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut toks = self.0.borrow_mut();
        match token {
            Token::TagToken(Tag {
                kind,
                name,
                self_closing,
                attrs,
                ..
            }) => {
                let name = name.to_string();
                if kind == TagKind::EndTag {
                    toks.push(Tok::End(name));
                    return TokenSinkResult::Continue;
                }
                let attrs = attrs
                    .into_iter()
                    .map(|a| (a.name.local.to_string(), a.value.to_string()))
                    .collect();
                toks.push(Tok::Start(name.clone(), attrs));
                if self_closing {
                    toks.push(Tok::End(name.clone()));
                }
                return match name.as_str() {
                    "script" | "style" | "textarea" | "title" if !self_closing => {
                        TokenSinkResult::RawData(RawKind::Rawtext)
                    }
                    _ => TokenSinkResult::Continue,
                };
            }
            Token::CharacterTokens(t) => toks.push(Tok::Text(t.to_string())),
            Token::CommentToken(_) => toks.push(Tok::Comment),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Elements whose content is no text of the post (scripts, embeds, forms).
pub const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "iframe", "object", "embed", "video", "audio", "form", "button",
    "select", "textarea", "svg", "canvas", "template", "title", "head",
];
/// Elements that end the paragraph before them and start a new one.
pub const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "main",
    "aside",
    "nav",
    "figure",
    "figcaption",
    "dl",
    "dt",
    "dd",
    "address",
    "center",
    "details",
    "summary",
    "body",
    "html",
];

/// The text of a bit of HTML, entities decoded and tags dropped: WordPress keeps titles and
/// term names escaped (`Q&amp;A`, `Minister&#8217;s`), sometimes with tags in them.
pub fn plain(html: &str) -> String {
    if !html.contains(['&', '<']) {
        return html.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    let mut text = String::with_capacity(html.len());
    for tok in tokens(html) {
        match tok {
            Tok::Text(t) => text.push_str(&t),
            Tok::Start(name, _) if name == "br" => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn tokens(html: &str) -> Vec<Tok> {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let tokenizer = Tokenizer::new(Sink::default(), TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.0.take()
}

pub fn longest_run(text: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// Escapes what would start a Markdown block at the start of a line (`- `, `+ `, `1. `, `=`,
/// and `:::`, which opens Pressroom's question/answer blocks).
pub fn escape_line_starts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        let rest = &line[digits..];
        if digits == 0 && line.starts_with(['-', '+', '=', ':']) {
            out.push('\\');
        } else if digits > 0 && rest.starts_with(['.', ')']) {
            out.push_str(&line[..digits]);
            out.push('\\');
            out.push_str(rest);
            continue;
        }
        out.push_str(line);
    }
    out
}

/// Removes WordPress shortcodes from text: `[caption …]…[/caption]` keeps its content, and
/// the media ones (`[gallery]`, `[embed]`, `[video]` …), which only WordPress can render, are
/// dropped with a warning.
pub fn shortcodes(text: &str, warnings: &mut Vec<String>) -> String {
    const KNOWN: &[&str] = &[
        "caption",
        "wp_caption",
        "gallery",
        "embed",
        "video",
        "audio",
        "playlist",
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let tail = &rest[open + 1..];
        let name_part = tail.strip_prefix('/').unwrap_or(tail);
        let name: String = name_part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let close = tail.find(']');
        match close {
            Some(close) if KNOWN.contains(&name.as_str()) => {
                if !name.contains("caption") && !tail.starts_with('/') {
                    warnings.push(format!(
                        "the shortcode [{name}] was left out: only WordPress can show it"
                    ));
                }
                rest = &tail[close + 1..];
            }
            _ => {
                out.push('[');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A GitHub-style table: the first row is the header, short rows are padded. `None` for a
/// table without cells.
pub fn table_markdown(rows: Vec<Vec<String>>) -> Option<String> {
    let rows: Vec<Vec<String>> = rows.into_iter().filter(|r| !r.is_empty()).collect();
    let width = rows.iter().map(Vec::len).max()?;
    let line = |cells: &[String]| {
        let mut l = String::from("|");
        for i in 0..width {
            l.push(' ');
            l.push_str(cells.get(i).map_or("", |c| c.trim()));
            l.push_str(" |");
        }
        l
    };
    let mut text = line(&rows[0]);
    text.push('\n');
    text.push_str(&"| --- ".repeat(width));
    text.push('|');
    for row in &rows[1..] {
        text.push('\n');
        text.push_str(&line(row));
    }
    Some(text)
}
