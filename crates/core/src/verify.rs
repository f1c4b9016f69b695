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

/// Words per phrase: the three-word shingles both [`similarity`] and the phrase
/// fingerprints compare.
pub const PHRASE_WORDS: usize = 3;

/// Consecutive phrases per winnowing window: of every run of this many, the smallest
/// fingerprint is kept ([`phrase_fingerprints`]). With three-word phrases, any run of
/// [`MIN_WORDS`] words a pasted text shares with a revision holds a whole window, so it shares
/// at least one kept fingerprint, while only about 2 / (window + 1) of a text's phrases are
/// stored.
pub const PHRASE_WINDOW: usize = 4;

const _: () = assert!(PHRASE_WINDOW + PHRASE_WORDS - 1 <= MIN_WORDS);

/// FNV-1a over the lower-cased words of a phrase, each followed by a space. A fixed, written
/// down function rather than the standard library's hasher: the stored fingerprints must mean
/// the same to every later Pressroom.
fn phrase_hash(words: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    let mut buf = [0u8; 4];
    for word in words {
        for c in word.chars().flat_map(char::to_lowercase) {
            c.encode_utf8(&mut buf).bytes().for_each(&mut eat);
        }
        eat(b' ');
    }
    h
}

/// The hashes of a normalised text's three-word phrases, in reading order (a text of fewer
/// words is one phrase).
fn phrase_hashes(words: &[&str]) -> Vec<u64> {
    if words.len() < PHRASE_WORDS {
        return vec![phrase_hash(words)];
    }
    words.windows(PHRASE_WORDS).map(phrase_hash).collect()
}

/// The fingerprints the store keeps for a signed revision's normalised text (and computes
/// for a pasted one): the smallest phrase hash of every window of [`PHRASE_WINDOW`] phrases
/// ("winnowing"), as 32-bit numbers (a collision only adds a candidate, which the comparison
/// then rejects), sorted and without repeats. Texts sharing a passage of at least
/// [`MIN_WORDS`] words share a fingerprint, so the candidates for a pasted text are found by
/// a few index lookups instead of reading every revision.
pub fn phrase_fingerprints(normalised: &str) -> Vec<i64> {
    let words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let hashes: Vec<i64> = phrase_hashes(&words)
        .into_iter()
        // The high half, as a signed 32-bit number: small in either database.
        .map(|h| i64::from((h >> 32) as u32 as i32))
        .collect();
    let mut kept: Vec<i64> = if hashes.len() <= PHRASE_WINDOW {
        hashes.iter().min().copied().into_iter().collect()
    } else {
        hashes
            .windows(PHRASE_WINDOW)
            .filter_map(|w| w.iter().min().copied())
            .collect()
    };
    kept.sort_unstable();
    kept.dedup();
    kept
}

/// A checked text's phrases, hashed once so it can be compared with many revisions.
#[derive(Debug, Clone)]
pub struct Phrases(HashSet<u64>);

impl Phrases {
    /// The phrases of a normalised text.
    pub fn of(normalised: &str) -> Self {
        let words: Vec<&str> = normalised.split(' ').collect();
        Self(phrase_hashes(&words).into_iter().collect())
    }

    /// How much of the text comes from `published`: the share of its phrases found there.
    pub fn share_in(&self, published: &str) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let words: Vec<&str> = published.split(' ').collect();
        let theirs: HashSet<u64> = phrase_hashes(&words).into_iter().collect();
        let shared = self.0.iter().filter(|h| theirs.contains(h)).count();
        // Phrase counts are far below 2^52, so the conversions are exact.
        shared as f64 / self.0.len() as f64
    }
}

/// How much of `checked` comes from `published`: the share of its shingles found there.
pub fn similarity(checked: &str, published: &str) -> f64 {
    Phrases::of(checked).share_in(published)
}

/// The part of `published` that `checked` quotes: from the first shared shingle to the end of
/// the last, so a modified quote of one paragraph is compared with that paragraph and not with
/// the whole release (words of `checked` outside it show as added).
pub fn quoted_window<'a>(checked: &str, published: &'a str) -> Vec<&'a str> {
    let words: Vec<&'a str> = published.split(' ').collect();
    let wanted = Phrases::of(checked);
    let hits: Vec<usize> = if words.len() < PHRASE_WORDS {
        Vec::new()
    } else {
        words
            .windows(PHRASE_WORDS)
            .enumerate()
            .filter(|(_, w)| wanted.0.contains(&phrase_hash(w)))
            .map(|(i, _)| i)
            .collect()
    };
    match (hits.first(), hits.last()) {
        (Some(&first), Some(&last)) => {
            words[first..(last + PHRASE_WORDS).min(words.len())].to_vec()
        }
        _ => words,
    }
}

/// The longest the word diff of a modified text searches for the fewest changes before it
/// settles for a coarser one: a reader waits for it, and a megabyte pasted against a short
/// statement would otherwise take the line diff's whole deadline.
pub const WORD_DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_millis(20);

/// A word diff of `published` against `checked`, in runs of words of one kind (the same
/// algorithm as the line diffs of [`crate::diff`], with [`WORD_DIFF_DEADLINE`]).
pub fn diff_words(published: &[&str], checked: &[&str]) -> Vec<DiffPart> {
    let mut parts: Vec<DiffPart> = Vec::new();
    for (tag, words) in diff::runs_within(published, checked, WORD_DIFF_DEADLINE) {
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

    #[test]
    fn every_passage_of_six_words_shares_a_kept_fingerprint() {
        let published: Vec<String> = (0..200).map(|i| format!("w{}", i * 7919 % 1000)).collect();
        let text = published.join(" ");
        let kept = phrase_fingerprints(&text);
        // Winnowing keeps well under half the phrases.
        assert!(kept.len() < 198 / 2, "{}", kept.len());
        for start in 0..published.len() - MIN_WORDS {
            let passage = published[start..start + MIN_WORDS].join(" ").to_uppercase();
            let theirs = phrase_fingerprints(&passage);
            assert!(
                theirs.iter().any(|f| kept.binary_search(f).is_ok()),
                "the passage at {start} shares no fingerprint"
            );
        }
        assert!(phrase_fingerprints("").is_empty());
        assert_eq!(phrase_fingerprints("two words").len(), 1);
    }
}
