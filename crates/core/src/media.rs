//! Banners and attachments as the domain sees them: crop geometry around a focal point, the
//! widths each crop is served in, alternative text per language and the rule that a
//! translation is not published with a banner that has none in its language.
//!
//! Everything here is arithmetic and records: decoding, resizing and storing files is the
//! `pressroom-media` crate's job, keeping rows the store's.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::release::ReleaseId;
use crate::validate::Invalid;

/// Identifier of a banner.
pub type BannerId = i64;
/// Identifier of an attachment.
pub type AttachmentId = i64;

/// A focal point, in thousandths of the image's width (`x`) and height (`y`) from its top-left
/// corner: resolution-independent, so the same point works on the source and any variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FocalPoint {
    /// 0 (left edge) to 1000 (right edge).
    pub x: u16,
    /// 0 (top edge) to 1000 (bottom edge).
    pub y: u16,
}

impl FocalPoint {
    /// The centre: what a crop uses when the editor sets no point.
    pub const CENTRE: Self = Self { x: 500, y: 500 };

    /// A focal point, refused with a field error outside the image.
    pub fn new(x: u16, y: u16) -> Result<Self, Invalid> {
        if x > 1000 || y > 1000 {
            return Err(Invalid::field(
                "focal_point",
                "the focal point must lie on the image (0 to 1000 across and down)",
            ));
        }
        Ok(Self { x, y })
    }
}

/// A width-to-height ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aspect {
    /// Width part.
    pub width: u32,
    /// Height part.
    pub height: u32,
}

/// A rectangle in pixels of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width, at least 1.
    pub width: u32,
    /// Height, at least 1.
    pub height: u32,
}

/// The crops a banner is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CropKind {
    /// Wide, for large screens (3:1).
    Desktop,
    /// Tall, for phones (4:5).
    Mobile,
    /// The Open Graph preview shared on social networks (1200×630).
    Og,
}

impl CropKind {
    /// Every crop, in the order variants are listed.
    pub const ALL: [Self; 3] = [Self::Desktop, Self::Mobile, Self::Og];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Mobile => "mobile",
            Self::Og => "og",
        }
    }

    /// The crop's shape.
    pub fn aspect(self) -> Aspect {
        match self {
            Self::Desktop => Aspect {
                width: 3,
                height: 1,
            },
            Self::Mobile => Aspect {
                width: 4,
                height: 5,
            },
            Self::Og => Aspect {
                width: 1200,
                height: 630,
            },
        }
    }

    /// The widths a crop is generated in: enough steps for `srcset` to pick a file close to
    /// the screen's need without generating dozens of files per banner.
    pub fn widths(self) -> &'static [u32] {
        match self {
            Self::Desktop => &[480, 768, 1200, 1600, 2560],
            Self::Mobile => &[480, 768, 1080],
            Self::Og => &[1200],
        }
    }

    /// The widths to generate from a crop `crop_width` pixels wide: never wider than the crop
    /// (upscaling only adds bytes), and the crop's own width when it is narrower than all.
    pub fn widths_for(self, crop_width: u32) -> Vec<u32> {
        let fitting: Vec<u32> = self
            .widths()
            .iter()
            .copied()
            .filter(|w| *w <= crop_width)
            .collect();
        if fitting.is_empty() {
            vec![crop_width.max(1)]
        } else {
            fitting
        }
    }
}

impl std::str::FromStr for CropKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown crop `{s}`"))
    }
}

/// The height of a variant `width` pixels wide of a `crop`, rounded, at least 1.
pub fn scaled_height(crop: Rect, width: u32) -> u32 {
    let h = (u64::from(width) * u64::from(crop.height) + u64::from(crop.width) / 2)
        / u64::from(crop.width.max(1));
    u32::try_from(h).unwrap_or(u32::MAX).max(1)
}

/// The largest rectangle of shape `aspect` inside an image of `width`×`height`, centred on
/// `focal` as far as the image's edges allow (a point near an edge moves the crop to that
/// edge rather than off the image).
pub fn crop_around(width: u32, height: u32, aspect: Aspect, focal: FocalPoint) -> Rect {
    let (w, h) = (u64::from(width.max(1)), u64::from(height.max(1)));
    let (aw, ah) = (
        u64::from(aspect.width.max(1)),
        u64::from(aspect.height.max(1)),
    );
    // Wider than the aspect: full height, width from it; otherwise full width.
    let (cw, ch) = if w * ah >= h * aw {
        (((h * aw + ah / 2) / ah).clamp(1, w), h)
    } else {
        (w, ((w * ah + aw / 2) / aw).clamp(1, h))
    };
    let place = |size: u64, crop: u64, permille: u16| -> u64 {
        let centre = size * u64::from(permille.min(1000)) / 1000;
        centre.saturating_sub(crop / 2).min(size - crop)
    };
    let narrow = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    Rect {
        x: narrow(place(w, cw, focal.x)),
        y: narrow(place(h, ch, focal.y)),
        width: narrow(cw),
        height: narrow(ch),
    }
}

