//! `pressroom import markdown DIR` and `pressroom import wxr FILE`: a ministry's archive
//! brought in with its numbers, dates and addresses (`docs/import.md`).
//!
//! Every import reads its source twice. The first pass checks every release against the site
//! (`Store::check_import`) and writes nothing: a source that cannot be read, or any release
//! refused, stops the run before anything is imported (unless `--skip-refused`), with a
//! report line per problem. The second pass reads the files each release refers to, stores
//! them, and publishes the releases in batches. Re-running an import skips what it brought in
//! before, so an interrupted run is finished by running it again.

mod markdown;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use bytes::Bytes;
use pressroom_core::import::{ImportFile, ImportRelease};
use pressroom_core::user::{Capability, User};
use pressroom_store::{By, PreparedImport, Store, Verdict};
use pressroom_web::import::{ImportBytes, ImportReport, PrepareError, prepare};

use crate::config::Config;
use crate::progress::Progress;

/// Releases per transaction: a few hundred keep each commit short and the rate high.
const BATCH: usize = 200;
/// Largest file an import fetches or reads for one banner or attachment.
const MAX_FILE_BYTES: u64 = 40 << 20;

/// One release as a source read it.
pub(crate) struct Item {
    /// The release.
    pub release: ImportRelease,
    /// Where it was read, for the report.
    pub origin: String,
    /// What the reader changed or left out.
    pub warnings: Vec<String>,
}

/// What a source gives, release by release.
pub(crate) enum Entry {
    /// A release it could read.
    Release(Box<Item>),
    /// One it could not (a post without a title): refused, and reading goes on.
    Unreadable {
        /// Where.
        origin: String,
        /// Why, and what to do.
        reason: String,
    },
}

/// The entries of a source; an `Err` ends the reading (a broken or truncated file).
type Entries<'a> = Box<dyn Iterator<Item = anyhow::Result<Entry>> + 'a>;

/// A source read twice: once to check, once to import.
pub(crate) trait Source {
    /// How many releases it holds (for the progress bar).
    fn len(&self) -> usize;
    /// The folder relative file paths are read from.
    fn base(&self) -> &Path;
    /// Its releases, in order.
    fn items(&self) -> anyhow::Result<Entries<'_>>;
    /// What the source held besides releases, for the report's last line.
    fn summary(&self) -> Option<String> {
        None
    }
}

impl Source for markdown::MarkdownDir {
    fn len(&self) -> usize {
        markdown::MarkdownDir::len(self)
    }
    fn base(&self) -> &Path {
        markdown::MarkdownDir::base(self)
    }
    fn items(&self) -> anyhow::Result<Entries<'_>> {
        Ok(Box::new(
            markdown::MarkdownDir::items(self)
                .map(|item| item.map(|i| Entry::Release(Box::new(i)))),
        ))
    }
}

/// A WordPress export: opened once for its size (and the check pass), again for the import.
struct WxrSource {
    /// The reader opened to count the releases: the first pass uses it rather than reading
    /// the file's first pass once more.
    opened: std::cell::RefCell<Option<crate::wxr::Wxr>>,
    path: PathBuf,
    unnumbered_kind: Option<String>,
    options: crate::wxr::WxrOptions,
    len: usize,
    counts: crate::wxr::WxrCounts,
    base: PathBuf,
}

