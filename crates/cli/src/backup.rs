//! `pressroom backup FILE`: everything a site needs in one file, taken while it serves — the
//! database as a logical dump read in one snapshot (`Store::snapshot`), the media files from
//! the configured storage, the signing key and the config file (format: `archive`).
//!
//! The members are first written to a private staging folder beside FILE (the manifest that
//! leads the archive needs every member's checksum), then packed into `FILE.partial`, which is
//! renamed to FILE only when complete: a failed backup never leaves a file that looks whole.
//! FILE holds the signing key, so it is created readable by its owner only (mode 0600).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use jiff::Timestamp;
use pressroom_media::MediaKey;

use crate::archive::{
    CONFIG, FORMAT, FORMAT_VERSION, Hashing, KEY, MANIFEST, MEDIA, Manifest, TableRows,
    table_member,
};
use crate::commands::open_store;
use crate::config::Config;
use crate::progress::Progress;

/// `pressroom backup FILE`.
pub(crate) async fn backup(config: &Config, file: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        bail!(
            "{} is not a folder; create it first or write the backup elsewhere",
            folder.display()
        );
    }
    if file.is_dir() {
        bail!(
            "{} is a folder; name the backup file, such as {}/site.tar.gz",
            file.display(),
            file.display()
        );
    }
    let store = open_store(config).await?;
    let storage = config.media_storage()?;
    let key_path = config.signing_key_path();
    // Checks the key the way the server reads it (a key others can read is refused).
    crate::authenticity::load(&key_path)?;
    let key = std::fs::read(&key_path)
        .with_context(|| format!("cannot read the signing key {}", key_path.display()))?;
    let site_config = match &config.file {
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("cannot read the config file {}", path.display()))?,
        ),
        None => None,
    };
    let staging = tempfile::Builder::new()
        .prefix(".pressroom-backup-")
        .tempdir_in(&folder)
        .with_context(|| format!("cannot create a staging folder in {}", folder.display()))?;

    let created_at = Timestamp::now();
    let mut snapshot = store.snapshot().await?;
    let backend = match snapshot.backend() {
        pressroom_store::Backend::Sqlite => "sqlite",
        pressroom_store::Backend::Postgres => "postgres",
    };
    let counts = snapshot.row_counts().await?;
    let total_rows: u64 = counts.iter().map(|(_, n)| n).sum();
    let mut members = Vec::new();
    let mut tables = Vec::new();
    let mut recorded = BTreeSet::new();
    let mut progress = Progress::new("dumping rows");
    let mut done = 0_u64;
    std::fs::create_dir(staging.path().join("db"))?;
    for table in snapshot.tables() {
        let path = table_member(table.name);
        let out = File::create(staging.path().join(&path))
            .with_context(|| format!("cannot write in {}", staging.path().display()))?;
        let mut w = Hashing::new(BufWriter::new(out));
        let rows = snapshot
            .rows::<anyhow::Error>(table.name, |row| {
                if table.name == "media_files"
                    && let Some(serde_json::Value::String(key)) = row.get("storage_key")
                {
                    recorded.insert(key.clone());
                }
                serde_json::to_writer(&mut w, &row)?;
                w.write_all(b"\n")?;
                done += 1;
                progress.update(done, total_rows);
                Ok(())
            })
            .await?;
        let (member, out) = w.finish(path);
        out.into_inner().map_err(|e| e.into_error())?;
        tables.push(TableRows {
            name: table.name.to_owned(),
            rows,
        });
        members.push(member);
    }
    progress.finish();
    let schema_version = snapshot.schema_version();
    snapshot.finish().await?;
    store.close().await;

    // Media: every file the snapshot records, and every other Pressroom file stored (an
    // upload recorded after the snapshot; harmless, and `media gc` tidies it later).
    let listed = storage.list().await?;
    let mut keys = recorded.clone();
    let mut sizes = 0_u64;
    for object in &listed {
        if MediaKey::parse(&object.key).is_some() {
            sizes += object.size;
            keys.insert(object.key.clone());
        }
    }
    let mut progress = Progress::new("copying media (bytes)");
    let mut copied = 0_u64;
    let mut missing = Vec::new();
    for key in &keys {
        let Some(media_key) = MediaKey::parse(key) else {
            missing.push(key.clone());
            continue;
        };
        let Some(bytes) = storage.get(&media_key).await? else {
            missing.push(key.clone());
            continue;
        };
        let path = format!("{MEDIA}{key}");
        let staged = staging.path().join(&path);
        if let Some(dir) = staged.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut w = Hashing::new(File::create(&staged)?);
        w.write_all(&bytes)?;
        members.push(w.finish(path).0);
        copied += bytes.len() as u64;
        progress.update(copied, sizes.max(copied));
    }
    progress.finish();
    for key in &missing {
        eprintln!(
            "warning: the database records the media file {key}, but {} does not hold it; \
             the backup goes on without it",
            storage.describe()
        );
    }
    let mut small = vec![(KEY, key)];
    if let Some(text) = site_config {
        small.push((CONFIG, text));
    }
    for (path, bytes) in &small {
        let mut w = Hashing::new(std::io::sink());
        w.write_all(bytes)?;
        members.push(w.finish((*path).to_owned()).0);
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        pressroom_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version,
        created_at,
        backend: backend.to_owned(),
        tables,
        members,
    };

    let partial = partial_path(file);
    let written = write_archive(&partial, &manifest, staging.path(), &small, created_at);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e.context(format!(
            "the backup was not written; {} was removed",
            partial.display()
        )));
    }
    std::fs::rename(&partial, file)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), file.display()))?;
    if let Ok(dir) = File::open(&folder) {
        let _ = dir.sync_all();
    }
    let size = std::fs::metadata(file)?.len();
    let media_files = keys.len() - missing.len();
    println!(
        "Backed up {total_rows} rows of {} tables, {media_files} media file(s) ({:.1} MB), the \
         signing key{} to {} ({:.1} MB) in {:.1} s.",
        manifest.tables.len(),
        copied as f64 / 1e6,
        if config.file.is_some() {
            " and the config file"
        } else {
            ""
        },
        file.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    println!(
        "The file holds the site's signing key: it is readable by you only (mode 0600); keep \
         every copy as secret as the key."
    );
    if !missing.is_empty() {
        println!(
            "{} recorded media file(s) were missing; see the warnings above.",
            missing.len()
        );
    }
    Ok(())
}

