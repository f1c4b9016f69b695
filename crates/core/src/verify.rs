//! Checking a statement a reader brings: pasted text or a signed file.
//!
//! A reader copies text from a page, a message or a screenshot's transcript, so exact bytes
//! never survive: both sides go through [`normalise`] (Markdown markup dropped, every run of
//! whitespace one space) and are compared by hash. When nothing matches exactly, the closest
//! published revision is found by shared three-word shingles and the differences are shown
//! word by word, which is what tells a reader *what* a forger changed.

use std::collections::HashSet;

use serde::Serialize;
use similar::ChangeTag;

use crate::signing::{ReleasePayload, sha256_hex};
use crate::{diff, markdown};

/// The fewest words a pasted text must have to be checked: shorter texts match too much.
pub const MIN_WORDS: usize = 6;

/// The share of the pasted text's shingles that must come from one revision for it to count
/// as a modified version of that revision rather than an unrelated text. Half: a changed word
/// costs three shingles, so an edited paragraph stays well above it, while a made-up
/// statement that only borrows the ministry's name and stock phrases stays below.
pub const MIN_SIMILARITY: f64 = 0.5;

/// The labels the page prints above question and answer blocks, in the languages Pressroom
/// ships. A reader who copies an answer from the page copies them too, although they are not
/// part of the signed text; differences made only of these words are not modifications.
pub const PAGE_LABELS: &[&str] = &["Question", "Answer", "Sual", "Cavab", "Вопрос", "Ответ"];

/// Whether `diff` differs from the published text only by [`PAGE_LABELS`].
pub fn only_page_labels(diff: &[DiffPart]) -> bool {
    diff.iter().all(|d| {
        d.change == Change::Same
            || d.text
                .split(' ')
                .all(|w| PAGE_LABELS.contains(&w.trim_end_matches(':')))
    })
}

/// Text as compared: Markdown markup removed, whitespace collapsed to single spaces.
pub fn normalise(text: &str) -> String {
    markdown::plain_text(text)
}

/// The three ways a reader may quote a revision, normalised and hashed: the body alone, the
/// title and body, and title, lead and body.
pub fn fingerprints(title: &str, lead: &str, body: &str) -> [String; 3] {
    [
        sha256_hex(normalise(body).as_bytes()),
        sha256_hex(normalise(&format!("{title}\n\n{body}")).as_bytes()),
        sha256_hex(normalise(&format!("{title}\n\n{lead}\n\n{body}")).as_bytes()),
    ]
}

/// The full normalised text of a revision: title, lead and body.
pub fn full_text(title: &str, lead: &str, body: &str) -> String {
    normalise(&format!("{title}\n\n{lead}\n\n{body}"))
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Verdict {
    /// The text (or file) is what the site published.
    Genuine {
        /// The revision it matches.
        revision: Box<ReleasePayload>,
        /// The text is a passage of the revision, not all of it.
        excerpt: bool,
        /// A later revision replaced it ("genuine but changed later").
        changed_later: bool,
        /// The translation was withdrawn since.
        withdrawn: bool,
    },
    /// The text resembles a published revision but differs from it.
    Modified {
        /// The closest published revision.
        revision: Option<Box<ReleasePayload>>,
        /// The differences, in reading order.
        diff: Vec<DiffPart>,
        /// Why it counts as modified, in words.
        reason: String,
    },
    /// Nothing the site published resembles it.
    NotFound,
}

/// What a passage of a diff is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// In both texts.
    Same,
    /// Published, but missing from the text checked.
    Removed,
    /// In the text checked, but never published.
    Added,
}

/// A run of words of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffPart {
    /// Which side it belongs to.
    pub change: Change,
    /// The words.
    pub text: String,
}

fn shingles(words: &[&str]) -> HashSet<Vec<String>> {
    if words.len() < 3 {
        return std::iter::once(words.iter().map(|w| w.to_lowercase()).collect()).collect();
    }
    words
        .windows(3)
        .map(|w| w.iter().map(|x| x.to_lowercase()).collect())
        .collect()
}

/// How much of `checked` comes from `published`: the share of its shingles found there.
pub fn similarity(checked: &str, published: &str) -> f64 {
    let a: Vec<&str> = checked.split(' ').collect();
    let b: Vec<&str> = published.split(' ').collect();
    let (sa, sb) = (shingles(&a), shingles(&b));
    if sa.is_empty() {
        return 0.0;
    }
    let shared = sa.intersection(&sb).count();
    // Shingle counts are far below 2^52, so the conversions are exact.
    shared as f64 / sa.len() as f64
}