/// The formats every variant is written in: WebP for browsers that take it (all current ones),
/// JPEG as the fallback `<picture>` ends with and what social networks fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariantFormat {
    /// Lossy WebP.
    Webp,
    /// Baseline JPEG.
    Jpeg,
}

impl VariantFormat {
    /// Both, preferred first.
    pub const ALL: [Self; 2] = [Self::Webp, Self::Jpeg];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webp => "webp",
            Self::Jpeg => "jpeg",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Webp => "webp",
            Self::Jpeg => "jpg",
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Webp => "image/webp",
            Self::Jpeg => "image/jpeg",
        }
    }
}

impl std::str::FromStr for VariantFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown image format `{s}`"))
    }
}

/// What a stored file is for; the garbage collector and the public server read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// An uploaded image, re-encoded without metadata, kept to crop again later.
    Source,
    /// A generated crop at one width in one format.
    Variant,
    /// A document offered for download.
    Attachment,
}

impl MediaKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Variant => "variant",
            Self::Attachment => "attachment",
        }
    }
}

impl std::str::FromStr for MediaKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Self::Source, Self::Variant, Self::Attachment]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown media kind `{s}`"))
    }
}

/// One stored file, addressed by its content: the same bytes always have the same key, and a
/// key never names other bytes, which is what lets it be cached forever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaFile {
    /// The storage key and URL path under `/media/`: `<hash prefix>/<name>.<ext>`.
    pub key: String,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// What it is for.
    pub kind: MediaKind,
    /// Media type.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// Pixels across, for images.
    pub width: Option<u32>,
    /// Pixels down, for images.
    pub height: Option<u32>,
}

/// One generated file of a banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BannerVariant {
    /// Which crop.
    pub crop: CropKind,
    /// Which format.
    pub format: VariantFormat,
    /// Pixels across.
    pub width: u32,
    /// Pixels down.
    pub height: u32,
    /// The file.
    pub file: MediaFile,
}

/// Alternative text per language code.
pub type AltText = BTreeMap<String, String>;

/// The longest alternative text, in characters: a description, not a caption or an essay.
pub const MAX_ALT_CHARS: usize = 300;

/// A banner ready to be recorded: its files are already stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewBanner {
    /// The release it was uploaded for, so the editor can offer it again.
    pub release_id: Option<ReleaseId>,
    /// The (desktop) source image.
    pub source: MediaFile,
    /// The mobile source, when the mobile crop was uploaded separately.
    pub mobile_source: Option<MediaFile>,
    /// The focal point, when both crops come from one image.
    pub focal: Option<FocalPoint>,
    /// The desktop crop, in pixels of `source`.
    pub desktop_crop: Rect,
    /// The mobile crop, in pixels of `mobile_source` or else `source`.
    pub mobile_crop: Rect,
    /// Alternative text per language.
    pub alt: AltText,
    /// Every generated file.
    pub variants: Vec<BannerVariant>,
}

impl NewBanner {
    /// Checks what a person typed: the alternative texts.
    pub fn validate(&self) -> Result<(), Invalid> {
        validate_alt(&self.alt)
    }
}

/// A recorded banner. Banners never change once recorded (a revision that shows one must
/// keep showing the same pixels and words); new alternative text makes a new banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Banner {
    /// Identifier.
    pub id: BannerId,
    /// Everything it was recorded with.
    #[serde(flatten)]
    pub spec: NewBanner,
    /// When it was recorded.
    pub created_at: Timestamp,
}

impl Banner {
    /// The variants of one crop in one format, narrowest first.
    pub fn variants(&self, crop: CropKind, format: VariantFormat) -> Vec<&BannerVariant> {
        let mut found: Vec<&BannerVariant> = self
            .spec
            .variants
            .iter()
            .filter(|v| v.crop == crop && v.format == format)
            .collect();
        found.sort_by_key(|v| v.width);
        found
    }
}

/// Checks alternative texts: known shape, not too long. Missing languages are allowed while
/// drafting; [`check_banner_alt`] refuses them at publication.
pub fn validate_alt(alt: &AltText) -> Result<(), Invalid> {
    let mut invalid = Invalid::default();
    for (lang, text) in alt {
        if text.trim().chars().count() > MAX_ALT_CHARS {
            invalid.push(
                &format!("alt.{lang}"),
                format!(
                    "is too long: at most {MAX_ALT_CHARS} characters; describe what the image shows"
                ),
            );
        }
    }
    invalid.into_result(())
}

