//! `pressroom export --out DIR [--base-url URL] [--force] [--full]`: the public site as
//! static files (docs/export.md).
//!
//! Every file is the body the server sends for its address: the real router answers each
//! one in-process (`pressroom_web::export::Site`), page cache off. Addresses come from the
//! store, not from crawling. A second export into the same folder asks again only for the
//! pages the changes since the last one made stale (the change stream read through the page
//! cache's tags), rewrites only files whose bytes changed and deletes those that
//! disappeared; the manifest (`.pressroom/export.json`) remembers what was written.

mod files;
mod hosting;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use futures_util::StreamExt;
use pressroom_web::export::{Site, SiteUrl, stale_tags};
use pressroom_web::{AppState, WebConfig};

use crate::config::Config;
use files::{Entry, Manifest};

/// Pages asked for at once: enough to keep both kinds of work (database reads, rendering)
/// busy on every core.
const IN_FLIGHT: usize = 16;
/// Change-stream entries read per query.
const CHANGES_BATCH: u32 = 1_000;

/// What the command was asked.
#[derive(Debug, Clone)]
pub(crate) struct ExportArgs {
    /// The folder to write.
    pub out: PathBuf,
    /// The absolute address the pages name; the configured `base_url` when `None`.
    pub base_url: Option<String>,
    /// Write into a non-empty folder that is not a previous export.
    pub force: bool,
    /// Ask for every page again, whatever the manifest says.
    pub full: bool,
}

/// `pressroom export`.
pub(crate) async fn export(config: &Config, args: &ExportArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let base_url = check_base_url(args.base_url.as_deref().unwrap_or(&config.base_url))?;
    let dir = check_folder(&args.out, args.force)?;
    let store = crate::commands::open_store(config).await?;
    let web = WebConfig {
        base_url: base_url.clone(),
        theme_dir: config.theme_dir.clone(),
        cache_bytes: 0,
        metrics_token: None,
        api_requests_per_minute: 0,
        api_auth_failures_per_minute: 0,
        search_dir: None,
        trusted_proxies: config.trusted_proxies.clone(),
        mail: config.mail.clone(),
    };
    let state = AppState::new(store.clone(), web, Some(config.media_storage()?))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let site = Site::new(state);

    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    files::clear_tmp(&dir)?;
    let old = match Manifest::read(&dir)? {
        Some(old) => old,
        None => {
            // From here on the folder is an export, so a re-run after an interruption
            // continues instead of refusing a "foreign" folder.
            let marker = Manifest::started();
            marker.write(&dir)?;
            marker
        }
    };
    // Read before the pages: a change that lands during the export is seen by the next one.
    let seq = store.last_change_seq().await?;
    let render_key = format!(
        "{} {base_url} mail={} theme={}",
        env!("CARGO_PKG_VERSION"),
        config.mail.is_some(),
        config
            .theme_dir
            .as_deref()
            .map_or_else(String::new, files::folder_hash)
    );
    let stale = if args.full || !old.complete || old.render_key != render_key {
        Stale::Everything
    } else {
        stale_since(&site, old.seq, seq).await?
    };

    let urls = site.urls().await?;
    let total = urls.len() as u64;
    let mut progress = crate::progress::Progress::new("exporting");
    let dir = Arc::new(dir);
    let old_files = Arc::new(old.files);
    // Address → the file the last export wrote for it.
    let by_url: Arc<BTreeMap<String, (String, Entry)>> = Arc::new(
        old_files
            .iter()
            .filter_map(|(file, e)| Some((e.url.clone()?, (file.clone(), e.clone()))))
            .collect(),
    );
    let stale = Arc::new(stale);
    let mut results = futures_util::stream::iter(urls)
        .map(|url| {
            let (site, dir, by_url, stale) =
                (site.clone(), dir.clone(), by_url.clone(), stale.clone());
            tokio::spawn(async move { one(&site, &dir, &by_url, &stale, url).await })
        })
        .buffer_unordered(IN_FLIGHT);
    let mut counts = Counts::default();
    let mut new_files: BTreeMap<String, Entry> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut done = 0;
    while let Some(result) = results.next().await {
        done += 1;
        progress.update(done, total);
        match result.context("an export task failed")? {
            Ok((file, entry, outcome)) => {
                counts.add(outcome);
                new_files.insert(file, entry);
            }
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    progress.finish();

    let redirects = site.redirects().await?;
    for (file, text) in hosting::files(&redirects) {
        let bytes = text.into_bytes();
        let entry = Entry {
            url: None,
            sha256: files::sha256(&bytes),
            tags: None,
            immutable: false,
        };
        let unchanged = old_files
            .get(file)
            .is_some_and(|e| e.sha256 == entry.sha256)
            && files::same_bytes(&dir, file, &bytes);
        if !unchanged {
            files::write_file(&dir, file, &bytes)?;
        }
        new_files.insert(file.to_owned(), entry);
    }
    // Deletions come before the new manifest: if interrupted, the old one still lists them.
    for file in old_files.keys().filter(|f| !new_files.contains_key(*f)) {
        files::delete_file(&dir, file)?;
        counts.deleted += 1;
    }
    let complete = failures.is_empty();
    Manifest {
        complete,
        seq,
        render_key,
        files: new_files,
        ..Manifest::started()
    }
    .write(&dir)?;
    store.close().await;
    println!(
        "Exported {total} addresses to {} in {:.1} s: {} written, {} unchanged, {} asked again, \
         {} deleted; {} redirects (_redirects, .pressroom/nginx-redirects.map).",
        dir.display(),
        started.elapsed().as_secs_f64(),
        counts.written,
        counts.unchanged,
        counts.rendered,
        counts.deleted,
        redirects.len(),
    );
    if !complete {
        let shown: Vec<&str> = failures.iter().take(10).map(String::as_str).collect();
        bail!(
            "{} addresses could not be exported (run the export again once fixed; the files \
             written are kept):\n  {}",
            failures.len(),
            shown.join("\n  ")
        );
    }
    Ok(())
}

/// What one address came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Not asked for: nothing it depends on changed.
    Kept,
    /// Asked for; the file already held these bytes.
    Same,
    /// Asked for and written.
    Written,
}

#[derive(Debug, Default)]
struct Counts {
    written: u64,
    unchanged: u64,
    rendered: u64,
    deleted: u64,
}

impl Counts {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Kept => self.unchanged += 1,
            Outcome::Same => {
                self.unchanged += 1;
                self.rendered += 1;
            }
            Outcome::Written => {
                self.written += 1;
                self.rendered += 1;
            }
        }
    }
}

