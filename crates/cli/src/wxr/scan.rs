//! The XML side of a WXR file: a quick-xml pull parser over the file, read one `<item>` (or
//! one `<wp:term>`) at a time, so memory is bounded by the largest post, never the export.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::WxrError;

/// A `BufRead` that counts the lines quick-xml has consumed, so each item can be named by its
/// line without a second look at the file.
pub struct Lines<R> {
    inner: BufReader<R>,
    newlines: u64,
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.newlines += memchr_count(&buf[..n]);
        Ok(n)
    }
}

impl<R: Read> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        let buffered = self.inner.buffer();
        self.newlines += memchr_count(&buffered[..amt.min(buffered.len())]);
        self.inner.consume(amt);
    }
}

fn memchr_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// One category-like term on an item: `<category domain="post_tag" nicename="media">Media`.
#[derive(Debug, Default, Clone)]
pub struct Category {
    pub domain: String,
    pub nicename: String,
    pub name: String,
}

/// Everything of an `<item>` the importer reads.
#[derive(Debug, Default)]
pub struct Item {
    pub line: u64,
    pub title: String,
    pub link: String,
    pub guid: String,
    pub content: String,
    pub excerpt: String,
    pub post_id: u64,
    pub post_date: String,
    pub post_date_gmt: String,
    pub post_name: String,
    pub status: String,
    pub post_type: String,
    pub post_parent: u64,
    pub attachment_url: String,
    pub categories: Vec<Category>,
    pub meta: Vec<(String, String)>,
}

impl Item {
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A `<wp:term>` of the channel (Polylang keeps its translation groups there).
#[derive(Debug, Default)]
pub struct Term {
    pub taxonomy: String,
    pub slug: String,
    pub description: String,
}

pub enum Node {
    Item(Box<Item>),
    Term(Term),
    BaseUrl(String),
}

pub struct Scanner {
    path: PathBuf,
    reader: Reader<Lines<File>>,
    buf: Vec<u8>,
    /// Open elements, with the line each opened on.
    stack: Vec<(Vec<u8>, u64)>,
    /// Post bodies are only read when they will be used (the second pass).
    pub want_text: bool,
    seen_root: bool,
}

impl Scanner {
    pub fn open(path: &Path) -> Result<Self, WxrError> {
        let file = File::open(path).map_err(|source| WxrError::Open {
            path: path.to_owned(),
            source,
        })?;
        let mut reader = Reader::from_reader(Lines {
            inner: BufReader::with_capacity(64 * 1024, file),
            newlines: 0,
        });
        reader.config_mut().check_end_names = true;
        Ok(Self {
            path: path.to_owned(),
            reader,
            buf: Vec::new(),
            stack: Vec::new(),
            want_text: false,
            seen_root: false,
        })
    }

    fn line(&self) -> u64 {
        self.reader.get_ref().newlines + 1
    }

    fn xml_error(&self, error: &quick_xml::Error) -> WxrError {
        let offset = self.reader.error_position();
        WxrError::Xml {
            path: self.path.clone(),
            line: line_at(&self.path, offset).unwrap_or_else(|_| self.line()),
            offset,
            message: error.to_string(),
        }
    }

    fn truncated(&self) -> WxrError {
        let (name, opened) = self
            .stack
            .iter()
            .rev()
            .find(|(n, _)| n == b"item")
            .or(self.stack.last())
            .cloned()
            .unwrap_or_default();
        WxrError::Truncated {
            path: self.path.clone(),
            line: self.line(),
            offset: self.reader.buffer_position(),
            element: String::from_utf8_lossy(&name).into_owned(),
            opened,
        }
    }

