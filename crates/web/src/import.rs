//! What every import surface shares (`pressroom import …` and `POST /api/v1/import/releases`):
//! turning an archive's banner and attachment bytes into processed, stored media, and the
//! report a run prints or answers — one line per release that was refused, skipped or came
//! with warnings, and the totals.

use std::sync::Arc;

use bytes::Bytes;
use pressroom_core::Invalid;
use pressroom_core::import::ImportRelease;
use pressroom_core::media::FocalPoint;
use pressroom_media::{
    BannerInput, DEFAULT_MAX_ATTACHMENT_BYTES, Limits, Storage, StoredFile, process_attachment,
    process_banner,
};
use pressroom_store::{PreparedImport, Verdict};
use serde::Serialize;

/// The bytes of an import's files, read by the caller (from disk, a URL, or base64).
#[derive(Debug, Default)]
pub struct ImportBytes {
    /// The banner image.
    pub banner: Option<Bytes>,
    /// The attachments, in the release's order.
    pub attachments: Vec<Bytes>,
}

/// Processes `release`'s banner (cropped around its centre) and attachments and, unless
/// `check_only` (a dry run, which writes nothing), stores their files so the store can record
/// them. A file that is not a usable image or document is a field error naming it. Files
/// stored for a release that is then not recorded are found by `pressroom media gc`.
pub async fn prepare(
    storage: Option<&Arc<dyn Storage>>,
    release: ImportRelease,
    bytes: ImportBytes,
    check_only: bool,
) -> Result<PreparedImport, PrepareError> {
    if bytes.banner.is_none() && bytes.attachments.is_empty() {
        return Ok(release.into());
    }
    let storage = storage.ok_or_else(|| {
        PrepareError::Invalid(Invalid::field(
            "media",
            "this site stores no media: set `media_dir` or `[media]` in the configuration to import banners and attachments",
        ))
    })?;
    let banner_alt = release
        .banner
        .as_ref()
        .map(|b| b.alt.clone())
        .unwrap_or_default();
    let names: Vec<String> = release
        .attachments
        .iter()
        .map(|a| a.display_name())
        .collect();
    let processed = tokio::task::spawn_blocking(move || {
        let mut files: Vec<StoredFile> = Vec::new();
        let banner = match &bytes.banner {
            Some(image) => {
                let done = process_banner(
                    BannerInput::Single {
                        image,
                        focal: FocalPoint::CENTRE,
                    },
                    &Limits::default(),
                )
                .map_err(|e| Invalid::field("banner", format!("the banner: {}", e.error)))?;
                files.extend(done.files);
                let mut banner = done.banner;
                for (lang, text) in banner_alt {
                    if !text.trim().is_empty() {
                        banner.alt.insert(lang, text.trim().to_owned());
                    }
                }
                Some(banner)
            }
            None => None,
        };
        let mut attachments = Vec::new();
        for (file, name) in bytes.attachments.iter().zip(&names) {
            let done = process_attachment(file, name, DEFAULT_MAX_ATTACHMENT_BYTES)
                .map_err(|e| Invalid::field("attachments", format!("{name}: {e}")))?;
            files.push(done.file);
            attachments.push(done.attachment);
        }
        Ok::<_, Invalid>((banner, attachments, files))
    })
    .await
    .map_err(|e| PrepareError::Storage(format!("processing the media failed: {e}")))?;
    let (banner, attachments, files) = processed.map_err(PrepareError::Invalid)?;
    for file in files.iter().filter(|_| !check_only) {
        let stored = match storage.exists(&file.key).await {
            Ok(true) => Ok(()),
            Ok(false) => storage.put(&file.key, file.bytes.clone()).await,
            Err(e) => Err(e),
        };
        stored.map_err(|e| PrepareError::Storage(e.to_string()))?;
    }
    Ok(PreparedImport {
        release,
        banner,
        attachments,
    })
}