impl Source for WxrSource {
    fn len(&self) -> usize {
        self.len
    }
    fn base(&self) -> &Path {
        &self.base
    }
    fn items(&self) -> anyhow::Result<Entries<'_>> {
        let wxr = match self.opened.take() {
            Some(wxr) => wxr,
            None => crate::wxr::open(&self.path, self.options.clone())?,
        };
        Ok(Box::new(wxr.map(|read| match read {
            Ok(mut read) => {
                if let Some(kind) = &self.unnumbered_kind
                    && read.release.number.is_none()
                {
                    read.release.kind = kind.clone();
                }
                Ok(Entry::Release(Box::new(Item {
                    release: read.release,
                    origin: read.origin,
                    warnings: read.warnings,
                })))
            }
            Err(e) if !e.is_fatal() => {
                let (origin, reason) = match e {
                    crate::wxr::WxrError::Post { origin, message } => (origin, message),
                    other => (String::new(), other.to_string()),
                };
                Ok(Entry::Unreadable { origin, reason })
            }
            Err(e) => Err(e.into()),
        })))
    }
    fn summary(&self) -> Option<String> {
        let c = &self.counts;
        Some(format!(
            "the export also held {} unpublished post(s), {} in the trash, {} revision(s), {} menu item(s), {} other item(s) (not imported) and {} page(s) (pages are not imported yet: add them under /admin/pages); {} file(s)",
            c.unpublished, c.trash, c.revisions, c.menu_items, c.other, c.pages, c.attachments
        ))
    }
}

/// What `import wxr` takes besides the common options.
pub(crate) struct WxrArgs {
    /// The language of posts without Polylang information.
    pub lang: Option<String>,
    /// The kind posts become.
    pub kind: String,
    /// A copy of `wp-content/uploads`.
    pub uploads: Option<PathBuf>,
    /// How headlines carry numbers.
    pub number_pattern: Option<String>,
    /// The kind posts whose headline carries no number become.
    pub unnumbered_kind: Option<String>,
}

/// `pressroom import wxr FILE`.
pub(crate) async fn wxr(
    config: &Config,
    file: &Path,
    args: WxrArgs,
    options: &Options,
) -> anyhow::Result<()> {
    let pattern = match &args.number_pattern {
        Some(p) => pressroom_core::import::NumberPattern::new(p)
            .map_err(|e| anyhow::anyhow!("--number-pattern: {e}"))?,
        None => pressroom_core::import::NumberPattern::default(),
    };
    if let Some(dir) = &args.uploads
        && !dir.is_dir()
    {
        bail!(
            "--uploads {} is not a folder; give the copy of wp-content/uploads",
            dir.display()
        );
    }
    let store = open(config).await?;
    let settings = store.site_settings().await?;
    let lang = args
        .lang
        .unwrap_or_else(|| settings.default_language().to_owned());
    if settings.language(&lang).is_none() {
        bail!("--lang {lang}: the site has no language `{lang}`");
    }
    let wxr_options = crate::wxr::WxrOptions {
        lang,
        kind: args.kind,
        pattern,
        uploads: args.uploads,
    };
    let opened = crate::wxr::open(file, wxr_options.clone())?;
    if opened.is_empty() {
        bail!(
            "{} holds no published post; export \"All content\" or \"Posts\" from WordPress (Tools → Export)",
            file.display()
        );
    }
    let source = WxrSource {
        path: file.to_owned(),
        len: opened.len(),
        counts: opened.counts().clone(),
        opened: std::cell::RefCell::new(Some(opened)),
        options: wxr_options,
        unnumbered_kind: args.unnumbered_kind,
        // The reader gives paths under --uploads as they were typed: relative to here.
        base: PathBuf::new(),
    };
    run(config, &store, &source, options).await
}

/// What the command line asked for, whatever the source.
pub(crate) struct Options {
    /// Check and report; write nothing.
    pub dry_run: bool,
    /// Import the releases that pass even when others are refused.
    pub skip_refused: bool,
    /// The admin the import is recorded as; the first enabled admin otherwise.
    pub as_user: Option<String>,
}

/// `pressroom import markdown DIR`.
pub(crate) async fn markdown(
    config: &Config,
    dir: &Path,
    kind: &str,
    options: &Options,
) -> anyhow::Result<()> {
    let store = open(config).await?;
    let tz = store.site_settings().await?.tz();
    let source = markdown::MarkdownDir::open(dir, kind, tz)?;
    run(config, &store, &source, options).await
}

async fn open(config: &Config) -> anyhow::Result<Store> {
    let store = crate::commands::open_store(config).await?;
    crate::authenticity::signing_store(config, store, false).await
}

