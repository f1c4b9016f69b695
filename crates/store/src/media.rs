//! Media records: stored files, banners, attachments, and which revision shows which.
//!
//! The files themselves are written by the caller (through `pressroom-media`'s storage)
//! *before* their rows are recorded here, so no row ever names a file that was not written; a
//! crash in between leaves an unrecorded file, which `pressroom media gc` removes. Banners and
//! attachments never change after recording, and a revision's links to them are insert-only:
//! what a published revision showed, it shows forever.

mod change;
pub(crate) mod gc;

pub use change::MediaChange;
pub(crate) use change::MediaPlan;

use std::collections::HashSet;

use jiff::Timestamp;
use pressroom_core::Invalid;
use pressroom_core::media::{
    AltText, Attachment, AttachmentId, Banner, BannerId, BannerVariant, FocalPoint, MediaFile,
    NewAttachment, NewBanner, Rect, RevisionMedia, check_banner_alt,
};
use pressroom_core::release::{ReleaseId, RevisionId, RevisionInput, TranslationId};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::audit::{NewAuditEntry, append};
use crate::releases::{TranslationDetail, lock_translation};
use crate::rows::{from_json, instant, micros, parse, to_json};
use crate::users::By;
use crate::{Result, Store, StoreError};

/// What a revision shows besides its text, loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ShownMedia {
    /// Its banner.
    pub banner: Option<Banner>,
    /// Its attachments, in order.
    pub attachments: Vec<Attachment>,
}

const FILE_COLUMNS: &str = "f.storage_key, f.sha256, f.kind, f.mime, f.size, f.width, f.height";

impl Store {
    /// Records a banner whose files are stored. Alternative texts are checked; languages may
    /// be missing while drafting (publishing checks the one it needs).
    pub async fn create_banner(&self, banner: &NewBanner, by: By<'_>) -> Result<Banner> {
        banner.validate()?;
        let mut tx = self.write_tx().await?;
        let id = insert_banner(&mut tx, banner, &by, Timestamp::now()).await?;
        tx.commit().await?;
        self.banner(id).await
    }

    /// The same banner with other alternative texts: a new banner sharing the files, since a
    /// recorded banner never changes.
    pub async fn banner_with_alt(&self, id: BannerId, alt: &AltText, by: By<'_>) -> Result<Banner> {
        let mut spec = self.banner(id).await?.spec;
        spec.alt = alt.clone();
        self.create_banner(&spec, by).await
    }

