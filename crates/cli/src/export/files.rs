//! The export folder: which file holds which address, writes that never leave a half file
//! (a temporary name, then a rename) and never touch a file whose bytes are unchanged, and
//! the manifest that makes a folder a previous export.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The export's own folder inside DIR: the manifest, the nginx files, temporary files.
pub(crate) const OWN: &str = ".pressroom";
/// The manifest, relative to DIR.
pub(crate) const MANIFEST: &str = ".pressroom/export.json";
/// Temporary files are written here and renamed into place; a run starts by emptying it,
/// so an interrupted one leaves nothing behind for long.
const TMP: &str = ".pressroom/tmp";
/// The manifest's format; another one is read as no manifest (a full export).
const FORMAT: u32 = 1;

/// What a previous export wrote: every file with its address and hash.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// Always [`FORMAT`].
    pub format: u32,
    /// False while an export runs over a folder that had none: the folder is an export,
    /// but its files are not known yet.
    pub complete: bool,
    /// The change-stream sequence the export read up to (taken before it started).
    pub seq: u64,
    /// What else the bytes depend on (binary version, base URL, theme): another key means
    /// every page is rendered again.
    pub render_key: String,
    /// File (relative to DIR, `/`-separated) → entry.
    pub files: BTreeMap<String, Entry>,
}

/// One file of the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// The address it answers; `None` for a file the export makes itself (`_redirects`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// The page cache's tags of its page; `None` for an answer asked for every time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Its bytes never change (media, assets, signed forms).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub immutable: bool,
}

impl Manifest {
    /// The manifest in `dir`: `Ok(None)` when there is none, an error when one is there but
    /// unreadable (a damaged manifest is not silently taken for a foreign folder).
    pub(crate) fn read(dir: &Path) -> anyhow::Result<Option<Self>> {
        let path = dir.join(MANIFEST);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let manifest: Self = serde_json::from_slice(&text).with_context(|| {
            format!(
                "{} is damaged; delete it (the next export then compares every file) or \
                 export into an empty folder",
                path.display()
            )
        })?;
        Ok(Some(if manifest.format == FORMAT {
            manifest
        } else {
            Self::started()
        }))
    }

    /// The manifest of an export that has only just begun.
    pub(crate) fn started() -> Self {
        Self {
            format: FORMAT,
            ..Default::default()
        }
    }

    /// Writes it (through a temporary file, so a reader never sees half of it).
    pub(crate) fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_vec(self)?;
        write_file(dir, MANIFEST, &text)
    }
}