/// Which pages the changes since the last export made stale.
#[derive(Debug)]
enum Stale {
    /// Every page (a site-wide change, a first or interrupted export, `--full`).
    Everything,
    /// The pages carrying one of these tags.
    Tagged(BTreeSet<String>),
}

impl Stale {
    fn covers(&self, tags: &[String]) -> bool {
        match self {
            Self::Everything => true,
            Self::Tagged(stale) => tags.iter().any(|t| stale.contains(t)),
        }
    }
}

/// Reads the change stream from `after` to `upto`; everything is stale if it no longer
/// reaches back that far (pruned) or a change touches the whole site.
async fn stale_since(site: &Site, after: u64, upto: u64) -> anyhow::Result<Stale> {
    let store = site.state().store();
    let mut tags = BTreeSet::new();
    let mut next = after;
    while next < upto {
        let batch = store.changes_after(next, CHANGES_BATCH).await?;
        let Some(first) = batch.first() else {
            return Ok(Stale::Everything);
        };
        if first.seq != next + 1 {
            return Ok(Stale::Everything);
        }
        for entry in &batch {
            match stale_tags(&entry.change) {
                Some(t) => tags.extend(t),
                None => return Ok(Stale::Everything),
            }
            next = entry.seq;
        }
    }
    Ok(Stale::Tagged(tags))
}