    /// A banner with its files.
    pub async fn banner(&self, id: BannerId) -> Result<Banner> {
        let row = sqlx::query(
            "SELECT id, release_id, source_id, mobile_source_id, focal_x, focal_y, desktop_crop, mobile_crop, alt, created_at \
             FROM banners WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("banner {id}")))?;
        self.banner_from_row(&row).await
    }

    /// The banners uploaded for a release, newest first: what the editor offers to reuse.
    pub async fn banners_of_release(&self, release_id: ReleaseId) -> Result<Vec<Banner>> {
        let rows = sqlx::query(
            "SELECT id, release_id, source_id, mobile_source_id, focal_x, focal_y, desktop_crop, mobile_crop, alt, created_at \
             FROM banners WHERE release_id = $1 ORDER BY id DESC",
        )
        .bind(release_id)
        .fetch_all(&self.pool)
        .await?;
        let mut banners = Vec::with_capacity(rows.len());
        for row in &rows {
            banners.push(self.banner_from_row(row).await?);
        }
        Ok(banners)
    }

    async fn banner_from_row(&self, row: &AnyRow) -> Result<Banner> {
        let id: BannerId = row.try_get("id")?;
        let variant_rows = sqlx::query(crate::rows::sql(format!(
            "SELECT v.crop, v.format, v.width AS vw, v.height AS vh, {FILE_COLUMNS} FROM banner_variants v \
             JOIN media_files f ON f.id = v.file_id WHERE v.banner_id = $1 ORDER BY v.crop, v.format, v.width"
        )))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut variants = Vec::with_capacity(variant_rows.len());
        for r in &variant_rows {
            variants.push(BannerVariant {
                crop: parse(&r.try_get::<String, _>("crop")?)?,
                format: parse(&r.try_get::<String, _>("format")?)?,
                width: dimension(r.try_get("vw")?)?,
                height: dimension(r.try_get("vh")?)?,
                file: file_from_row(r)?,
            });
        }
        let focal = match (
            row.try_get::<Option<i64>, _>("focal_x")?,
            row.try_get::<Option<i64>, _>("focal_y")?,
        ) {
            (Some(x), Some(y)) => Some(FocalPoint {
                x: u16::try_from(x).map_err(|_| StoreError::Corrupt(format!("focal x {x}")))?,
                y: u16::try_from(y).map_err(|_| StoreError::Corrupt(format!("focal y {y}")))?,
            }),
            _ => None,
        };
        let mobile_source = match row.try_get::<Option<i64>, _>("mobile_source_id")? {
            Some(file_id) => Some(self.file_by_id(file_id).await?),
            None => None,
        };
        Ok(Banner {
            id,
            spec: NewBanner {
                release_id: row.try_get("release_id")?,
                source: self.file_by_id(row.try_get("source_id")?).await?,
                mobile_source,
                focal,
                desktop_crop: from_json::<Rect>(
                    &row.try_get::<String, _>("desktop_crop")?,
                    "crop",
                )?,
                mobile_crop: from_json::<Rect>(&row.try_get::<String, _>("mobile_crop")?, "crop")?,
                alt: from_json(&row.try_get::<String, _>("alt")?, "alternative text")?,
                variants,
            },
            created_at: instant(row.try_get("created_at")?)?,
        })
    }

    async fn file_by_id(&self, id: i64) -> Result<MediaFile> {
        let row = sqlx::query(crate::rows::sql(format!(
            "SELECT {FILE_COLUMNS} FROM media_files f WHERE f.id = $1"
        )))
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        file_from_row(&row)
    }

    /// Records an attachment whose file is stored.
    pub async fn create_attachment(&self, new: &NewAttachment, by: By<'_>) -> Result<Attachment> {
        let mut tx = self.write_tx().await?;
        let id = insert_attachment(&mut tx, new, &by, Timestamp::now()).await?;
        tx.commit().await?;
        self.attachment(id).await
    }

    /// An attachment with its file.
    pub async fn attachment(&self, id: AttachmentId) -> Result<Attachment> {
        let row = sqlx::query(crate::rows::sql(format!(
            "SELECT a.id, a.release_id, a.format, a.file_name, a.created_at, {FILE_COLUMNS} FROM attachments a \
             JOIN media_files f ON f.id = a.file_id WHERE a.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("attachment {id}")))?;
        attachment_from_row(&row)
    }

    /// What a revision shows besides its text.
    pub async fn revision_media(&self, revision_id: RevisionId) -> Result<ShownMedia> {
        let banner_row = sqlx::query(
            "SELECT b.id, b.release_id, b.source_id, b.mobile_source_id, b.focal_x, b.focal_y, b.desktop_crop, \
             b.mobile_crop, b.alt, b.created_at FROM revision_banners rb JOIN banners b ON b.id = rb.banner_id \
             WHERE rb.revision_id = $1",
        )
        .bind(revision_id)
        .fetch_optional(&self.pool)
        .await?;
        let banner = match banner_row {
            Some(row) => Some(self.banner_from_row(&row).await?),
            None => None,
        };
        let rows = sqlx::query(crate::rows::sql(format!(
            "SELECT a.id, a.release_id, a.format, a.file_name, a.created_at, {FILE_COLUMNS} FROM revision_attachments ra \
             JOIN attachments a ON a.id = ra.attachment_id JOIN media_files f ON f.id = a.file_id \
             WHERE ra.revision_id = $1 ORDER BY ra.position"
        )))
        .bind(revision_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(ShownMedia {
            banner,
            attachments: rows
                .iter()
                .map(attachment_from_row)
                .collect::<Result<_>>()?,
        })
    }

    /// Gives a revision its banner and attachments, once: only the newest revision of its
    /// translation, only before it was ever published, only if it shows nothing yet (a
    /// revision saved over one with media inherits them; change them with
    /// [`Store::save_revision_with_media`]).
    pub async fn attach_media(
        &self,
        revision_id: RevisionId,
        media: &RevisionMedia,
        by: By<'_>,
    ) -> Result<ShownMedia> {
        crate::releases::workflow_actor(by)?;
        let translation_id: TranslationId =
            sqlx::query("SELECT translation_id FROM revisions WHERE id = $1")
                .bind(revision_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or_else(|| StoreError::not_found(format!("revision {revision_id}")))?
                .try_get("translation_id")?;
        let mut tx = self.write_tx().await?;
        let translation = lock_translation(&mut tx, self.for_update(), translation_id).await?;
        if translation.head_revision_id != revision_id {
            return Err(Invalid::field(
                "revision",
                "only the newest revision can be given a banner or attachments; save a new revision instead",
            )
            .into());
        }
        let published = sqlx::query("SELECT 1 FROM publications WHERE revision_id = $1")
            .bind(revision_id)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if published || shows_media(&mut tx, revision_id).await? {
            return Err(Invalid::field(
                "revision",
                "this revision's banner and attachments are already set; save a new revision to change them",
            )
            .into());
        }
        link_media(&mut tx, revision_id, media).await?;
        let details = json!({ "revision": revision_id, "banner": media.banner, "attachments": media.attachments });
        append(
            &mut *tx,
            NewAuditEntry::new(
                &by,
                "media.attach",
                format!("translation:{translation_id}"),
                details,
            ),
        )
        .await?;
        tx.commit().await?;
        self.revision_media(revision_id).await
    }

    /// Saves a new revision that shows `media` instead of what the previous one showed.
    pub async fn save_revision_with_media(
        &self,
        translation_id: TranslationId,
        expected_version: i64,
        input: &RevisionInput,
        media: &RevisionMedia,
        by: By<'_>,
    ) -> Result<TranslationDetail> {
        let plan = MediaPlan {
            base: media.clone(),
            banner: None,
            attachment: None,
        };
        self.save_revision_showing(translation_id, expected_version, input, Some(plan), by)
            .await
    }
}

/// Records a banner and its files inside `tx`; the caller validated it.
pub(crate) async fn insert_banner(
    tx: &mut Transaction<'static, Any>,
    banner: &NewBanner,
    by: &By<'_>,
    now: Timestamp,
) -> Result<BannerId> {
    let source_id = insert_file(tx, &banner.source, now).await?;
    let mobile_id = match &banner.mobile_source {
        Some(f) => Some(insert_file(tx, f, now).await?),
        None => None,
    };
    let row = sqlx::query(
            "INSERT INTO banners (release_id, source_id, mobile_source_id, focal_x, focal_y, desktop_crop, \
             mobile_crop, alt, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(banner.release_id)
        .bind(source_id)
        .bind(mobile_id)
        .bind(banner.focal.map(|f| i64::from(f.x)))
        .bind(banner.focal.map(|f| i64::from(f.y)))
        .bind(to_json(&banner.desktop_crop)?)
        .bind(to_json(&banner.mobile_crop)?)
        .bind(to_json(&trimmed(&banner.alt))?)
        .bind(micros(now))
        .bind(by.id())
        .fetch_one(&mut **tx)
        .await?;
    let id: BannerId = row.try_get("id")?;
    for v in &banner.variants {
        let file_id = insert_file(tx, &v.file, now).await?;
        sqlx::query(
                "INSERT INTO banner_variants (banner_id, file_id, crop, format, width, height) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(file_id)
            .bind(v.crop.as_str())
            .bind(v.format.as_str())
            .bind(i64::from(v.width))
            .bind(i64::from(v.height))
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

/// Records an attachment and its file inside `tx`.
pub(crate) async fn insert_attachment(
    tx: &mut Transaction<'static, Any>,
    new: &NewAttachment,
    by: &By<'_>,
    now: Timestamp,
) -> Result<AttachmentId> {
    let file_id = insert_file(tx, &new.file, now).await?;
    let row = sqlx::query(
        "INSERT INTO attachments (release_id, file_id, format, file_name, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(new.release_id)
    .bind(file_id)
    .bind(new.format.extension())
    .bind(&new.file_name)
    .bind(micros(now))
    .bind(by.id())
    .fetch_one(&mut **tx)
    .await?;
    let id: AttachmentId = row.try_get("id")?;
    Ok(id)
}

/// Whether a revision already has media links.
async fn shows_media(tx: &mut Transaction<'static, Any>, revision_id: RevisionId) -> Result<bool> {
    Ok(sqlx::query(
        "SELECT 1 FROM revision_banners WHERE revision_id = $1 \
         UNION ALL SELECT 1 FROM revision_attachments WHERE revision_id = $1",
    )
    .bind(revision_id)
    .fetch_optional(&mut **tx)
    .await?
    .is_some())
}

/// Links a new revision to its media: `media` when given, else whatever the previous head
/// showed (so saving a text change keeps the banner). Called inside the saving transaction.
pub(crate) async fn link_revision(
    tx: &mut Transaction<'static, Any>,
    previous: RevisionId,
    revision_id: RevisionId,
    media: Option<&RevisionMedia>,
) -> Result<()> {
    match media {
        Some(media) => link_media(tx, revision_id, media).await,
        None => {
            sqlx::query(
                "INSERT INTO revision_banners (revision_id, banner_id) SELECT $1, banner_id FROM revision_banners WHERE revision_id = $2",
            )
            .bind(revision_id)
            .bind(previous)
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO revision_attachments (revision_id, position, attachment_id) \
                 SELECT $1, position, attachment_id FROM revision_attachments WHERE revision_id = $2",
            )
            .bind(revision_id)
            .bind(previous)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }
    }
}

/// Inserts the links, refusing unknown or repeated ids with field errors.
async fn link_media(
    tx: &mut Transaction<'static, Any>,
    revision_id: RevisionId,
    media: &RevisionMedia,
) -> Result<()> {
    let mut invalid = Invalid::default();
    if let Some(id) = media.banner
        && !exists(tx, "SELECT 1 FROM banners WHERE id = $1", id).await?
    {
        invalid.push(
            "banner",
            format!("there is no banner {id}; upload it again"),
        );
    }
    let mut seen = HashSet::new();
    for id in &media.attachments {
        if !seen.insert(*id) {
            invalid.push("attachments", format!("attachment {id} is listed twice"));
        } else if !exists(tx, "SELECT 1 FROM attachments WHERE id = $1", *id).await? {
            invalid.push(
                "attachments",
                format!("there is no attachment {id}; upload it again"),
            );
        }
    }
    invalid.into_result(())?;
    if let Some(id) = media.banner {
        sqlx::query("INSERT INTO revision_banners (revision_id, banner_id) VALUES ($1, $2)")
            .bind(revision_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    for (position, id) in media.attachments.iter().enumerate() {
        sqlx::query(
            "INSERT INTO revision_attachments (revision_id, position, attachment_id) VALUES ($1, $2, $3)",
        )
        .bind(revision_id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The publishing rule of issue 7, applied by `Store::apply` before a translation is published
/// or scheduled: its banner (if any) must have alternative text in its language.
pub(crate) async fn check_publishable(
    tx: &mut Transaction<'static, Any>,
    revision_id: RevisionId,
    lang: &str,
) -> Result<()> {
    let row = sqlx::query(
        "SELECT b.alt FROM revision_banners rb JOIN banners b ON b.id = rb.banner_id WHERE rb.revision_id = $1",
    )
    .bind(revision_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = row {
        let alt: AltText = from_json(&row.try_get::<String, _>("alt")?, "alternative text")?;
        check_banner_alt(&alt, lang)?;
    }
    Ok(())
}

async fn exists(tx: &mut Transaction<'static, Any>, sql: &'static str, id: i64) -> Result<bool> {
    Ok(sqlx::query(sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .is_some())
}

/// Records a file (once per key: the same content uploaded twice is one row) and returns its id.
async fn insert_file(
    tx: &mut Transaction<'static, Any>,
    file: &MediaFile,
    now: Timestamp,
) -> Result<i64> {
    sqlx::query(
        "INSERT INTO media_files (storage_key, sha256, kind, mime, size, width, height, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (storage_key) DO NOTHING",
    )
    .bind(&file.key)
    .bind(&file.sha256)
    .bind(file.kind.as_str())
    .bind(&file.mime)
    .bind(i64::try_from(file.size).map_err(|_| Invalid::field("file", "is too large"))?)
    .bind(file.width.map(i64::from))
    .bind(file.height.map(i64::from))
    .bind(micros(now))
    .execute(&mut **tx)
    .await?;
    Ok(
        sqlx::query("SELECT id FROM media_files WHERE storage_key = $1")
            .bind(&file.key)
            .fetch_one(&mut **tx)
            .await?
            .try_get("id")?,
    )
}

fn file_from_row(row: &AnyRow) -> Result<MediaFile> {
    let size: i64 = row.try_get("size")?;
    Ok(MediaFile {
        key: row.try_get("storage_key")?,
        sha256: row.try_get("sha256")?,
        kind: parse(&row.try_get::<String, _>("kind")?)?,
        mime: row.try_get("mime")?,
        size: u64::try_from(size).map_err(|_| StoreError::Corrupt(format!("size {size}")))?,
        width: row
            .try_get::<Option<i64>, _>("width")?
            .map(dimension)
            .transpose()?,
        height: row
            .try_get::<Option<i64>, _>("height")?
            .map(dimension)
            .transpose()?,
    })
}

fn attachment_from_row(row: &AnyRow) -> Result<Attachment> {
    let format: String = row.try_get("format")?;
    Ok(Attachment {
        id: row.try_get("id")?,
        spec: NewAttachment {
            release_id: row.try_get("release_id")?,
            file: file_from_row(row)?,
            format: pressroom_core::media::AttachmentFormat::from_extension(&format)
                .ok_or_else(|| StoreError::Corrupt(format!("attachment format {format}")))?,
            file_name: row.try_get("file_name")?,
        },
        created_at: instant(row.try_get("created_at")?)?,
    })
}

fn dimension(v: i64) -> Result<u32> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("dimension {v}")))
}

pub(crate) fn key_sizes(rows: &[AnyRow]) -> Result<Vec<(String, u64)>> {
    rows.iter()
        .map(|r| {
            let size: i64 = r.try_get("size")?;
            Ok((r.try_get("storage_key")?, u64::try_from(size).unwrap_or(0)))
        })
        .collect()
}

/// Alternative texts without surrounding space or empty entries.
fn trimmed(alt: &AltText) -> AltText {
    alt.iter()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(l, t)| (l.clone(), t.trim().to_owned()))
        .collect()
}
