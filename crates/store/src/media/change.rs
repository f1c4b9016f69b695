//! Changing what a translation shows — a new banner, an attachment, the banner's description,
//! a removal — as one operation: the new media rows and the revision that shows them are
//! written in one transaction, so a failure leaves neither. The editor and the API both call
//! [`Store::change_media`].

use jiff::Timestamp;
use pressroom_core::Invalid;
use pressroom_core::media::{AttachmentId, NewAttachment, NewBanner, RevisionMedia};
use pressroom_core::release::{RevisionInput, TranslationId};
use sqlx::{Any, Transaction};

use crate::releases::TranslationDetail;
use crate::users::By;
use crate::{Result, Store};

/// A change to the media of a translation's newest revision.
#[derive(Debug, Clone)]
pub enum MediaChange {
    /// Show this banner (its files are stored) instead of the current one.
    Banner(NewBanner),
    /// Add this attachment (its file is stored) after the others.
    Attachment(NewAttachment),
    /// Describe the banner in the translation's language. A recorded banner never changes, so
    /// this records a new banner over the same files.
    BannerAlt(String),
    /// Show no banner.
    RemoveBanner,
    /// Stop showing this attachment.
    RemoveAttachment(AttachmentId),
}

/// The media a new revision shows: the head's, changed, with the rows still to insert.
pub(crate) struct MediaPlan<'a> {
    /// The ids to show (before the new rows).
    pub base: RevisionMedia,
    /// A banner to record and show.
    pub banner: Option<&'a NewBanner>,
    /// An attachment to record and add.
    pub attachment: Option<&'a NewAttachment>,
}

impl MediaPlan<'_> {
    /// Records the planned rows inside `tx` and returns the ids the revision shows.
    pub(crate) async fn insert(
        &self,
        tx: &mut Transaction<'static, Any>,
        by: &By<'_>,
        now: Timestamp,
    ) -> Result<RevisionMedia> {
        let mut media = self.base.clone();
        if let Some(banner) = self.banner {
            media.banner = Some(super::insert_banner(tx, banner, by, now).await?);
        }
        if let Some(attachment) = self.attachment {
            media
                .attachments
                .push(super::insert_attachment(tx, attachment, by, now).await?);
        }
        Ok(media)
    }
}

impl Store {
    /// Saves a new revision of `translation_id` with the head's text and its media changed,
    /// checked against `expected_version` like any save. New banners and attachments belong
    /// to the translation's release. Their files must be stored before; nothing is recorded
    /// when this fails.
    pub async fn change_media(
        &self,
        translation_id: TranslationId,
        expected_version: i64,
        change: &MediaChange,
        by: By<'_>,
    ) -> Result<TranslationDetail> {
        let detail = self.translation_detail(translation_id).await?;
        let input = RevisionInput::from_revision(&detail.head, &detail.translation.slug);
        let shown = self.revision_media(detail.head.id).await?;
        let mut base = RevisionMedia {
            banner: shown.banner.as_ref().map(|b| b.id),
            attachments: shown.attachments.iter().map(|a| a.id).collect(),
        };
        let release_id = Some(detail.release.id);
        let (banner, attachment) = match change {
            MediaChange::Banner(banner) => {
                let banner = NewBanner {
                    release_id,
                    ..banner.clone()
                };
                banner.validate()?;
                (Some(banner), None)
            }
            MediaChange::Attachment(attachment) => (
                None,
                Some(NewAttachment {
                    release_id,
                    ..attachment.clone()
                }),
            ),
            MediaChange::BannerAlt(text) => {
                let Some(current) = shown.banner else {
                    return Err(
                        Invalid::field("banner_alt", "there is no banner to describe").into(),
                    );
                };
                let mut spec = current.spec;
                spec.alt
                    .insert(detail.translation.lang.clone(), text.trim().to_owned());
                spec.validate()?;
                (Some(spec), None)
            }
            MediaChange::RemoveBanner => {
                base.banner = None;
                (None, None)
            }
            MediaChange::RemoveAttachment(id) => {
                base.attachments.retain(|a| a != id);
                (None, None)
            }
        };
        let plan = MediaPlan {
            base,
            banner: banner.as_ref(),
            attachment: attachment.as_ref(),
        };
        self.save_revision_showing(translation_id, expected_version, &input, Some(plan), by)
            .await
    }
}
