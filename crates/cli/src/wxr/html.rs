//! A WordPress post body (HTML with block comments, or "autop" text where blank lines are
//! paragraphs) as the Markdown Pressroom's bodies are written in. The HTML is read by
//! html5ever's tokenizer (the one ammonia already builds), as a stream of tags and text: a
//! post body needs no DOM, and the tokenizer decodes entities and survives any tag soup.
//! Only what `pressroom_core::markdown` renders is written; everything else becomes text or a
//! warning, never raw HTML (the sanitiser would drop it anyway).

use super::tokens::{
    BLOCKS, SKIPPED, Tok, escape_line_starts, longest_run, shortcodes, table_markdown, tokens,
};

/// How links to the old site are rewritten: an address on `base_host` keeps only its path, so
/// the new site's redirects from old addresses answer it.
#[derive(Debug, Default, Clone)]
pub struct Links {
    /// The old site's host (`mfa.gov.az`), from the export's `wp:base_site_url`.
    pub base_host: Option<String>,
}

/// Converts a post body. Warnings say what could not be kept (images from the old site,
/// embedded frames, shortcodes).
pub fn to_markdown(html: &str, links: &Links, warnings: &mut Vec<String>) -> String {
    // Block-editor content marks its blocks; classic content relies on wpautop, where a blank
    // line ends a paragraph and a single line break is a `<br>`.
    let autop = !html.contains("<!-- wp:");
    let mut md = Writer {
        autop,
        links,
        warnings,
        out: String::new(),
        inline: String::new(),
        frames: Vec::new(),
        frame_ids: Vec::new(),
        last_ids: Vec::new(),
        next_id: 0,
        spans: Vec::new(),
        heading: None,
        pre: None,
        skip: 0,
        tight: false,
        table: None,
    };
    for tok in tokens(html) {
        md.token(tok);
    }
    md.flush();
    md.out.push('\n');
    md.out
}

/// A container the current text is inside.
enum Frame {
    Quote,
    List {
        ordered: bool,
        next: u32,
        count: u32,
    },
    Item {
        marker: String,
        written: bool,
    },
}

/// An inline span still open: its kind and where its text starts in the buffer.
struct Span {
    kind: SpanKind,
    start: usize,
}

enum SpanKind {
    Strong,
    Em,
    Strike,
    Code,
    Link(Option<String>),
}

struct Writer<'a> {
    autop: bool,
    links: &'a Links,
    warnings: &'a mut Vec<String>,
    out: String,
    /// The current block's inline Markdown; `\n` marks a hard break.
    inline: String,
    frames: Vec<Frame>,
    /// An id for each open frame, and the ids the last block was written in: the blank line
    /// between two blocks carries only the containers both are in.
    frame_ids: Vec<u64>,
    last_ids: Vec<u64>,
    next_id: u64,
    spans: Vec<Span>,
    heading: Option<usize>,
    pre: Option<String>,
    /// Elements whose content is dropped (scripts, frames, forms), by depth.
    skip: usize,
    /// The next block continues a list without a blank line.
    tight: bool,
    table: Option<Table>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    cell: Option<String>,
}

