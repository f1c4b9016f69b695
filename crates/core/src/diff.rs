//! Line diffs between two texts, for comparing revisions and conflicting saves.
//!
//! Myers' algorithm from `similar`, in time and memory proportional to the texts and their
//! differences rather than to their product. A wholly rewritten or huge text could still take
//! long to diff minimally, so each diff has a [`DEADLINE`]: past it the rest is shown as removed
//! and added, which is correct, only coarser, and never a slow page.

use std::time::{Duration, Instant};

use serde::Serialize;
use similar::{Algorithm, ChangeTag, capture_diff_slices_deadline};

/// The longest a diff searches for the fewest changes before it settles for a coarser answer.
pub const DEADLINE: Duration = Duration::from_millis(200);

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", content = "text", rename_all = "lowercase")]
pub enum Line {
    /// In both.
    Same(String),
    /// Only in the old text.
    Removed(String),
    /// Only in the new text.
    Added(String),
}

/// The lines of `old` and `new`, marked as kept, removed or added, in order.
pub fn lines(old: &str, new: &str) -> Vec<Line> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    for (tag, run) in runs(&a, &b) {
        let make = match tag {
            ChangeTag::Equal => Line::Same,
            ChangeTag::Delete => Line::Removed,
            ChangeTag::Insert => Line::Added,
        };
        out.extend(run.iter().map(|l| make((*l).to_owned())));
    }
    out
}

/// The runs of `old` and `new` (lines or words) that are kept, removed or added, in order; a
/// replaced run comes as its removal followed by its addition. Shared by the line diff here and
/// the word diff of `verify`, so both have the same algorithm and deadline.
pub(crate) fn runs<'s, T: Eq + std::hash::Hash>(
    old: &'s [T],
    new: &'s [T],
) -> Vec<(ChangeTag, &'s [T])> {
    runs_within(old, new, DEADLINE)
}

/// [`runs`] with another deadline: the verify page answers readers while they wait, so its
/// word diff settles sooner than an editor's line diff.
pub(crate) fn runs_within<'s, T: Eq + std::hash::Hash>(
    old: &'s [T],
    new: &'s [T],
    within: Duration,
) -> Vec<(ChangeTag, &'s [T])> {
    let deadline = Instant::now().checked_add(within);
    capture_diff_slices_deadline(Algorithm::Myers, old, new, deadline)
        .iter()
        .flat_map(|op| op.iter_slices(old, new))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_changed_lines_and_keeps_the_rest() {
        let diff = lines("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(
            diff,
            vec![
                Line::Same("a".into()),
                Line::Removed("b".into()),
                Line::Added("B".into()),
                Line::Same("c".into()),
                Line::Added("d".into()),
            ]
        );
        assert!(
            lines("same", "same")
                .iter()
                .all(|l| matches!(l, Line::Same(_)))
        );
        assert_eq!(lines("", "x"), vec![Line::Added("x".into())]);
    }

    #[test]
    fn a_huge_rewrite_is_diffed_within_the_deadline_and_stays_correct() {
        // Repeating lines in different periods: many partial matches, the slow case for Myers.
        let old: String = (0..30_000).map(|i| format!("line {}\n", i % 7)).collect();
        let new: String = (0..30_000).map(|i| format!("line {}\n", i % 11)).collect();
        let started = Instant::now();
        let diff = lines(&old, &new);
        assert!(
            started.elapsed() < DEADLINE * 25,
            "took {:?}",
            started.elapsed()
        );
        let side = |keep: fn(&Line) -> Option<&String>| -> String {
            diff.iter()
                .filter_map(keep)
                .map(|l| format!("{l}\n"))
                .collect()
        };
        let before = side(|l| match l {
            Line::Same(t) | Line::Removed(t) => Some(t),
            Line::Added(_) => None,
        });
        let after = side(|l| match l {
            Line::Same(t) | Line::Added(t) => Some(t),
            Line::Removed(_) => None,
        });
        assert_eq!((before, after), (old, new));
    }
}