/// `FILE.partial`, beside FILE.
fn partial_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    file.with_file_name(name)
}

/// Packs the manifest, the staged members and the small in-memory ones into `path`.
fn write_archive(
    path: &Path,
    manifest: &Manifest,
    staging: &Path,
    small: &[(&str, Vec<u8>)],
    created_at: Timestamp,
) -> anyhow::Result<()> {
    let out = secret_file(path)?;
    let gzip = flate2::write::GzEncoder::new(BufWriter::new(out), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gzip);
    let mtime = u64::try_from(created_at.as_second()).unwrap_or(0);
    let text = serde_json::to_vec_pretty(manifest)?;
    append(&mut tar, MANIFEST, text.len() as u64, &text[..], mtime)?;
    let total: u64 = manifest.members.iter().map(|m| m.size).sum();
    let mut progress = Progress::new("writing the archive (bytes)");
    let mut done = 0_u64;
    for member in &manifest.members {
        match small.iter().find(|(p, _)| *p == member.path) {
            Some((_, bytes)) => append(&mut tar, &member.path, member.size, &bytes[..], mtime)?,
            None => {
                let staged = File::open(staging.join(&member.path))?;
                append(&mut tar, &member.path, member.size, staged, mtime)?;
            }
        }
        done += member.size;
        progress.update(done, total);
    }
    progress.finish();
    let gzip = tar.into_inner()?;
    let out = gzip.finish()?.into_inner().map_err(|e| e.into_error())?;
    out.sync_all()?;
    Ok(())
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    size: u64,
    data: impl Read,
    mtime: u64,
) -> anyhow::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    tar.append_data(&mut header, path, data)
        .with_context(|| format!("cannot write {path} into the archive"))
}

/// Creates (or truncates) `path` readable and writable by its owner only.
fn secret_file(path: &Path) -> anyhow::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    // A `.partial` left by an earlier failed run keeps its old mode when truncated.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}