    /// The next item, term or site address; `None` at the end of a complete file.
    pub fn next_node(&mut self) -> Result<Option<Node>, WxrError> {
        let mut item: Option<Item> = None;
        let mut term: Option<Term> = None;
        let mut text = String::new();
        let mut category = Category::default();
        let mut meta_key = String::new();
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event.into_owned(),
                Err(_) if !self.seen_root => return Err(self.not_wxr("no XML at all")),
                // Every syntax error but one means the input ended inside a construct.
                Err(quick_xml::Error::Syntax(e))
                    if e != quick_xml::errors::SyntaxError::InvalidBangMarkup =>
                {
                    return Err(self.truncated());
                }
                Err(e) => return Err(self.xml_error(&e)),
            };
            match event {
                Event::Start(e) => {
                    if !self.seen_root {
                        self.check_root(&e)?;
                    }
                    let name = e.name().as_ref().to_vec();
                    let depth = self.stack.len();
                    self.stack.push((name.clone(), self.line()));
                    text.clear();
                    match name.as_slice() {
                        b"item" if depth == 2 => {
                            item = Some(Item {
                                line: self.line(),
                                ..Item::default()
                            });
                        }
                        b"wp:term" if depth == 2 => term = Some(Term::default()),
                        b"category" if item.is_some() => {
                            category = Category {
                                domain: attribute(&e, b"domain"),
                                nicename: attribute(&e, b"nicename"),
                                name: String::new(),
                            };
                        }
                        _ => {}
                    }
                }
                Event::Empty(e) if !self.seen_root => self.check_root(&e)?,
                Event::End(e) => {
                    let name = e.name().as_ref().to_vec();
                    self.stack.pop();
                    let depth = self.stack.len();
                    let value = std::mem::take(&mut text);
                    if let Some(t) = &mut term {
                        match name.as_slice() {
                            b"wp:term_taxonomy" => t.taxonomy = value,
                            b"wp:term_slug" => t.slug = value,
                            b"wp:term_description" => t.description = value,
                            b"wp:term" => return Ok(term.take().map(Node::Term)),
                            _ => {}
                        }
                        continue;
                    }
                    let Some(it) = &mut item else {
                        if name == b"wp:base_site_url" && depth == 2 {
                            return Ok(Some(Node::BaseUrl(value.trim().to_owned())));
                        }
                        continue;
                    };
                    // Comments (`wp:comment`) nest their own fields; none is read.
                    if self.stack.iter().any(|(n, _)| n == b"wp:comment") {
                        continue;
                    }
                    match name.as_slice() {
                        b"title" => it.title = super::tokens::plain(&value),
                        b"link" => it.link = value.trim().to_owned(),
                        b"guid" => it.guid = value.trim().to_owned(),
                        b"content:encoded" => it.content = value,
                        b"excerpt:encoded" => it.excerpt = value,
                        b"wp:post_id" => it.post_id = value.trim().parse().unwrap_or(0),
                        b"wp:post_date" => it.post_date = value.trim().to_owned(),
                        b"wp:post_date_gmt" => it.post_date_gmt = value.trim().to_owned(),
                        b"wp:post_name" => it.post_name = value.trim().to_owned(),
                        b"wp:status" => it.status = value.trim().to_owned(),
                        b"wp:post_type" => it.post_type = value.trim().to_owned(),
                        b"wp:post_parent" => it.post_parent = value.trim().parse().unwrap_or(0),
                        b"wp:attachment_url" => it.attachment_url = value.trim().to_owned(),
                        b"category" => {
                            let mut c = std::mem::take(&mut category);
                            c.name = super::tokens::plain(&value);
                            it.categories.push(c);
                        }
                        b"wp:meta_key" => meta_key = value,
                        b"wp:meta_value" => it.meta.push((std::mem::take(&mut meta_key), value)),
                        b"item" => return Ok(item.take().map(|i| Node::Item(Box::new(i)))),
                        _ => {}
                    }
                }
                Event::Text(t) => {
                    if self.keeps_text() {
                        match t.xml10_content() {
                            Ok(s) => text.push_str(&s),
                            Err(e) => return Err(self.xml_error(&e.into())),
                        }
                    } else if !self.seen_root && !t.iter().all(u8::is_ascii_whitespace) {
                        return Err(self.not_wxr("text before any element"));
                    }
                }
                Event::CData(t) if self.keeps_text() => match t.xml10_content() {
                    Ok(s) => text.push_str(&s),
                    Err(e) => return Err(self.xml_error(&e.into())),
                },
                Event::GeneralRef(r) if self.keeps_text() => text.push_str(&self.entity(&r)?),
                // Without quick-xml's `encoding` feature the reader takes UTF-8 only; WordPress
                // writes its `blog_charset`, UTF-8 on every site since 2007 but not always.
                Event::Decl(d) => {
                    if let Some(Ok(encoding)) = d.encoding() {
                        let encoding = String::from_utf8_lossy(&encoding).to_ascii_lowercase();
                        if !matches!(encoding.as_str(), "utf-8" | "utf8") {
                            return Err(WxrError::Encoding {
                                path: self.path.clone(),
                                encoding,
                            });
                        }
                    }
                }
                Event::Eof => {
                    if !self.seen_root {
                        return Err(self.not_wxr("no XML element at all"));
                    }
                    if !self.stack.is_empty() {
                        return Err(self.truncated());
                    }
                    return Ok(None);
                }
                _ => {}
            }
        }
    }

    /// Text is kept inside items and terms, and for the channel's fields; the body only when
    /// wanted.
    fn keeps_text(&self) -> bool {
        match self.stack.last().map(|(n, _)| n.as_slice()) {
            Some(b"content:encoded" | b"excerpt:encoded") => self.want_text,
            Some(_) => self.stack.len() > 2,
            None => false,
        }
    }

    /// An entity reference in text: a character (`&#8217;`) or one of XML's five.
    fn entity(&self, r: &BytesRef<'_>) -> Result<String, WxrError> {
        let resolved = match r.resolve_char_ref() {
            Ok(Some(c)) => Some(c.to_string()),
            Ok(None) => r
                .decode()
                .ok()
                .and_then(|n| quick_xml::escape::resolve_predefined_entity(&n).map(str::to_owned)),
            Err(e) => return Err(self.xml_error(&e)),
        };
        resolved.ok_or_else(|| WxrError::Xml {
            path: self.path.clone(),
            line: self.line(),
            offset: self.reader.buffer_position(),
            message: format!("unknown entity `&{};`", String::from_utf8_lossy(r)),
        })
    }

    fn not_wxr(&self, found: &str) -> WxrError {
        WxrError::NotWxr {
            path: self.path.clone(),
            found: found.to_owned(),
        }
    }

    fn check_root(&mut self, e: &BytesStart<'_>) -> Result<(), WxrError> {
        self.seen_root = true;
        let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
        if name != "rss" {
            return Err(self.not_wxr(&format!("its first element is <{name}>")));
        }
        let wp = attribute(e, b"xmlns:wp");
        if !wp.starts_with("http://wordpress.org/export/") {
            return Err(self.not_wxr(
                "an RSS feed without the WordPress namespace (xmlns:wp=\"http://wordpress.org/export/1.2/\")",
            ));
        }
        Ok(())
    }
}