/// The publishing rule: a translation with a banner is published only if the banner describes
/// itself in the translation's language, because a screen-reader user of that page would
/// otherwise meet an unlabelled image (WCAG 1.1.1).
pub fn check_banner_alt(alt: &AltText, lang: &str) -> Result<(), Invalid> {
    match alt.get(lang) {
        Some(text) if !text.trim().is_empty() => Ok(()),
        _ => Err(Invalid::field(
            "banner_alt",
            format!(
                "the banner has no alternative text in `{lang}`; describe the image in this \
                 language before publishing"
            ),
        )),
    }
}

/// The document formats a release may carry as attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentFormat {
    /// PDF.
    Pdf,
    /// Word (Office Open XML).
    Docx,
    /// Excel (Office Open XML).
    Xlsx,
    /// PowerPoint (Office Open XML).
    Pptx,
    /// OpenDocument text.
    Odt,
    /// OpenDocument spreadsheet.
    Ods,
    /// OpenDocument presentation.
    Odp,
}

impl AttachmentFormat {
    /// Every format.
    pub const ALL: [Self; 7] = [
        Self::Pdf,
        Self::Docx,
        Self::Xlsx,
        Self::Pptx,
        Self::Odt,
        Self::Ods,
        Self::Odp,
    ];

    /// The file name extension, also the stored name.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Docx => "docx",
            Self::Xlsx => "xlsx",
            Self::Pptx => "pptx",
            Self::Odt => "odt",
            Self::Ods => "ods",
            Self::Odp => "odp",
        }
    }

    /// The label readers see beside the link: the extension in capitals reads the same in
    /// every language.
    pub fn label(self) -> String {
        self.extension().to_ascii_uppercase()
    }

    /// The media type it is served with.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Self::Odt => "application/vnd.oasis.opendocument.text",
            Self::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            Self::Odp => "application/vnd.oasis.opendocument.presentation",
        }
    }

    /// The format with file name extension `ext`.
    pub fn from_extension(ext: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.extension().eq_ignore_ascii_case(ext))
    }
}

/// An attachment ready to be recorded: its file is already stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewAttachment {
    /// The release it was uploaded for, so the editor can offer it again.
    pub release_id: Option<ReleaseId>,
    /// The file.
    pub file: MediaFile,
    /// Its format, decided from its content.
    pub format: AttachmentFormat,
    /// The name it was uploaded with, shown as the link text.
    pub file_name: String,
}

/// A recorded attachment; like banners, never changed once recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// Identifier.
    pub id: AttachmentId,
    /// Everything it was recorded with.
    #[serde(flatten)]
    pub spec: NewAttachment,
    /// When it was recorded.
    pub created_at: Timestamp,
}

/// The longest uploaded file name we keep, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// The file name shown for an upload: without folders or control characters, trimmed and
/// shortened; `fallback` when nothing is left.
pub fn display_file_name(name: &str, fallback: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    let trimmed: String = cleaned.trim().chars().take(MAX_FILE_NAME_CHARS).collect();
    if trimmed.is_empty() {
        fallback.to_owned()
    } else {
        trimmed
    }
}

/// An ASCII name for a file's URL and download (`Annual report 2024.pdf` →
/// `annual-report-2024`): safe in a path and a `Content-Disposition` header, readable.
pub fn url_file_stem(name: &str, fallback: &str) -> String {
    let base = display_file_name(name, "");
    let stem = match base.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => base.as_str(),
    };
    if !stem.chars().any(char::is_alphanumeric) {
        return fallback.to_owned();
    }
    // Russian and Azerbaijani letters transliterate; other scripts drop out.
    let mut ascii = String::new();
    for c in crate::slug::slugify("ru", stem).chars().take(60) {
        if c.is_ascii_alphanumeric() || (c == '-' && !ascii.is_empty() && !ascii.ends_with('-')) {
            ascii.push(c);
        }
    }
    let ascii = ascii.trim_end_matches('-');
    if ascii.is_empty() {
        fallback.to_owned()
    } else {
        ascii.to_owned()
    }
}

/// What a revision shows besides its text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionMedia {
    /// Its banner, if any.
    pub banner: Option<BannerId>,
    /// Its attachments, in the order they are listed.
    pub attachments: Vec<AttachmentId>,
}

impl RevisionMedia {
    /// Whether it shows nothing.
    pub fn is_empty(&self) -> bool {
        self.banner.is_none() && self.attachments.is_empty()
    }
}

#[cfg(test)]
mod tests;