impl Writer<'_> {
    fn token(&mut self, tok: Tok) {
        match tok {
            Tok::Start(name, attrs) => self.start(&name, &attrs),
            Tok::End(name) => self.end(&name),
            Tok::Text(text) => self.text(&text),
            // Block comments (`<!-- wp:paragraph -->`, `<!--more-->`) sit between blocks.
            Tok::Comment => self.boundary(),
        }
    }

    fn start(&mut self, name: &str, attrs: &[(String, String)]) {
        let attr = |n: &str| {
            attrs
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.trim().to_owned())
        };
        if self.skip > 0 || SKIPPED.contains(&name) {
            if SKIPPED.contains(&name) {
                if self.skip == 0 && matches!(name, "iframe" | "object" | "embed" | "video") {
                    let src = attr("src").or_else(|| attr("data")).unwrap_or_default();
                    self.warnings
                        .push(format!("an embedded <{name}> ({src}) was left out"));
                }
                self.skip += 1;
            }
            return;
        }
        if let Some(pre) = &mut self.pre {
            if name == "br" {
                pre.push('\n');
            }
            return;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.boundary();
                self.heading = name[1..].parse().ok();
            }
            "br" => {
                if self.table.as_ref().is_some_and(|t| t.cell.is_some()) {
                    self.inline.push(' ');
                } else {
                    self.inline.push('\n');
                }
            }
            "hr" => {
                self.boundary();
                self.block("---".into());
            }
            "pre" => {
                self.boundary();
                self.pre = Some(String::new());
            }
            "blockquote" => {
                self.boundary();
                self.push_frame(Frame::Quote);
            }
            "ul" | "ol" => {
                self.boundary();
                let next = attr("start").and_then(|s| s.parse().ok()).unwrap_or(1);
                self.tight |= self.in_item();
                self.push_frame(Frame::List {
                    ordered: name == "ol",
                    next,
                    count: 0,
                });
            }
            "li" => {
                self.boundary();
                self.close_item();
                let marker = match self.frames.last_mut() {
                    Some(Frame::List {
                        ordered,
                        next,
                        count,
                    }) => {
                        // Items after the first follow the previous one without a blank line.
                        self.tight |= *count > 0;
                        *count += 1;
                        if *ordered {
                            *next += 1;
                            format!("{}. ", *next - 1)
                        } else {
                            "- ".to_owned()
                        }
                    }
                    _ => "- ".to_owned(),
                };
                self.push_frame(Frame::Item {
                    marker,
                    written: false,
                });
            }
            "table" => {
                self.boundary();
                self.table = Some(Table::default());
            }
            "tr" => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            "td" | "th" => {
                self.clear_inline();
                if let Some(t) = &mut self.table {
                    if t.rows.is_empty() {
                        t.rows.push(Vec::new());
                    }
                    t.cell = Some(String::new());
                }
            }
            "strong" | "b" => self.open(SpanKind::Strong),
            "em" | "i" | "cite" => self.open(SpanKind::Em),
            "del" | "s" | "strike" => self.open(SpanKind::Strike),
            "code" | "kbd" | "samp" | "tt" => self.open(SpanKind::Code),
            "a" => {
                let href = attr("href").and_then(|h| self.href(&h));
                self.open(SpanKind::Link(href));
            }
            "img" => self.image(attr("src"), attr("alt")),
            _ if BLOCKS.contains(&name) => self.boundary(),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        if self.skip > 0 {
            if SKIPPED.contains(&name) {
                self.skip -= 1;
            }
            return;
        }
        if name == "pre" {
            self.close_pre();
            return;
        }
        if self.pre.is_some() {
            return;
        }
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => self.boundary(),
            "blockquote" => {
                self.boundary();
                self.close_item();
                if matches!(self.frames.last(), Some(Frame::Quote)) {
                    self.pop_frame();
                }
            }
            "ul" | "ol" => {
                self.boundary();
                self.close_item();
                if matches!(self.frames.last(), Some(Frame::List { .. })) {
                    self.pop_frame();
                }
                self.tight = false;
            }
            "li" => {
                self.boundary();
                self.close_item();
            }
            "td" | "th" => {
                let text = self.take_inline().replace('\n', " ");
                if let Some(t) = &mut self.table {
                    t.cell = None;
                    if let Some(row) = t.rows.last_mut() {
                        row.push(text);
                    }
                }
            }
            "table" => {
                if let Some(t) = self.table.take() {
                    self.clear_inline();
                    self.write_table(t);
                }
            }
            "strong" | "b" => self.close(|k| matches!(k, SpanKind::Strong)),
            "em" | "i" | "cite" => self.close(|k| matches!(k, SpanKind::Em)),
            "del" | "s" | "strike" => self.close(|k| matches!(k, SpanKind::Strike)),
            "code" | "kbd" | "samp" | "tt" => self.close(|k| matches!(k, SpanKind::Code)),
            "a" => self.close(|k| matches!(k, SpanKind::Link(_))),
            _ if BLOCKS.contains(&name) => self.boundary(),
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if self.skip > 0 {
            return;
        }
        if let Some(pre) = &mut self.pre {
            pre.push_str(text);
            return;
        }
        let text = shortcodes(text, self.warnings);
        let in_code = self.spans.iter().any(|s| matches!(s.kind, SpanKind::Code));
        let mut rest = text.as_str();
        while !rest.is_empty() {
            // wpautop: a blank line ends the paragraph, a single line break is a `<br>`.
            let (piece, brk, after) = match rest.find('\n') {
                Some(i) if self.autop && self.table.is_none() => {
                    let after = &rest[i + 1..];
                    let blank = after
                        .trim_start_matches([' ', '\t', '\r'])
                        .starts_with('\n');
                    (&rest[..i], Some(blank), after)
                }
                _ => (rest, None, ""),
            };
            self.push_text(piece, in_code);
            match brk {
                Some(true) => self.boundary(),
                Some(false) if !self.inline.trim().is_empty() => self.inline.push('\n'),
                Some(false) => {}
                None => {}
            }
            rest = after;
        }
    }

    fn push_text(&mut self, text: &str, in_code: bool) {
        for c in text.chars() {
            if c.is_whitespace() && c != '\u{a0}' {
                if !self.inline.ends_with([' ', '\n']) && !self.inline.is_empty() {
                    self.inline.push(' ');
                }
            } else if in_code {
                self.inline.push(c);
            } else {
                if "\\*_[]<>`#~|&".contains(c) {
                    self.inline.push('\\');
                }
                self.inline.push(c);
            }
        }
    }

    fn open(&mut self, kind: SpanKind) {
        let start = self.inline.len();
        self.spans.push(Span { kind, start });
    }

    /// Closes the innermost span `is` matches (and any left open inside it), wrapping its
    /// text in the marker, with the spaces at its edges kept outside the marker so that it
    /// still counts as emphasis.
    fn close(&mut self, is: impl Fn(&SpanKind) -> bool) {
        let Some(at) = self.spans.iter().rposition(|s| is(&s.kind)) else {
            return;
        };
        while self.spans.len() > at {
            let Some(span) = self.spans.pop() else { break };
            let mut start = span.start.min(self.inline.len());
            while !self.inline.is_char_boundary(start) {
                start -= 1;
            }
            let content = self.inline.split_off(start);
            let trimmed = content.trim_matches([' ', '\n']);
            let lead = &content[..content.len() - content.trim_start_matches([' ', '\n']).len()];
            let trail = &content[content.trim_end_matches([' ', '\n']).len()..];
            let wrapped = match (&span.kind, trimmed.is_empty()) {
                (_, true) => String::new(),
                (SpanKind::Strong, _) => format!("**{trimmed}**"),
                (SpanKind::Em, _) => format!("*{trimmed}*"),
                (SpanKind::Strike, _) => format!("~~{trimmed}~~"),
                (SpanKind::Code, _) => {
                    let fence = "`".repeat(longest_run(trimmed, '`') + 1);
                    let pad = if trimmed.starts_with('`') || trimmed.ends_with('`') {
                        " "
                    } else {
                        ""
                    };
                    format!("{fence}{pad}{trimmed}{pad}{fence}")
                }
                (SpanKind::Link(Some(href)), _) => format!("[{trimmed}](<{href}>)"),
                (SpanKind::Link(None), _) => trimmed.to_owned(),
            };
            self.inline.push_str(lead);
            self.inline.push_str(&wrapped);
            self.inline.push_str(trail);
        }
    }

    /// An address kept for a link: http(s), mail and phone links, and paths; an address on the
    /// old site keeps only its path. Anything else (`javascript:`, `data:`) loses its link.
    fn href(&self, href: &str) -> Option<String> {
        let clean = |s: &str| {
            s.replace('<', "%3C")
                .replace('>', "%3E")
                .replace(' ', "%20")
        };
        if href.starts_with('/') && !href.starts_with("//") || href.starts_with('#') {
            return Some(clean(href));
        }
        let url = url::Url::parse(href).ok()?;
        match url.scheme() {
            "http" | "https" => {
                let old = self
                    .links
                    .base_host
                    .as_deref()
                    .is_some_and(|h| url.host_str().is_some_and(|u| u.eq_ignore_ascii_case(h)));
                if old && !url.path().starts_with("/wp-content/") {
                    Some(clean(&url[url::Position::BeforePath..]))
                } else {
                    Some(clean(url.as_str()))
                }
            }
            "mailto" | "tel" => Some(clean(url.as_str())),
            _ => None,
        }
    }

    /// Pressroom shows images only from its own site, so an image of the old site becomes a
    /// link to it (inside a link, its alternative text), with a warning to re-attach it.
    fn image(&mut self, src: Option<String>, alt: Option<String>) {
        let src = src.unwrap_or_default();
        let name = src.rsplit('/').next().unwrap_or_default().to_owned();
        let label = alt.filter(|a| !a.is_empty()).unwrap_or(name);
        let in_link = self
            .spans
            .iter()
            .any(|s| matches!(s.kind, SpanKind::Link(_)));
        if in_link {
            self.push_text(&label, false);
        } else if let Some(href) = self.href(&src) {
            let label = if label.is_empty() { "image" } else { &label };
            self.open(SpanKind::Link(Some(href)));
            self.push_text(label, false);
            self.close(|k| matches!(k, SpanKind::Link(_)));
        }
        self.warnings.push(format!(
            "an image in the text ({src}) became a link: Pressroom shows images only from its own site; add it again as the banner or an attachment if it matters"
        ));
    }

    /// Drops the text gathered so far (between table cells), and the spans that pointed into
    /// it.
    fn clear_inline(&mut self) {
        self.inline.clear();
        self.spans.clear();
    }

    fn push_frame(&mut self, frame: Frame) {
        self.frames.push(frame);
        self.next_id += 1;
        self.frame_ids.push(self.next_id);
    }

    fn pop_frame(&mut self) {
        self.frames.pop();
        self.frame_ids.pop();
    }

    fn in_item(&self) -> bool {
        self.frames.iter().any(|f| matches!(f, Frame::Item { .. }))
    }

    fn close_item(&mut self) {
        if matches!(self.frames.last(), Some(Frame::Item { .. })) {
            self.pop_frame();
        }
    }

    fn take_inline(&mut self) -> String {
        self.close(|_| true);
        let text = std::mem::take(&mut self.inline);
        let lines: Vec<&str> = text.split('\n').map(str::trim).collect();
        let mut joined = String::new();
        for line in lines.iter().filter(|l| !l.is_empty()) {
            if !joined.is_empty() {
                joined.push_str("\\\n");
            }
            joined.push_str(line);
        }
        joined
    }

    /// Ends the current block of text, if any.
    fn boundary(&mut self) {
        if self.table.as_ref().is_some_and(|t| t.cell.is_some()) {
            self.inline.push(' ');
            return;
        }
        let text = self.take_inline();
        let heading = self.heading.take();
        if text.trim_matches(['\u{a0}', ' ', '\\', '\n']).is_empty() {
            return;
        }
        let text = match heading {
            Some(level) => format!("{} {}", "#".repeat(level), text.replace("\\\n", " ")),
            None => escape_line_starts(&text),
        };
        self.block(text);
    }

    /// Writes a finished block with the prefixes of the containers it is in.
    fn block(&mut self, text: String) {
        if !self.out.is_empty() {
            let common = self
                .frame_ids
                .iter()
                .zip(&self.last_ids)
                .take_while(|(a, b)| a == b)
                .count();
            let blank: String = self.frames[..common]
                .iter()
                .map(|f| {
                    if matches!(f, Frame::Quote) {
                        "> "
                    } else {
                        "  "
                    }
                })
                .collect();
            if self.tight {
                self.out.push('\n');
            } else {
                self.out.push('\n');
                self.out.push_str(blank.trim_end());
                self.out.push('\n');
            }
        }
        self.tight = false;
        self.last_ids.clone_from(&self.frame_ids);
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.out.push('\n');
            }
            let prefix = self.prefix(true);
            self.out.push_str(&prefix);
            self.out.push_str(line);
        }
        while self.out.ends_with(' ') {
            self.out.pop();
        }
    }

    /// The prefix of the next line; `mark` writes a list item's marker once.
    fn prefix(&mut self, mark: bool) -> String {
        let mut prefix = String::new();
        for frame in &mut self.frames {
            match frame {
                Frame::Quote => prefix.push_str("> "),
                Frame::List { .. } => {}
                Frame::Item { marker, written } => {
                    if mark && !*written {
                        prefix.push_str(marker);
                        *written = true;
                    } else {
                        prefix.push_str(&" ".repeat(marker.len()));
                    }
                }
            }
        }
        prefix
    }

    fn write_table(&mut self, table: Table) {
        if let Some(text) = table_markdown(table.rows) {
            self.block(text);
        }
    }

    /// Writes preformatted text as a fenced code block, the fence longer than any run of
    /// backticks inside.
    fn close_pre(&mut self) {
        if let Some(code) = self.pre.take() {
            // Pressroom's question/answer markers are read line by line, even in code; a
            // zero-width space keeps such a line text.
            let mut code = code.trim_matches('\n').to_owned();
            if code.lines().any(|l| l.trim().starts_with(":::")) {
                self.warnings.push(
                    "a preformatted line starting with `:::` got a zero-width space so that it is not read as a question/answer block".into(),
                );
                code = code
                    .lines()
                    .map(|l| match l.trim_start().starts_with(":::") {
                        true => format!("\u{200b}{l}"),
                        false => l.to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
            }
            let code = code.as_str();
            let fence = "`".repeat(longest_run(code, '`').max(2) + 1);
            self.block(format!("{fence}\n{code}\n{fence}"));
        }
    }

    fn flush(&mut self) {
        self.boundary();
        self.close_pre();
    }
}

#[cfg(test)]
mod tests;