/// SHA-256 of `bytes`, hex.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A fingerprint of every file under `dir` (names and bytes, in name order): a theme edited
/// since the last export changes it, so every page is asked for again.
pub(crate) fn folder_hash(dir: &Path) -> String {
    fn walk(dir: &Path, hash: &mut Sha256) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        entries.sort();
        for path in entries {
            hash.update(path.to_string_lossy().as_bytes());
            if path.is_dir() {
                walk(&path, hash);
            } else {
                hash.update(std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    let mut hash = Sha256::new();
    walk(dir, &mut hash);
    hash.finalize()
        .iter()
        .take(16)
        .fold(String::new(), |mut s, b| {
            use std::fmt::Write;
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The file that holds address `url`, relative to DIR: a path ending in `/` is its folder's
/// `index.html`; an HTML page without `.html` gets it (`/en/releases/2026/367-slug` →
/// `en/releases/2026/367-slug.html`, which nginx finds with `try_files $uri $uri.html` and
/// Netlify or Cloudflare Pages serve at the address without the extension); anything else
/// keeps its name. Segments are percent-decoded, as a web server decodes the address before
/// looking for the file. `None` for an address no file may hold (`..`, the export's own
/// folder).
pub(crate) fn file_for(url: &str, content_type: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?.strip_prefix('/')?;
    let mut segments = Vec::new();
    let parts: Vec<&str> = path.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if part.is_empty() && last {
            segments.push("index.html".to_owned());
            break;
        }
        let decoded = percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .ok()?
            .into_owned();
        if decoded.is_empty()
            || decoded == "."
            || decoded == ".."
            || decoded.contains(['/', '\0', '\\'])
            || (i == 0 && decoded == OWN)
        {
            return None;
        }
        segments.push(decoded);
    }
    let mut file = segments.join("/");
    if content_type.starts_with("text/html") && !file.ends_with(".html") {
        file.push_str(".html");
    }
    Some(file)
}

/// Whether `dir/file` already holds exactly `bytes` (size first, so a changed page is
/// rarely read back).
pub(crate) fn same_bytes(dir: &Path, file: &str, bytes: &[u8]) -> bool {
    let path = dir.join(file);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes.len() as u64 => {
            std::fs::read(&path).is_ok_and(|old| old == bytes)
        }
        _ => false,
    }
}

/// Writes `bytes` to `dir/file` through a temporary file renamed into place: a reader (or an
/// interrupted export) sees the old file or the new one, never part of one.
pub(crate) fn write_file(dir: &Path, file: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let target = dir.join(file);
    let parent = target.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    let tmp_dir = dir.join(TMP);
    std::fs::create_dir_all(&tmp_dir)
        .with_context(|| format!("cannot create {}", tmp_dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix("part-")
        .tempfile_in(&tmp_dir)
        .with_context(|| format!("cannot write in {}", tmp_dir.display()))?;
    std::io::Write::write_all(&mut tmp, bytes)
        .with_context(|| format!("cannot write {}", target.display()))?;
    // Readable like any file a web server serves (a temporary file is created 0600).
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", target.display()))?;
    Ok(())
}

/// Empties the temporary folder an interrupted run may have left.
pub(crate) fn clear_tmp(dir: &Path) -> anyhow::Result<()> {
    let tmp = dir.join(TMP);
    match std::fs::remove_dir_all(&tmp) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot clear {}", tmp.display()))
        }
        _ => Ok(()),
    }
}

/// Deletes `dir/file` and the folders it leaves empty (up to DIR, never DIR itself).
pub(crate) fn delete_file(dir: &Path, file: &str) -> anyhow::Result<()> {
    let path = dir.join(file);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("cannot delete {}", path.display()));
        }
        _ => {}
    }
    let mut folder: Option<PathBuf> = path.parent().map(Path::to_path_buf);
    while let Some(f) = folder {
        if f == dir || !f.starts_with(dir) || std::fs::remove_dir(&f).is_err() {
            break;
        }
        folder = f.parent().map(Path::to_path_buf);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::file_for;

    #[test]
    fn addresses_map_to_the_files_a_static_server_looks_for() {
        let html = "text/html; charset=utf-8";
        for (url, ct, file) in [
            ("/en/", html, "en/index.html"),
            (
                "/en/releases/page/2/",
                html,
                "en/releases/page/2/index.html",
            ),
            (
                "/en/releases/2026/367-slug",
                html,
                "en/releases/2026/367-slug.html",
            ),
            (
                "/en/releases/2026/367-slug/revisions/4",
                html,
                "en/releases/2026/367-slug/revisions/4.html",
            ),
            ("/en/feed.atom", "application/atom+xml", "en/feed.atom"),
            (
                "/.well-known/pressroom/log",
                "application/json",
                ".well-known/pressroom/log",
            ),
            ("/az/pages/m%C9%99xfilik", html, "az/pages/məxfilik.html"),
        ] {
            assert_eq!(file_for(url, ct).as_deref(), Some(file), "{url}");
        }
        for bad in [
            "/../x",
            "/en/%2e%2e/x",
            "/.pressroom/export.json",
            "/a//b",
            "/a%2Fb",
            "x",
        ] {
            assert_eq!(file_for(bad, html), None, "{bad}");
        }
    }
}