fn attribute(e: &BytesStart<'_>, name: &[u8]) -> String {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
        .unwrap_or_default()
}

/// The line of byte `offset`, counted by reading the file again (only for an error).
fn line_at(path: &Path, offset: u64) -> io::Result<u64> {
    let mut reader = BufReader::new(File::open(path)?).take(offset);
    let mut lines = 1;
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut chunk)?;
        if n == 0 {
            return Ok(lines);
        }
        lines += memchr_count(&chunk[..n]);
    }
}

/// Reads a PHP-serialized array of string keys and integer values (`a:2:{s:2:"en";i:12;}`),
/// as Polylang stores a translation group. `None` for anything else.
pub fn php_string_int_map(text: &str) -> Option<Vec<(String, u64)>> {
    let rest = text.trim().strip_prefix("a:")?;
    let (count, rest) = rest.split_once(":{")?;
    let count: usize = count.parse().ok()?;
    let mut rest = rest;
    let mut out = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        let r = rest.strip_prefix("s:")?;
        let (len, r) = r.split_once(":\"")?;
        let len: usize = len.parse().ok()?;
        let key = r.get(..len)?;
        let r = r.get(len..)?.strip_prefix("\";")?;
        let r = r.strip_prefix("i:")?;
        let (value, r) = r.split_once(';')?;
        out.push((key.to_owned(), value.parse().ok()?));
        rest = r;
    }
    rest.starts_with('}').then_some(out)
}