/// Exports one address: kept as it is when nothing it depends on changed (and its file is
/// there), else asked for and written if its bytes differ.
async fn one(
    site: &Site,
    dir: &Path,
    by_url: &BTreeMap<String, (String, Entry)>,
    stale: &Stale,
    url: SiteUrl,
) -> anyhow::Result<(String, Entry, Outcome)> {
    let previous = by_url.get(&url.url);
    if let Some((file, entry)) = previous {
        let keep = url.immutable || entry.tags.as_deref().is_some_and(|t| !stale.covers(t));
        if keep && dir.join(file).is_file() {
            return Ok((file.clone(), entry.clone(), Outcome::Kept));
        }
    }
    let answer = site
        .get(&url.url)
        .await
        .with_context(|| format!("GET {}", url.url))?;
    if answer.status != axum::http::StatusCode::OK {
        bail!("GET {} answered {}", url.url, answer.status);
    }
    let file = files::file_for(&url.url, &answer.content_type)
        .with_context(|| format!("{} cannot be a file name", url.url))?;
    let entry = Entry {
        url: Some(url.url),
        sha256: files::sha256(&answer.body),
        tags: answer.tags,
        immutable: url.immutable,
    };
    let dir = dir.to_path_buf();
    let known = previous.is_some_and(|(f, e)| *f == file && e.sha256 == entry.sha256);
    let outcome = tokio::task::spawn_blocking({
        let file = file.clone();
        move || -> anyhow::Result<Outcome> {
            // The manifest's hash is trusted only with the file still there at its size.
            let same = if known {
                std::fs::metadata(dir.join(&file))
                    .is_ok_and(|m| m.len() == answer.body.len() as u64)
            } else {
                files::same_bytes(&dir, &file, &answer.body)
            };
            if same {
                return Ok(Outcome::Same);
            }
            files::write_file(&dir, &file, &answer.body)?;
            Ok(Outcome::Written)
        }
    })
    .await??;
    Ok((file, entry, outcome))
}

/// The base URL, checked: an absolute http(s) address without query or fragment, and
/// without its trailing slash.
fn check_base_url(url: &str) -> anyhow::Result<String> {
    let parsed = url::Url::parse(url).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some_and(|h| !h.is_empty())
            && u.query().is_none()
            && u.fragment().is_none()
    });
    if parsed.is_none() {
        bail!(
            "--base-url `{url}` is not an http(s) address; give the address the site will be \
             served at, such as https://mfa.example.org"
        );
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// Checks the output folder before anything is written: it must be a folder (or not exist
/// yet, under a writable folder), writable, and empty or a previous export unless `force`.
fn check_folder(out: &Path, force: bool) -> anyhow::Result<PathBuf> {
    let dir = std::path::absolute(out)
        .with_context(|| format!("cannot resolve the folder {}", out.display()))?;
    match std::fs::metadata(&dir) {
        Ok(meta) if !meta.is_dir() => bail!(
            "--out {} is a file, not a folder; give a folder to export into",
            dir.display()
        ),
        Ok(_) => {
            writable(&dir)?;
            let foreign = Manifest::read(&dir)?.is_none()
                && std::fs::read_dir(&dir)
                    .with_context(|| format!("cannot read the folder {}", dir.display()))?
                    .next()
                    .is_some();
            if foreign && !force {
                bail!(
                    "--out {} is not empty and holds no previous export \
                     (.pressroom/export.json); give an empty or new folder, or add --force to \
                     write into it (files it already has are overwritten where the site has \
                     the same name, never deleted)",
                    dir.display()
                );
            }
        }
        Err(_) => {
            let mut existing = dir.parent();
            while let Some(p) = existing.filter(|p| !p.exists()) {
                existing = p.parent();
            }
            let Some(parent) = existing.filter(|p| p.is_dir()) else {
                bail!(
                    "--out {}: a part of this path is a file, not a folder; give a folder to \
                     export into",
                    dir.display()
                );
            };
            writable(parent)?;
        }
    }
    Ok(dir)
}

/// Whether this user may create files in `dir` (by trying: permissions alone miss read-only
/// mounts and access lists).
fn writable(dir: &Path) -> anyhow::Result<()> {
    tempfile::Builder::new()
        .prefix(".pressroom-probe")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| {
            anyhow::anyhow!(
                "--out: cannot write in {} ({e}); choose a folder this user may write in",
                dir.display()
            )
        })
}
