//! `pressroom media gc`: deletes stored files that no revision shows any more. It never runs
//! by itself: deleting is the operator's decision, and `--dry-run` shows what it would do.

use std::time::SystemTime;

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use pressroom_media::MediaKey;

use crate::commands::open_store;
use crate::config::Config;

/// `pressroom media gc [--dry-run] [--min-age-hours N]`.
pub(crate) async fn gc(config: &Config, dry_run: bool, min_age_hours: u32) -> anyhow::Result<()> {
    let storage = config.media_storage()?;
    let store = open_store(config).await?;
    let cutoff = Timestamp::now() - SignedDuration::from_hours(i64::from(min_age_hours));
    let cutoff_time = SystemTime::try_from(cutoff).context("the cut-off time")?;
    // Files stored but never recorded (an upload interrupted between the two), listed before
    // the records are read so a file recorded meanwhile is never among them.
    let listed = storage.list().await?;
    let known = store.media_keys().await?;
    let unrecorded: Vec<(MediaKey, u64)> = listed
        .into_iter()
        .filter(|o| o.modified < cutoff_time && !known.contains(&o.key))
        // Only files Pressroom names: anything else in the folder or bucket is left alone.
        .filter_map(|o| MediaKey::parse(&o.key).map(|k| (k, o.size)))
        .collect();
    let garbage = if dry_run {
        store.media_garbage(cutoff).await?
    } else {
        store.delete_media_garbage(cutoff).await?
    };
    let files: Vec<(String, u64)> = garbage
        .files
        .iter()
        .cloned()
        .chain(unrecorded.iter().map(|(k, s)| (k.to_string(), *s)))
        .collect();
    if files.is_empty() && garbage.banners == 0 && garbage.attachments == 0 {
        println!(
            "Nothing to delete in {}: every file is shown by a revision or younger than {min_age_hours} hours.",
            storage.describe()
        );
        return Ok(());
    }
    let verb = if dry_run { "Would delete" } else { "Deleting" };
    for (key, size) in &files {
        println!("{verb} {key} ({size} bytes)");
    }
    if !dry_run {
        // The records are gone (committed), so no page names these files any more.
        for (key, _) in &files {
            if let Some(key) = MediaKey::parse(key) {
                storage
                    .delete(&key)
                    .await
                    .with_context(|| format!("deleting {key}; run the command again to retry"))?;
            }
        }
    }
    let total: u64 = files.iter().map(|(_, s)| s).sum();
    println!(
        "{} {} file(s), {:.1} MB, from {} ({} unused banner(s), {} unused attachment(s), {} file(s) never recorded).",
        if dry_run { "Would delete" } else { "Deleted" },
        files.len(),
        total as f64 / 1e6,
        storage.describe(),
        garbage.banners,
        garbage.attachments,
        unrecorded.len(),
    );
    if dry_run {
        println!("Nothing was changed. Run without --dry-run to delete.");
    }
    Ok(())
}
