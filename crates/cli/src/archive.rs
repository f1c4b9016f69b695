//! The backup file's format (`docs/backup.md`): a gzip-compressed tar archive whose first
//! member, `manifest.json`, names every other member with its size and SHA-256, followed by
//! the database as one JSON Lines member per table (`db/<table>.jsonl`, in load order), the
//! media files (`media/<key>`), the signing key (`keys/signing.key`) and the config file
//! (`config/pressroom.toml`, when the site has one).
//!
//! [`read`] walks an archive and checks it against its manifest — order, sizes, checksums,
//! every row's JSON — so a truncated, damaged or foreign file is refused before a restore
//! touches anything.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use anyhow::{Context, bail};
use pressroom_core::signing::to_hex;
use pressroom_store::{DumpRow, SCHEMA_VERSION, tables_at};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `format` every manifest names.
pub(crate) const FORMAT: &str = "pressroom-backup";

/// The version of this layout; a reader refuses a newer one.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// The name of the first member.
pub(crate) const MANIFEST: &str = "manifest.json";

/// The signing key's member.
pub(crate) const KEY: &str = "keys/signing.key";

/// The config file's member.
pub(crate) const CONFIG: &str = "config/pressroom.toml";

/// The media files' folder inside the archive.
pub(crate) const MEDIA: &str = "media/";

/// The member holding `table`'s rows.
pub(crate) fn table_member(table: &str) -> String {
    format!("db/{table}.jsonl")
}

/// What a backup holds, written first so a reader knows before it reads anything else.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The Pressroom release that wrote it.
    pub pressroom_version: String,
    /// The database's schema version (the migrations a restore runs).
    pub schema_version: i64,
    /// When the snapshot was taken.
    pub created_at: jiff::Timestamp,
    /// The backend it was taken from: `sqlite` or `postgres`.
    pub backend: String,
    /// Rows per table, in load order.
    pub tables: Vec<TableRows>,
    /// Every member after the manifest, in archive order.
    pub members: Vec<Member>,
}

/// One table's row count.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct TableRows {
    /// The table.
    pub name: String,
    /// How many rows its member holds.
    pub rows: u64,
}

/// One member of the archive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Member {
    /// Its path in the archive.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its bytes, in hex.
    pub sha256: String,
}

/// A writer that hashes and counts what goes through it.
pub(crate) struct Hashing<W> {
    inner: W,
    hash: Sha256,
    size: u64,
}

impl<W: Write> Hashing<W> {
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            hash: Sha256::new(),
            size: 0,
        }
    }

    /// The member record for what was written, and the inner writer.
    pub(crate) fn finish(self, path: String) -> (Member, W) {
        let member = Member {
            path,
            size: self.size,
            sha256: to_hex(&self.hash.finalize()),
        };
        (member, self.inner)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that counts the bytes taken from the file, for progress.
struct Counting<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// What [`read`] hands its caller for each member after the manifest.
pub(crate) enum Content {
    /// A row of the table named first.
    Row(String, DumpRow),
    /// A whole member that is not a table: a media file, the key file or the config file.
    File(String, Vec<u8>),
}

/// Why a file is not a backup that can be restored; everything here means "nothing changed".
fn damaged(file: &Path, what: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!(
        "{} is not a complete Pressroom backup: {what}. Nothing was changed; use another \
         copy of the backup, or make a new one with `pressroom backup`",
        file.display()
    )
}

/// Reads the archive at `path`: checks the manifest (format, versions, tables), then every
/// member against it, calling `each` with its contents as they arrive (rows one at a time).
/// `progress` is told the compressed bytes read so far and the file's size. A damaged,
/// truncated or reordered archive is an error naming the file and the member.
pub(crate) fn read(
    path: &Path,
    mut on_manifest: impl FnMut(&Manifest) -> anyhow::Result<()>,
    mut each: impl FnMut(Content) -> anyhow::Result<()>,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<Manifest> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let total = file.metadata()?.len();
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counting = Counting {
        inner: BufReader::new(file),
        read: read.clone(),
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(counting));
    let mut entries = archive
        .entries()
        .map_err(|e| damaged(path, format!("not a gzip-compressed tar archive ({e})")))?;
    let first = entries
        .next()
        .ok_or_else(|| damaged(path, "it is empty"))?
        .map_err(|e| damaged(path, format!("not a gzip-compressed tar archive ({e})")))?;
    let name = entry_path(&first);
    if name != MANIFEST {
        bail!(damaged(
            path,
            format!("its first member is `{name}`, not {MANIFEST}")
        ));
    }
    let mut text = String::new();
    { first }
        .take(16 * 1024 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| damaged(path, format!("{MANIFEST} cannot be read ({e})")))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| damaged(path, format!("{MANIFEST} is not valid ({e})")))?;
    check_manifest(path, &manifest)?;
    on_manifest(&manifest)?;

    let mut members = manifest.members.iter();
    for entry in entries {
        let entry = entry.map_err(|e| damaged(path, format!("it breaks off ({e})")))?;
        let name = entry_path(&entry);
        let Some(expected) = members.next() else {
            bail!(damaged(path, format!("`{name}` is not in {MANIFEST}")));
        };
        if name != expected.path {
            bail!(damaged(
                path,
                format!("found `{name}` where {MANIFEST} lists `{}`", expected.path)
            ));
        }
        let mut hashing = Hashing::new(std::io::sink());
        let mut reader = BufReader::new(entry);
        if let Some(table) = name
            .strip_prefix("db/")
            .and_then(|n| n.strip_suffix(".jsonl"))
        {
            let mut rows = 0_u64;
            let mut line = String::new();
            loop {
                line.clear();
                let n = reader
                    .read_line(&mut line)
                    .map_err(|e| damaged(path, format!("`{name}` breaks off ({e})")))?;
                if n == 0 {
                    break;
                }
                hashing.write_all(line.as_bytes())?;
                rows += 1;
                let row: DumpRow = serde_json::from_str(&line).map_err(|e| {
                    damaged(
                        path,
                        format!("line {rows} of `{name}` is not a JSON row ({e})"),
                    )
                })?;
                each(Content::Row(table.to_owned(), row))?;
                progress(read.load(std::sync::atomic::Ordering::Relaxed), total);
            }
            let listed = manifest.tables.iter().find(|t| t.name == table);
            if listed.map(|t| t.rows) != Some(rows) {
                bail!(damaged(
                    path,
                    format!(
                        "`{name}` holds {rows} rows, {MANIFEST} says {}",
                        listed.map_or(0, |t| t.rows)
                    )
                ));
            }
            check_member(path, hashing, expected)?;
        } else {
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .map_err(|e| damaged(path, format!("`{name}` breaks off ({e})")))?;
            hashing.write_all(&bytes)?;
            check_member(path, hashing, expected)?;
            each(Content::File(name, bytes))?;
            progress(read.load(std::sync::atomic::Ordering::Relaxed), total);
        }
    }
    if let Some(missing) = members.next() {
        bail!(damaged(
            path,
            format!("it ends before `{}` (the file was cut short)", missing.path)
        ));
    }
    progress(total, total);
    Ok(manifest)
}

