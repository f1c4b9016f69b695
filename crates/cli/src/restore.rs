//! `pressroom restore FILE`: a backup into the configured database, media storage and data
//! folder (or `--database URL` and `--data DIR`), which must hold no site.
//!
//! In three steps, so that a refusal changes nothing and a failure leaves nothing:
//! 1. the whole file is read and checked against its manifest (format and schema versions,
//!    every checksum, every row's JSON) before anything else is looked at;
//! 2. the target is checked: an empty database (`Store::check_restorable`), an empty media
//!    storage, no signing key;
//! 3. the file is read again and loaded: rows into one database transaction, media files into
//!    the storage, the key (mode 0600) and the config file into the data folder, and only
//!    then the transaction commits. If anything fails before, the rows roll back and the
//!    files this restore wrote are deleted (an SQLite file it created goes too).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use pressroom_core::signing::{Ed25519Key, from_hex};
use pressroom_media::{MediaKey, Storage};
use pressroom_store::Store;

use crate::archive::{self, CONFIG, Content, KEY, MEDIA, Manifest};
use crate::config::{self, Config};
use crate::progress::Progress;

/// Where the restore writes, as found before it starts.
struct Target {
    url: String,
    /// The SQLite file this restore creates, when there is none yet.
    new_sqlite: Option<PathBuf>,
    storage: std::sync::Arc<dyn Storage>,
    key_path: PathBuf,
    config_path: PathBuf,
}

/// What the load wrote outside the database, to delete if it fails.
#[derive(Default)]
struct Written {
    media: Vec<MediaKey>,
    files: Vec<PathBuf>,
    /// The settings of the restored config file that name places.
    places: Vec<String>,
}

/// `pressroom restore FILE [--database URL]`.
pub(crate) async fn restore(config: &Config, file: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let manifest = check_file(file).await?;
    let target = inspect(config, &manifest).await?;
    let mut written = Written::default();
    let rows = match load(config, file, &manifest, &target, &mut written).await {
        Ok(rows) => rows,
        Err(e) => return Err(undo(&target, written, e).await),
    };
    let media = written.media.len();
    println!(
        "Restored {rows} rows of {} tables, {media} media file(s), the signing key{} from {} \
         (taken {} on {}, Pressroom {}) in {:.1} s.",
        manifest.tables.len(),
        if manifest.members.iter().any(|m| m.path == CONFIG) {
            " and the config file"
        } else {
            ""
        },
        file.display(),
        manifest.created_at,
        manifest.backend,
        manifest.pressroom_version,
        started.elapsed().as_secs_f64()
    );
    if target.config_path.file_name() != Some(config::FILE_NAME.as_ref())
        && manifest.members.iter().any(|m| m.path == CONFIG)
    {
        println!(
            "This site's config file was kept; the backup's is in {} to compare.",
            target.config_path.display()
        );
    }
    if !written.places.is_empty() {
        println!(
            "The restored config file sets {}: check that they name this site's places, not \
             the old one's (this restore wrote to {}, {} and {}).",
            written.places.join(", "),
            crate::commands::redact(&target.url),
            target.storage.describe(),
            target.key_path.display()
        );
    }
    println!(
        "The search index is rebuilt when the site starts: pressroom serve --data {}",
        config.data_dir.display()
    );
    Ok(())
}

/// Step 1: the whole file against its manifest; changes nothing.
async fn check_file(file: &Path) -> anyhow::Result<Manifest> {
    let path = file.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut progress = Progress::new("checking the backup (bytes)");
        let manifest = archive::read(
            &path,
            |_| Ok(()),
            |_| Ok(()),
            |done, total| progress.update(done, total),
        );
        progress.finish();
        manifest
    })
    .await?
}

/// Step 2: the target holds no site; changes nothing.
async fn inspect(config: &Config, manifest: &Manifest) -> anyhow::Result<Target> {
    let storage = config.media_storage()?;
    let stored = storage.list().await?;
    if !stored.is_empty() {
        bail!(
            "the media storage {} already holds {} file(s); restore into an empty folder or \
             bucket (media_store, or a new --data folder). Nothing was changed",
            storage.describe(),
            stored.len()
        );
    }
    let key_path = config.signing_key_path();
    if key_path.exists() {
        bail!(
            "{} already exists: this data folder belongs to a site. Restore into a new folder \
             with --data, or move that key away if the site is really to be replaced. Nothing \
             was changed",
            key_path.display()
        );
    }
    let url = config.database_url();
    let default_db = config.data_dir.join("pressroom.db");
    let new_sqlite = (config.database_url.is_empty() && !default_db.exists()).then_some(default_db);
    if new_sqlite.is_none() {
        let store = Store::connect(&url).await.with_context(|| {
            format!("cannot open the database {}", crate::commands::redact(&url))
        })?;
        let checked = store.check_restorable(manifest.schema_version).await;
        store.close().await;
        checked.map_err(|e| anyhow!("{e}. Nothing was changed"))?;
    }
    let site_file = config.data_dir.join(config::FILE_NAME);
    let config_path = if config.file.is_some() || site_file.exists() {
        config
            .data_dir
            .join(format!("{}.from-backup", config::FILE_NAME))
    } else {
        site_file
    };
    Ok(Target {
        url,
        new_sqlite,
        storage,
        key_path,
        config_path,
    })
}

