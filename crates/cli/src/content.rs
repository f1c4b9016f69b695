//! `pressroom content export FILE`: every translation with its whole history as JSON Lines,
//! so a ministry's archive is never locked in. The format is `docs/content-export.md`'s:
//! one line per translation, in id order, whatever its state —
//!
//! ```text
//! {"format":"pressroom-content/1","release":{…},"translation":{…},"url":"https://…/en/releases/2021/367-…",
//!  "number":"No:367/21","revisions":[{…},…],"publications":[{…},…],"signed":[{…},…]}
//! ```
//!
//! `release`, `translation`, `revisions` (oldest first, with their Markdown bodies) and
//! `publications` are the records as the store keeps them; `signed` holds the signed form of
//! every published revision exactly as it was signed, so an export can be checked with
//! `pressroom verify`. `url` and `number` are empty until the translation is published. It is
//! not a snapshot (a publication during the export may or may not be in it; `pressroom
//! backup` takes one) and holds no personal data beyond the authors' user ids.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use pressroom_core::release::release_path;
use pressroom_core::signing::SignedDocument;
use pressroom_store::{Store, StoreError};
use serde_json::json;

use crate::config::Config;
use crate::progress::Progress;

/// The format's name and version, on every line.
pub(crate) const FORMAT: &str = "pressroom-content/1";
/// Translations read per page.
const PAGE: i64 = 500;

/// `pressroom content export FILE` (`-` for standard output).
pub(crate) async fn export(config: &Config, file: &Path) -> anyhow::Result<()> {
    let store = crate::commands::open_store(config).await?;
    let to_stdout = file.as_os_str() == "-";
    let mut partial = file.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let out: Box<dyn Write> = if to_stdout {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::fs::File::create(&partial).with_context(|| {
            format!(
                "cannot write {}; choose a file in a folder you can write to",
                partial.display()
            )
        })?)
    };
    let mut out = std::io::BufWriter::new(out);
    let written = write_all(&store, config, &mut out).await;
    let flushed = written.and_then(|n| {
        out.flush().context("cannot finish writing the export")?;
        Ok(n)
    });
    drop(out);
    match flushed {
        Ok(n) if !to_stdout => {
            std::fs::rename(&partial, file).with_context(|| {
                format!("cannot move {} to {}", partial.display(), file.display())
            })?;
            eprintln!("Exported {n} translation(s) to {}", file.display());
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => {
            if !to_stdout {
                // Never leave a file that looks like a whole export.
                let _ = std::fs::remove_file(&partial);
            }
            Err(e)
        }
    }
}

async fn write_all(store: &Store, config: &Config, out: &mut impl Write) -> anyhow::Result<u64> {
    let settings = store.site_settings().await?;
    let tz = settings.tz();
    let series = store.list_series().await?;
    let base = config.base_url.trim_end_matches('/');
    let total = u64::try_from(store.count_translations().await?).unwrap_or_default();
    let mut progress = Progress::new("exporting");
    let (mut after, mut done) = (0, 0_u64);
    loop {
        let ids = store.translation_ids_after(after, PAGE).await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        for id in ids {
            let translation = store.translation(id).await?;
            let release = store.release(translation.release_id).await?;
            let revisions = store.revisions(id).await?;
            let publications = store.publications(id).await?;
            let mut signed: Vec<SignedDocument> = Vec::with_capacity(publications.len());
            for publication in &publications {
                match store.signed_revision(publication.revision_id).await {
                    Ok(document) => signed.push(document),
                    // Published before signing existed: nothing was signed.
                    Err(StoreError::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            let published = release.first_published_at.is_some();
            let url = if published {
                format!(
                    "{base}{}",
                    release_path(&translation.lang, &release, &translation.slug, &tz)
                )
            } else {
                String::new()
            };
            let number = release
                .display_number(&series, &translation.lang, &tz)
                .unwrap_or_default();
            let line = json!({
                "format": FORMAT,
                "release": release,
                "translation": translation,
                "url": url,
                "number": number,
                "revisions": revisions,
                "publications": publications,
                "signed": signed,
            });
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")
                .context("cannot write the export (is the disk full?)")?;
            done += 1;
            progress.update(done, total.max(done));
        }
    }
    progress.finish();
    Ok(done)
}
