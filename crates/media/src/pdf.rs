//! What a PDF may not carry: script, actions that run when it is opened, commands that start
//! programs, and a web page behind its header (a file that is a PDF to one program and HTML to
//! another). Published attachments are opened by readers, so such a file is refused, as an
//! Office file with macros is.
//!
//! The check reads PDF *names* (`/JS`), decoding `#xx` escapes (`/J#53` is `/JS`), in the
//! file's bytes and inside compressed object streams (`/Type /ObjStm`, `/FlateDecode`),
//! where PDF 1.5+ keeps most dictionaries. It does not parse the document: a name anywhere,
//! even in a string, is enough to refuse, which is safe and rare in an ordinary document.

use std::io::Read;

use crate::error::MediaError;

/// Names that make a document act on its own, and how an editor is told about them, gravest
/// first.
const ACTIVE_NAMES: &[(&[u8], &str)] = &[
    (b"JS", "JavaScript"),
    (b"JavaScript", "JavaScript"),
    (b"Launch", "a command that starts another program"),
    (b"OpenAction", "an action that runs when it is opened"),
    (b"AA", "actions that run when it is opened or read"),
];

/// The most bytes inflated from object streams of one file. Object streams hold only
/// dictionaries, so real documents stay far below; a file beyond it cannot be checked.
const MAX_INFLATED: u64 = 64 << 20;

/// Refuses a PDF with active content or HTML; `Ok` for an ordinary document.
pub(crate) fn check_active_content(bytes: &[u8]) -> Result<(), MediaError> {
    if looks_like_html(&bytes[..bytes.len().min(1024)]) {
        return Err(MediaError::PdfWithHtml);
    }
    find_active_name(bytes)?;
    let mut budget = MAX_INFLATED;
    for data in object_streams(bytes) {
        let mut inflated = Vec::new();
        let read = flate2::read::ZlibDecoder::new(data)
            .take(budget + 1)
            .read_to_end(&mut inflated);
        // A damaged stream is still checked as far as it could be read.
        let _ = read;
        let used = inflated.len() as u64;
        if used > budget {
            return Err(MediaError::PdfTooComplex);
        }
        budget -= used;
        find_active_name(&inflated)?;
    }
    Ok(())
}

/// Whether the start of the file holds HTML (what a browser sniffing it would look for).
fn looks_like_html(head: &[u8]) -> bool {
    let lower = head.to_ascii_lowercase();
    [
        &b"<html"[..],
        b"<!doctype",
        b"<head",
        b"<body",
        b"<script",
        b"<iframe",
        b"<svg",
        b"<img",
        b"<meta",
    ]
    .iter()
    .any(|tag| lower.windows(tag.len()).any(|w| w == *tag))
}

/// Refuses `bytes` if they name any active feature, reporting the gravest (script first).
fn find_active_name(bytes: &[u8]) -> Result<(), MediaError> {
    let gravest = names(bytes)
        .filter_map(|name| ACTIVE_NAMES.iter().position(|(n, _)| *n == name.as_slice()))
        .min();
    match gravest {
        Some(i) => Err(MediaError::ActivePdf {
            what: ACTIVE_NAMES[i].1,
        }),
        None => Ok(()),
    }
}

/// A PDF delimiter or white-space byte: where a name ends.
fn ends_name(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    ) || matches!(b, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

/// Every name in `bytes` (without its `/`), with `#xx` escapes decoded.
fn names(bytes: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + bytes.get(at..)?.iter().position(|&b| b == b'/')? + 1;
        let len = bytes[start..]
            .iter()
            .position(|&b| ends_name(b))
            .unwrap_or(bytes.len() - start);
        at = start + len;
        Some(decode_name(&bytes[start..at]))
    })
}

fn decode_name(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let escaped = (raw[i] == b'#')
            .then(|| Some((hex(*raw.get(i + 1)?)?, hex(*raw.get(i + 2)?)?)))
            .flatten();
        match escaped {
            Some((hi, lo)) => {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(0));
                i += 3;
            }
            None => {
                out.push(raw[i]);
                i += 1;
            }
        }
    }
    out
}

/// The raw data of every Flate-compressed object stream.
fn object_streams(bytes: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        loop {
            let found = find(&bytes[at..], b"stream")? + at;
            at = found + b"stream".len();
            // `endstream` also contains the word; a stream keyword follows a dictionary.
            let before = bytes[..found].trim_ascii_end();
            if !before.ends_with(b">>") {
                continue;
            }
            let dict_start = before.len().saturating_sub(4096);
            let dict = &before[dict_start..];
            let dict = match rfind(dict, b"obj") {
                Some(i) => &dict[i..],
                None => dict,
            };
            let dict_names: Vec<Vec<u8>> = names(dict).collect();
            let has = |n: &[u8]| dict_names.iter().any(|d| d == n);
            if !(has(b"ObjStm") && has(b"FlateDecode")) {
                continue;
            }
            let mut start = at;
            if bytes.get(start) == Some(&b'\r') {
                start += 1;
            }
            if bytes.get(start) == Some(&b'\n') {
                start += 1;
            }
            let end = find(&bytes[start..], b"endstream").map_or(bytes.len(), |e| start + e);
            at = end;
            return Some(&bytes[start..end]);
        }
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_with_their_escapes_decoded() {
        let found: Vec<Vec<u8>> =
            names(b"<</Type/Catalog /J#53 (x) /Java#53cript/AAPL/A#41>>").collect();
        let found: Vec<&[u8]> = found.iter().map(Vec::as_slice).collect();
        assert_eq!(
            found,
            [
                &b"Type"[..],
                b"Catalog",
                b"JS",
                b"JavaScript",
                b"AAPL",
                b"AA"
            ]
        );
        assert_eq!(decode_name(b"A#4"), b"A#4", "an unfinished escape is kept");
    }
}