/// The part of `published` that `checked` quotes: from the first shared shingle to the end of
/// the last, so a modified quote of one paragraph is compared with that paragraph and not with
/// the whole release (words of `checked` outside it show as added).
pub fn quoted_window<'a>(checked: &str, published: &'a str) -> Vec<&'a str> {
    let words: Vec<&'a str> = published.split(' ').collect();
    let checked_words: Vec<&str> = checked.split(' ').collect();
    let wanted = shingles(&checked_words);
    let hits: Vec<usize> = words
        .windows(3)
        .enumerate()
        .filter(|(_, w)| wanted.contains(&w.iter().map(|x| x.to_lowercase()).collect::<Vec<_>>()))
        .map(|(i, _)| i)
        .collect();
    match (hits.first(), hits.last()) {
        (Some(&first), Some(&last)) => words[first..(last + 3).min(words.len())].to_vec(),
        _ => words,
    }
}

/// A word diff of `published` against `checked`, in runs of words of one kind (the same
/// algorithm and deadline as the line diffs of [`crate::diff`]).
pub fn diff_words(published: &[&str], checked: &[&str]) -> Vec<DiffPart> {
    let mut parts: Vec<DiffPart> = Vec::new();
    for (tag, words) in diff::runs(published, checked) {
        let change = match tag {
            ChangeTag::Equal => Change::Same,
            ChangeTag::Delete => Change::Removed,
            ChangeTag::Insert => Change::Added,
        };
        if words.is_empty() {
            continue;
        }
        let text = words.join(" ");
        match parts.last_mut() {
            Some(last) if last.change == change => {
                last.text.push(' ');
                last.text.push_str(&text);
            }
            _ => parts.push(DiffPart { change, text }),
        }
    }
    parts
}

/// Shortens long unchanged runs to their first and last few words, so the changes stand out.
pub fn condense(parts: Vec<DiffPart>, context: usize) -> Vec<DiffPart> {
    let count = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, mut part)| {
            if part.change != Change::Same {
                return part;
            }
            let words: Vec<&str> = part.text.split(' ').collect();
            let keep_head = if i == 0 { 0 } else { context };
            let keep_tail = if i + 1 == count { 0 } else { context };
            if words.len() > keep_head + keep_tail + 1 {
                let mut text = words[..keep_head].join(" ");
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push('…');
                if keep_tail > 0 {
                    text.push(' ');
                    text.push_str(&words[words.len() - keep_tail..].join(" "));
                }
                part.text = text;
            }
            part
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_spacing_do_not_matter() {
        assert_eq!(
            normalise("**Baku, 4 October.**  The minister\r\n met   *delegates*.\n\n- one\n- two"),
            "Baku, 4 October. The minister met delegates. one two"
        );
        let [body, title_body, full] = fingerprints("Title", "Lead.", "Body *text*.");
        assert_eq!(body, sha256_hex(b"Body text."));
        assert_eq!(title_body, sha256_hex(b"Title Body text."));
        assert_eq!(full, sha256_hex(b"Title Lead. Body text."));
    }

    #[test]
    fn similarity_measures_shared_phrases() {
        let published = "the minister met the delegation of the coastal states on monday";
        assert!(similarity(published, published) > 0.99);
        let changed = "the minister met the delegation of the desert states on monday";
        let s = similarity(changed, published);
        assert!(s > MIN_SIMILARITY && s < 1.0, "{s}");
        assert!(
            similarity(
                "completely unrelated words about football results",
                published
            ) < 0.01
        );
    }

    #[test]
    fn a_word_diff_shows_what_was_changed() {
        let published: Vec<&str> = "the dam reopens in spring after repairs"
            .split(' ')
            .collect();
        let checked: Vec<&str> = "the dam reopens in winter after repairs"
            .split(' ')
            .collect();
        let parts = diff_words(&published, &checked);
        assert_eq!(
            parts,
            vec![
                DiffPart {
                    change: Change::Same,
                    text: "the dam reopens in".into()
                },
                DiffPart {
                    change: Change::Removed,
                    text: "spring".into()
                },
                DiffPart {
                    change: Change::Added,
                    text: "winter".into()
                },
                DiffPart {
                    change: Change::Same,
                    text: "after repairs".into()
                },
            ]
        );
        let condensed = condense(parts, 2);
        assert_eq!(condensed[0].text, "… reopens in");
        assert_eq!(condensed[3].text, "after repairs");
    }

    #[test]
    fn the_quoted_window_is_the_quoted_paragraph() {
        let published = "one two three four five six seven eight nine ten eleven twelve thirteen \
                         fourteen fifteen sixteen seventeen eighteen nineteen twenty";
        let window = quoted_window("ten eleven twelve THIRTEEN", published);
        assert!(window.contains(&"ten") && window.contains(&"thirteen"));
        assert!(
            !window.contains(&"one") && !window.contains(&"twenty"),
            "{window:?}"
        );
    }
}