/// Step 3: reads the file again and writes it into the target; returns the rows restored.
async fn load(
    config: &Config,
    file: &Path,
    checked: &Manifest,
    target: &Target,
    written: &mut Written,
) -> anyhow::Result<u64> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data folder {}",
            config.data_dir.display()
        )
    })?;
    let store = Store::connect(&target.url).await?;
    let mut loader = match store.begin_restore(checked.schema_version).await {
        Ok(loader) => loader,
        Err(e) => {
            store.close().await;
            return Err(e.into());
        }
    };
    let (sender, mut received) = tokio::sync::mpsc::channel::<Content>(64);
    let path = file.to_path_buf();
    let expected = checked.members.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let mut progress = Progress::new("restoring (bytes)");
        let read = archive::read(
            &path,
            |again| {
                if again.members != expected {
                    bail!("{} changed while it was being restored", path.display());
                }
                Ok(())
            },
            |content| {
                sender
                    .blocking_send(content)
                    .map_err(|_| anyhow!("the restore stopped"))
            },
            |done, total| progress.update(done, total),
        );
        progress.finish();
        read
    });
    let mut key = None;
    let mut site_config = None;
    let applied: anyhow::Result<()> = async {
        while let Some(content) = received.recv().await {
            match content {
                // The store's errors name the table (a batch may fail at the next one).
                Content::Row(table, row) => loader.insert(&table, row).await?,
                Content::File(path, bytes) if path == KEY => key = Some(bytes),
                Content::File(path, bytes) if path == CONFIG => site_config = Some(bytes),
                Content::File(path, bytes) => {
                    let key = path
                        .strip_prefix(MEDIA)
                        .and_then(MediaKey::parse)
                        .ok_or_else(|| anyhow!("`{path}` is not a media file"))?;
                    target.storage.put(&key, Bytes::from(bytes)).await?;
                    written.media.push(key);
                }
            }
        }
        Ok(())
    }
    .await;
    drop(received);
    let read = reader.await?;
    let done = applied.and(read.map(|_| ()));
    let done = match done {
        Ok(()) => write_files(target, key, site_config, written),
        Err(e) => Err(e),
    };
    if let Err(e) = done {
        let _ = loader.abort().await;
        store.close().await;
        return Err(e);
    }
    let rows = loader.commit().await;
    store.close().await;
    Ok(rows?)
}

/// The key (mode 0600, checked to be a key) and the config file.
fn write_files(
    target: &Target,
    key: Option<Vec<u8>>,
    site_config: Option<Vec<u8>>,
    written: &mut Written,
) -> anyhow::Result<()> {
    let key = key.ok_or_else(|| anyhow!("the backup has no {KEY}"))?;
    let seed: [u8; 32] = std::str::from_utf8(&key)
        .ok()
        .and_then(|t| from_hex(t.trim()))
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow!("{KEY} in the backup is not a Pressroom signing key"))?;
    crate::authenticity::write_new(&target.key_path, &Ed25519Key::from_seed(&seed))?;
    written.files.push(target.key_path.clone());
    if let Some(text) = site_config {
        written.places = places(&text);
        // The config may hold secrets (the metrics token, the SMTP password).
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&target.config_path)
            .with_context(|| format!("cannot create {}", target.config_path.display()))?;
        written.files.push(target.config_path.clone());
        file.write_all(&text)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", target.config_path.display()))?;
    }
    Ok(())
}

/// The settings of a restored config file that name places (which may be the old site's).
fn places(config: &[u8]) -> Vec<String> {
    let Ok(table) = std::str::from_utf8(config)
        .unwrap_or("")
        .parse::<toml::Table>()
    else {
        return Vec::new();
    };
    [
        "data_dir",
        "database_url",
        "media_store",
        "signing_key",
        "theme_dir",
    ]
    .iter()
    .filter(|k| table.get(**k).is_some_and(|v| v.as_str() != Some("")))
    .map(|k| (*k).to_owned())
    .collect()
}

/// Deletes what a failed load wrote outside the database (the rows were rolled back) and
/// says what state the target is in.
async fn undo(target: &Target, written: Written, cause: anyhow::Error) -> anyhow::Error {
    let mut left = Vec::new();
    for key in &written.media {
        if target.storage.delete(key).await.is_err() {
            left.push(key.to_string());
        }
    }
    for file in &written.files {
        let _ = std::fs::remove_file(file);
    }
    let database = match &target.new_sqlite {
        Some(db) => {
            for suffix in ["", "-wal", "-shm"] {
                let mut name = db.as_os_str().to_owned();
                name.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(name));
            }
            "the database file it created was removed".to_owned()
        }
        None => "the database holds no rows (its schema may have been built), so the restore \
                 can be run again"
            .to_owned(),
    };
    let media = if left.is_empty() {
        "the media files it wrote were deleted".to_owned()
    } else {
        format!(
            "{} media file(s) could not be deleted from {} ({}); delete them before trying again",
            left.len(),
            target.storage.describe(),
            left.join(", ")
        )
    };
    cause.context(format!(
        "the restore failed and was undone: {database}; {media}"
    ))
}
