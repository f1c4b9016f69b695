//! `pressroom subscribers import FILE`: a mailing list moved from an earlier system. Its
//! owners opted in there, so the imported addresses are confirmed at once; the list is
//! checked whole first, and one bad line imports nothing.
//!
//! The file is plain text, one subscriber per line:
//!
//! ```text
//! email,lang,frequency,languages,kinds,topics
//! reader@example.org,en
//! editor@example.az,az,daily,az en,press-release statement,energy
//! ```
//!
//! Only the address and the site language of its mails are required; `frequency` is
//! `immediate` (the default) or `daily`; the last three are lists separated by spaces and,
//! when empty, mean "all". Blank lines and lines starting with `#` are skipped, and so is a
//! first line starting with `email` (a header).

use std::path::Path;

use anyhow::{Context, bail};
use pressroom_core::subscription::Frequency;
use pressroom_store::{Choices, SubscriberEntry};

use crate::config::Config;

/// The most lines read from one file: a file far bigger is not a mailing list.
const MAX_LINES: usize = 1_000_000;

/// Reads the list; every malformed line is reported at once.
fn parse(text: &str) -> anyhow::Result<Vec<SubscriberEntry>> {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || (n == 0 && line.starts_with("email")) {
            continue;
        }
        let at = format!("line {}", n + 1);
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() < 2 || fields.len() > 6 {
            problems.push(format!(
                "{at}: expected `email,lang[,frequency[,languages[,kinds[,topics]]]]`, found {} field(s)",
                fields.len()
            ));
            continue;
        }
        let field = |i: usize| fields.get(i).copied().unwrap_or("");
        let frequency = match field(2) {
            "" => Frequency::Immediate,
            text => match Frequency::from_name(text) {
                Some(frequency) => frequency,
                None => {
                    problems.push(format!(
                        "{at}: frequency `{text}` is neither `immediate` nor `daily`"
                    ));
                    continue;
                }
            },
        };
        let list = |i: usize| field(i).split_whitespace().map(str::to_owned).collect();
        entries.push(SubscriberEntry {
            at,
            email: field(0).to_owned(),
            lang: field(1).to_owned(),
            choices: Choices {
                langs: list(3),
                kinds: list(4),
                topics: list(5),
                frequency,
            },
        });
    }
    if !problems.is_empty() {
        bail!(
            "nothing was imported; fix these lines and run the import again:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(entries)
}

/// `pressroom subscribers import FILE`.
pub(crate) async fn import(config: &Config, file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| {
        format!(
            "cannot read {} (a UTF-8 text file, one `email,lang` per line)",
            file.display()
        )
    })?;
    if text.lines().count() > MAX_LINES {
        bail!(
            "{} has more than {MAX_LINES} lines; split it into several files",
            file.display()
        );
    }
    let entries = parse(&text)?;
    if entries.is_empty() {
        bail!(
            "{} holds no subscriber; write one `email,lang` per line",
            file.display()
        );
    }
    let store = crate::commands::open_store(config).await?;
    let added = store.import_subscribers(&entries).await.map_err(|e| {
        anyhow::anyhow!("nothing was imported; fix the file and run the import again: {e}")
    })?;
    println!(
        "Imported {added} subscriber(s), confirmed; {} were already subscribed and kept their choices",
        entries.len() as u64 - added
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_entries() {
        let entries = parse(
            "email,lang,frequency\n# moved from the old list\n\nreader@example.org,en\n\
             b@example.az, az , daily, az en ,statement,energy water\n",
        )
        .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].at, "line 4");
        assert_eq!(entries[0].choices.frequency, Frequency::Immediate);
        let b = &entries[1];
        assert_eq!((b.email.as_str(), b.lang.as_str()), ("b@example.az", "az"));
        assert_eq!(b.choices.frequency, Frequency::Daily);
        assert_eq!(b.choices.langs, ["az", "en"]);
        assert_eq!(b.choices.topics, ["energy", "water"]);
    }

    #[test]
    fn every_bad_line_is_named() {
        let err = parse("a@example.org\nb@example.org,en,weekly\nc@example.org,en\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1: expected"), "{err}");
        assert!(err.contains("line 2: frequency `weekly`"), "{err}");
        assert!(!err.contains("line 3"), "{err}");
    }
}