/// Why a release's media could not be prepared.
#[derive(Debug)]
pub enum PrepareError {
    /// The file itself is wrong: refuse the release.
    Invalid(Invalid),
    /// The storage failed: stop the run.
    Storage(String),
}

impl std::fmt::Display for PrepareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(invalid) => {
                let messages: Vec<&str> =
                    invalid.errors.iter().map(|e| e.message.as_str()).collect();
                f.write_str(&messages.join("; "))
            }
            Self::Storage(message) => f.write_str(message),
        }
    }
}

/// What a run did or would do.
#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Releases imported (or, on a dry run, that would be).
    pub imported: usize,
    /// Their translations.
    pub translations: usize,
    /// Releases an earlier run imported.
    pub skipped: usize,
    /// Releases refused.
    pub refused: usize,
    /// Warnings.
    pub warnings: usize,
    /// One line per release refused, skipped or with warnings, in source order.
    pub lines: Vec<ReportLine>,
}

/// One release's line in the report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportLine {
    /// Where the release was read (`post 123 (line 456)`, a file name, `release 3`).
    pub origin: String,
    /// Its source id.
    pub source_id: String,
    /// `import`, `skip` or `refuse`.
    pub outcome: String,
    /// What the line says: the reasons, the warnings, or the release it was before.
    pub messages: Vec<String>,
}

impl ImportReport {
    /// Counts a verdict and keeps its line if it has anything to say.
    pub fn add(&mut self, origin: &str, release: &ImportRelease, verdict: &Verdict) {
        let (outcome, messages) = match verdict {
            Verdict::Import { warnings, .. } => {
                self.imported += 1;
                self.translations += release.translations.len();
                self.warnings += warnings.len();
                ("import", warnings.clone())
            }
            Verdict::Skip { release_id } => {
                self.skipped += 1;
                (
                    "skip",
                    vec![format!("imported before as release {release_id}")],
                )
            }
            Verdict::Refuse { reasons } => {
                self.refused += 1;
                ("refuse", reasons.clone())
            }
        };
        if !messages.is_empty() && outcome != "skip" {
            self.lines.push(ReportLine {
                origin: origin.to_owned(),
                source_id: release.source_id.clone(),
                outcome: outcome.to_owned(),
                messages,
            });
        }
    }

    /// Counts a release the source could not read as refused.
    pub fn refuse_unread(&mut self, origin: &str, reason: String) {
        self.refused += 1;
        self.lines.push(ReportLine {
            origin: origin.to_owned(),
            source_id: String::new(),
            outcome: "refuse".to_owned(),
            messages: vec![reason],
        });
    }

    /// Moves a release counted as imported to refused (its media could not be prepared).
    pub fn refuse_late(&mut self, origin: &str, release: &ImportRelease, reason: String) {
        self.imported = self.imported.saturating_sub(1);
        self.translations = self.translations.saturating_sub(release.translations.len());
        self.refused += 1;
        self.lines.push(ReportLine {
            origin: origin.to_owned(),
            source_id: release.source_id.clone(),
            outcome: "refuse".to_owned(),
            messages: vec![reason],
        });
    }

    /// The report as text, one line per message, then the totals.
    pub fn text(&self, dry_run: bool) -> String {
        let mut out = String::new();
        for line in &self.lines {
            let word = match line.outcome.as_str() {
                "refuse" => "refused",
                "skip" => "skipped",
                _ => "warning",
            };
            for message in &line.messages {
                out.push_str(&format!(
                    "{word}: {} [{}]: {message}\n",
                    line.origin, line.source_id
                ));
            }
        }
        let verb = if dry_run { "would import" } else { "imported" };
        out.push_str(&format!(
            "{verb} {} release(s) ({} translations); skipped {} imported before; refused {}; {} warning(s)\n",
            self.imported, self.translations, self.skipped, self.refused, self.warnings
        ));
        out
    }
}