/// The admin an import runs as.
async fn importer(store: &Store, name: Option<&str>) -> anyhow::Result<User> {
    let user = match name {
        Some(name) => store
            .user_by_name(name)
            .await
            .with_context(|| format!("there is no user `{name}`"))?,
        None => store
            .list_users()
            .await?
            .into_iter()
            .find(|u| !u.disabled && u.role.can(Capability::Import))
            .context("the site has no enabled admin; create one with `pressroom user add`")?,
    };
    if user.disabled || !user.role.can(Capability::Import) {
        bail!(
            "`{}` cannot import: only an enabled admin can; pass --as with an admin's name",
            user.username
        );
    }
    Ok(user)
}

/// Checks the whole source, then imports it (see the module's documentation).
pub(crate) async fn run(
    config: &Config,
    store: &Store,
    source: &dyn Source,
    options: &Options,
) -> anyhow::Result<()> {
    let user = importer(store, options.as_user.as_deref()).await?;
    let started = Instant::now();
    let total = source.len() as u64;
    let mut run = store.begin_import().await?;
    let mut report = ImportReport::default();
    let mut wanted = HashSet::new();
    let mut progress = Progress::new("checking");
    for (n, entry) in source.items()?.enumerate() {
        let entry = entry.context("nothing was imported; the source cannot be read")?;
        progress.update(n as u64 + 1, total);
        let item = match entry {
            Entry::Release(item) => *item,
            Entry::Unreadable { origin, reason } => {
                report.refuse_unread(&origin, reason);
                continue;
            }
        };
        let mut verdict = store.check_import(&mut run, &item.release).await?;
        if let Verdict::Import { warnings, .. } = &mut verdict {
            warnings.splice(0..0, item.warnings.iter().cloned());
            for file in files_of(&item.release) {
                if let Some(problem) = missing(source.base(), file) {
                    warnings.push(problem);
                }
            }
            wanted.insert(item.release.source_id.trim().to_owned());
        }
        report.add(&item.origin, &item.release, &verdict);
    }
    progress.finish();
    if options.dry_run {
        print!("{}", report.text(true));
        if let Some(summary) = source.summary() {
            println!("{summary}");
        }
        if report.refused > 0 {
            bail!(
                "{} release(s) would be refused (dry run: nothing was written)",
                report.refused
            );
        }
        return Ok(());
    }
    if report.refused > 0 && !options.skip_refused {
        print!("{}", report.text(true));
        bail!(
            "nothing was imported: {} release(s) refused; fix them and run the import again, or pass --skip-refused to import the others",
            report.refused
        );
    }
    let media = match wanted.is_empty() {
        true => None,
        false => Some(config.media_storage()?),
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .context("cannot start the HTTP client for the archive's files")?;
    let mut progress = Progress::new("importing");
    let mut batch: Vec<PreparedImport> = Vec::with_capacity(BATCH);
    let (mut done, to_do) = (0u64, wanted.len() as u64);
    for entry in source.items()? {
        let entry =
            entry.context("the source changed since it was checked; run the import again")?;
        let Entry::Release(item) = entry else {
            continue;
        };
        if !wanted.contains(item.release.source_id.trim()) {
            continue;
        }
        let origin = item.origin.clone();
        let mut release = item.release;
        let (bytes, problems) = read_files(&client, source.base(), &mut release).await;
        let mut extra: Vec<String> = problems;
        let prepared = match prepare(media.as_ref(), release.clone(), bytes, false).await {
            Ok(prepared) => prepared,
            Err(e @ PrepareError::Invalid(_)) => {
                extra.push(format!("imported without its files: {e}"));
                PreparedImport::from(release.clone())
            }
            Err(e @ PrepareError::Storage(_)) => {
                bail!(
                    "the media storage failed ({e}); what was imported so far stays, run the import again to finish"
                )
            }
        };
        if !extra.is_empty() {
            report.warnings += extra.len();
            report.lines.push(pressroom_web::import::ReportLine {
                origin,
                source_id: release.source_id.clone(),
                outcome: "import".into(),
                messages: extra,
            });
        }
        batch.push(prepared);
        if batch.len() == BATCH {
            done += write(store, &mut run, &mut batch, &user).await?;
            progress.update(done, to_do);
        }
    }
    done += write(store, &mut run, &mut batch, &user).await?;
    progress.update(done, to_do);
    progress.finish();
    print!("{}", report.text(false));
    if let Some(summary) = source.summary() {
        println!("{summary}");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "took {secs:.1} s ({:.0} translations/s); {} topic(s) created",
        report.translations as f64 / secs.max(0.001),
        run.new_topic_count()
    );
    Ok(())
}

async fn write(
    store: &Store,
    run: &mut pressroom_store::ImportRun,
    batch: &mut Vec<PreparedImport>,
    user: &User,
) -> anyhow::Result<u64> {
    if batch.is_empty() {
        return Ok(0);
    }
    let n = batch.len() as u64;
    store
        .import_releases(run, batch, By::User(user))
        .await
        .context("this batch was not imported (earlier batches were); fix the cause and run the import again to finish")?;
    batch.clear();
    Ok(n)
}

fn files_of(release: &ImportRelease) -> impl Iterator<Item = &ImportFile> {
    release.banner.iter().chain(&release.attachments)
}

fn is_url(file: &str) -> bool {
    file.starts_with("http://") || file.starts_with("https://")
}

fn local(base: &Path, file: &str) -> PathBuf {
    let path = Path::new(file);
    if path.is_absolute() {
        path.to_owned()
    } else {
        base.join(path)
    }
}

/// A warning when a local file is not there (URLs are tried during the import).
fn missing(base: &Path, file: &ImportFile) -> Option<String> {
    if file.file.is_empty() || is_url(&file.file) {
        return None;
    }
    let path = local(base, &file.file);
    (!path.is_file()).then(|| format!("{} is not there; it is left out", path.display()))
}

/// Reads a release's files; one that cannot be read is left out (and taken out of the
/// release, so `prepare` pairs names with bytes) with a warning.
async fn read_files(
    client: &reqwest::Client,
    base: &Path,
    release: &mut ImportRelease,
) -> (ImportBytes, Vec<String>) {
    let mut problems = Vec::new();
    let mut bytes = ImportBytes::default();
    if let Some(banner) = &release.banner {
        match read_file(client, base, banner).await {
            Ok(b) => bytes.banner = Some(b),
            Err(e) => {
                problems.push(format!("the banner is left out: {e:#}"));
                release.banner = None;
            }
        }
    }
    let mut kept = Vec::new();
    for attachment in std::mem::take(&mut release.attachments) {
        match read_file(client, base, &attachment).await {
            Ok(b) => {
                bytes.attachments.push(b);
                kept.push(attachment);
            }
            Err(e) => problems.push(format!(
                "attachment {} is left out: {e:#}",
                attachment.display_name()
            )),
        }
    }
    release.attachments = kept;
    (bytes, problems)
}

async fn read_file(
    client: &reqwest::Client,
    base: &Path,
    file: &ImportFile,
) -> anyhow::Result<Bytes> {
    if file.file.is_empty() {
        bail!("no file given");
    }
    if is_url(&file.file) {
        let response = client
            .get(&file.file)
            .send()
            .await
            .with_context(|| format!("cannot fetch {}", file.file))?;
        if !response.status().is_success() {
            bail!("{} answered {}", file.file, response.status());
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_FILE_BYTES)
        {
            bail!("{} is larger than {MAX_FILE_BYTES} bytes", file.file);
        }
        let body = response
            .bytes()
            .await
            .with_context(|| format!("cannot fetch {}", file.file))?;
        if body.len() as u64 > MAX_FILE_BYTES {
            bail!("{} is larger than {MAX_FILE_BYTES} bytes", file.file);
        }
        return Ok(body);
    }
    let path = local(base, &file.file);
    let size = std::fs::metadata(&path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > MAX_FILE_BYTES {
        bail!("{} is larger than {MAX_FILE_BYTES} bytes", path.display());
    }
    Ok(Bytes::from(std::fs::read(&path).with_context(|| {
        format!("cannot read {}", path.display())
    })?))
}
