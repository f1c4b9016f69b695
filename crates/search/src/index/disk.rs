//! The index folder on disk.
//!
//! ```text
//! search/                     the folder the caller gives (the data folder's `search/`)
//!   pressroom-search.lock     held (an OS file lock) by the one process using the folder
//!   CURRENT                   the name of the generation being served, replaced atomically
//!   index-000007/             a generation: one tantivy index
//!   index-000008/             a rebuild in progress, or one that a crash left behind
//! ```
//!
//! A rebuild writes a new generation beside the served one and then replaces `CURRENT`
//! (write a temporary file, fsync, rename, fsync the folder), so a crash at any moment leaves
//! either the old or the new generation named, never half of one. Folders `CURRENT` does not
//! name are removed when the index is opened and after a swap.
//!
//! Each commit carries a payload `{"format":N,"seq":S}`: the format version (the schema and
//! analysis this code writes) and the change-stream sequence the index reflects, committed in
//! the same atomic step as the documents.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::Index;

use super::{FORMAT_VERSION, RebuildReason};
use crate::error::SearchError;
use crate::schema::{Fields, register_tokenizers};

const CURRENT: &str = "CURRENT";
const CURRENT_TMP: &str = "CURRENT.tmp";
const LOCK: &str = "pressroom-search.lock";
const GENERATION_PREFIX: &str = "index-";

/// What each commit records beside the documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Payload {
    /// The format version that wrote the index.
    pub(crate) format: u32,
    /// The last change-stream sequence applied.
    pub(crate) seq: u64,
}

impl Payload {
    pub(crate) fn to_json(self) -> String {
        // Serialising two integers cannot fail; the fallback keeps the signature honest.
        serde_json::to_string(&self)
            .unwrap_or_else(|_| format!(r#"{{"format":{},"seq":{}}}"#, self.format, self.seq))
    }
}

/// Takes the folder for this process: creates it if needed and holds its lock file for as
/// long as the returned file lives.
pub(crate) fn lock_folder(dir: &Path) -> Result<File, SearchError> {
    fs::create_dir_all(dir).map_err(SearchError::io(dir))?;
    let path = dir.join(LOCK);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(SearchError::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(SearchError::Busy(dir.to_owned())),
        Err(TryLockError::Error(e)) => Err(SearchError::Io { path, source: e }),
    }
}

fn is_generation_name(name: &str) -> bool {
    name.strip_prefix(GENERATION_PREFIX)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The generation `CURRENT` names, if there is one.
pub(crate) fn read_current(dir: &Path) -> Result<String, RebuildReason> {
    let path = dir.join(CURRENT);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(RebuildReason::Missing),
        Err(e) => return Err(RebuildReason::Corrupt(format!("{}: {e}", path.display()))),
    };
    let name = text.trim();
    if !is_generation_name(name) {
        return Err(RebuildReason::Corrupt(format!(
            "{} names `{name}`, which is not an index folder",
            path.display()
        )));
    }
    if !dir.join(name).is_dir() {
        return Err(RebuildReason::Missing);
    }
    Ok(name.to_owned())
}

/// Makes `name` the served generation, atomically.
pub(crate) fn write_current(dir: &Path, name: &str) -> Result<(), SearchError> {
    let tmp = dir.join(CURRENT_TMP);
    let mut file = File::create(&tmp).map_err(SearchError::io(&tmp))?;
    file.write_all(format!("{name}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(SearchError::io(&tmp))?;
    let current = dir.join(CURRENT);
    fs::rename(&tmp, &current).map_err(SearchError::io(&current))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(SearchError::io(dir))
}

/// A name for a new generation, after every one in the folder.
pub(crate) fn next_generation(dir: &Path) -> Result<(String, PathBuf), SearchError> {
    let mut highest = 0u64;
    for entry in fs::read_dir(dir).map_err(SearchError::io(dir))? {
        let entry = entry.map_err(SearchError::io(dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if is_generation_name(&name)
            && let Ok(n) = name[GENERATION_PREFIX.len()..].parse::<u64>()
        {
            highest = highest.max(n);
        }
    }
    let name = format!("{GENERATION_PREFIX}{:06}", highest + 1);
    let path = dir.join(&name);
    fs::create_dir(&path).map_err(SearchError::io(&path))?;
    Ok((name, path))
}

/// Removes every generation but `keep` (all of them when `keep` is `None`). Best effort: a
/// folder that cannot be removed now is tried again at the next open.
pub(crate) fn remove_stale(dir: &Path, keep: Option<&str>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if is_generation_name(&name) && Some(name.as_ref()) != keep {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
    let _ = fs::remove_file(dir.join(CURRENT_TMP));
}

/// Opens the generation at `path` and checks that it can be served: tantivy opens it, every
/// segment file's checksum holds, its payload is this format's, its schema is this code's,
/// and a searcher can be made from it.
pub(crate) fn check(path: &Path) -> Result<(Index, Payload), RebuildReason> {
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        RebuildReason::Corrupt(format!("{}: {what}: {e}", path.display()))
    };
    let index = Index::open_in_dir(path).map_err(|e| corrupt("cannot open", &e))?;
    register_tokenizers(&index);
    let metas = index
        .load_metas()
        .map_err(|e| corrupt("cannot read its metadata", &e))?;
    let payload: Payload = metas
        .payload
        .as_deref()
        .ok_or_else(|| corrupt("no commit metadata", &"written by something else"))
        .and_then(|p| serde_json::from_str(p).map_err(|e| corrupt("bad commit metadata", &e)))?;
    if payload.format != FORMAT_VERSION {
        return Err(RebuildReason::Format {
            found: payload.format,
            expected: FORMAT_VERSION,
        });
    }
    if index.schema() != Fields::schema().0 {
        return Err(corrupt(
            "unexpected fields",
            &"the schema differs from this format's",
        ));
    }
    let damaged = index
        .validate_checksum()
        .map_err(|e| corrupt("cannot check its files", &e))?;
    if !damaged.is_empty() {
        let mut names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
        names.sort();
        return Err(corrupt("damaged files", &names.join(", ")));
    }
    let reader = index
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into()
        .map_err(|e| corrupt("cannot read its segments", &e))?;
    drop(reader);
    Ok((index, payload))
}