fn entry_path<R: Read>(entry: &tar::Entry<'_, R>) -> String {
    entry
        .path()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn check_member(
    path: &Path,
    hashing: Hashing<std::io::Sink>,
    expected: &Member,
) -> anyhow::Result<()> {
    let (found, _) = hashing.finish(expected.path.clone());
    if found.size != expected.size || found.sha256 != expected.sha256 {
        bail!(damaged(
            path,
            format!(
                "`{}` does not match its checksum ({} bytes, SHA-256 {}; {MANIFEST} says {} \
                 bytes, {})",
                expected.path, found.size, found.sha256, expected.size, expected.sha256
            )
        ));
    }
    Ok(())
}

/// The manifest is one this binary can restore: its format and version, a schema it knows,
/// and exactly the tables of that schema, each with its member, and the key.
fn check_manifest(path: &Path, m: &Manifest) -> anyhow::Result<()> {
    if m.format != FORMAT {
        bail!(damaged(path, format!("its format is `{}`", m.format)));
    }
    if m.format_version > FORMAT_VERSION {
        bail!(
            "{} was written by Pressroom {} in backup format {}, newer than this pressroom \
             ({}) reads (up to {FORMAT_VERSION}); restore it with that release or a newer one. \
             Nothing was changed",
            path.display(),
            m.pressroom_version,
            m.format_version,
            env!("CARGO_PKG_VERSION")
        );
    }
    if m.schema_version > SCHEMA_VERSION {
        bail!(
            "{} holds a database at schema version {}, newer than this pressroom ({}) knows \
             (up to {SCHEMA_VERSION}); restore it with Pressroom {} or newer. Nothing was \
             changed",
            path.display(),
            m.schema_version,
            env!("CARGO_PKG_VERSION"),
            m.pressroom_version
        );
    }
    let expected: Vec<&str> = tables_at(m.schema_version).map(|t| t.name).collect();
    let listed: Vec<&str> = m.tables.iter().map(|t| t.name.as_str()).collect();
    if listed != expected {
        bail!(damaged(
            path,
            format!(
                "its tables ({}) are not those of schema version {} ({})",
                listed.join(", "),
                m.schema_version,
                expected.join(", ")
            )
        ));
    }
    let db_members: Vec<&str> = m
        .members
        .iter()
        .map(|m| m.path.as_str())
        .filter(|p| p.starts_with("db/"))
        .collect();
    let expected_members: Vec<String> = expected.iter().map(|t| table_member(t)).collect();
    if db_members != expected_members {
        bail!(damaged(
            path,
            "its database members do not match its tables"
        ));
    }
    if !m.members.iter().any(|m| m.path == KEY) {
        bail!(damaged(path, format!("it has no {KEY}")));
    }
    for member in &m.members {
        let known = member.path.starts_with("db/")
            || member.path == KEY
            || member.path == CONFIG
            || member
                .path
                .strip_prefix(MEDIA)
                .and_then(pressroom_media::MediaKey::parse)
                .is_some();
        if !known {
            bail!(damaged(
                path,
                format!(
                    "it lists a member `{}` Pressroom does not write",
                    member.path
                )
            ));
        }
    }
    Ok(())
}
