//! A banner from uploads: one image cropped twice around a focal point, or two images (one
//! per crop). The result is every file to store and the banner record that lists them; the
//! caller stores the files, then records the banner, so a failure leaves no row pointing at a
//! missing file.

use image::RgbImage;
use pressroom_core::media::{
    AltText, CropKind, FocalPoint, MediaKind, NewBanner, Rect, VariantFormat, crop_around,
};

use crate::decode::{Limits, decode};
use crate::error::{MediaError, UploadError};
use crate::variants::{SOURCE_JPEG_QUALITY, StoredFile, crop_variants, encode_jpeg, resize};

/// The longest side of the kept source: twice what the widest variant needs, so the banner can
/// be cropped again later without the bulk of a full camera frame.
pub const SOURCE_MAX_SIDE: u32 = 4096;

/// What a banner is made from.
#[derive(Debug, Clone, Copy)]
pub enum BannerInput<'a> {
    /// One image; both crops are centred on the focal point the editor set.
    Single {
        /// The uploaded bytes (form field `image`).
        image: &'a [u8],
        /// Where the crops centre.
        focal: FocalPoint,
    },
    /// Two images, for an editor who prepared each crop (fields `desktop_image` and
    /// `mobile_image`); each is centre-cropped to its shape if it does not have it already.
    Pair {
        /// The wide image.
        desktop: &'a [u8],
        /// The tall image.
        mobile: &'a [u8],
    },
}

/// A processed banner: the files to store and the record to keep once they are stored.
#[derive(Debug, Clone)]
pub struct ProcessedBanner {
    /// The record, with no release and no alternative text yet (the caller adds them).
    pub banner: NewBanner,
    /// Every file: the source(s) and all variants.
    pub files: Vec<StoredFile>,
}

/// Checks, decodes, crops and encodes a banner upload. CPU-heavy (about a second for a
/// 24-megapixel photo on two cores): call it from a blocking task, not an async handler.
pub fn process_banner(
    input: BannerInput<'_>,
    limits: &Limits,
) -> Result<ProcessedBanner, UploadError> {
    let at = |field: &'static str| move |error: MediaError| UploadError { field, error };
    match input {
        BannerInput::Single { image, focal } => {
            let decoded = decode(image, limits).map_err(at("image"))?;
            build(&decoded.image, None, focal).map_err(at("image"))
        }
        BannerInput::Pair { desktop, mobile } => {
            let (d, m) = rayon::join(|| decode(desktop, limits), || decode(mobile, limits));
            let d = d.map_err(at("desktop_image"))?;
            let m = m.map_err(at("mobile_image"))?;
            build(&d.image, Some(&m.image), FocalPoint::CENTRE).map_err(at("mobile_image"))
        }
    }
}

fn build(
    desktop: &RgbImage,
    mobile: Option<&RgbImage>,
    focal: FocalPoint,
) -> Result<ProcessedBanner, MediaError> {
    let (dw, dh) = desktop.dimensions();
    let desktop_rect = crop_around(dw, dh, CropKind::Desktop.aspect(), focal);
    let og_rect = crop_around(dw, dh, CropKind::Og.aspect(), focal);
    let mobile_image = mobile.unwrap_or(desktop);
    let (mw, mh) = mobile_image.dimensions();
    let mobile_rect = crop_around(mw, mh, CropKind::Mobile.aspect(), focal);

    let ((source, mobile_source), (desktop_set, (mobile_set, og_set))) = rayon::join(
        || {
            rayon::join(
                || keep_source(desktop, "source"),
                || mobile.map(|m| keep_source(m, "source-mobile")),
            )
        },
        || {
            rayon::join(
                || crop_variants(desktop, CropKind::Desktop, desktop_rect),
                || {
                    rayon::join(
                        || crop_variants(mobile_image, CropKind::Mobile, mobile_rect),
                        || crop_variants(desktop, CropKind::Og, og_rect),
                    )
                },
            )
        },
    );
    let (source, desktop_scale) = source?;
    let mobile_source = mobile_source.transpose()?;
    let mobile_scale = mobile_source.as_ref().map_or(desktop_scale, |(_, s)| *s);
    let mut files = vec![source.clone()];
    if let Some((m, _)) = &mobile_source {
        files.push(m.clone());
    }
    let mut variants = Vec::new();
    for (variant, file) in desktop_set?.into_iter().chain(mobile_set?).chain(og_set?) {
        variants.push(variant);
        files.push(file);
    }
    variants.sort_by_key(|v| (v.crop.as_str(), v.format == VariantFormat::Jpeg, v.width));
    Ok(ProcessedBanner {
        banner: NewBanner {
            release_id: None,
            source: source.file,
            mobile_source: mobile_source.map(|(m, _)| m.file),
            focal: mobile.is_none().then_some(focal),
            desktop_crop: scale(desktop_rect, desktop_scale),
            mobile_crop: scale(mobile_rect, mobile_scale),
            alt: AltText::new(),
            variants,
        },
        files,
    })
}

/// The kept source: upright, stripped, at most [`SOURCE_MAX_SIDE`], as a high-quality JPEG;
/// with the factor from the upload's pixels to the source's.
fn keep_source(image: &RgbImage, name: &str) -> Result<(StoredFile, f64), MediaError> {
    let (w, h) = image.dimensions();
    let longest = w.max(h);
    let (bytes, size) = if longest > SOURCE_MAX_SIDE {
        let f = f64::from(SOURCE_MAX_SIDE) / f64::from(longest);
        let (sw, sh) = (scale_len(w, f), scale_len(h, f));
        let whole = Rect {
            x: 0,
            y: 0,
            width: w,
            height: h,
        };
        let small = resize(image, whole, sw, sh)?;
        (encode_jpeg(&small, SOURCE_JPEG_QUALITY)?, (sw, sh))
    } else {
        (encode_jpeg(image, SOURCE_JPEG_QUALITY)?, (w, h))
    };
    let factor = f64::from(size.0) / f64::from(w);
    let file = StoredFile::new(
        bytes,
        name,
        VariantFormat::Jpeg.extension(),
        MediaKind::Source,
        VariantFormat::Jpeg.mime(),
        Some(size),
    );
    Ok((file, factor))
}

fn scale_len(len: u32, factor: f64) -> u32 {
    // Rounded and at least 1; the product of a u32 and a factor ≤ 1 always fits.
    ((f64::from(len) * factor).round() as u32).max(1)
}

fn scale(rect: Rect, factor: f64) -> Rect {
    if factor >= 1.0 {
        return rect;
    }
    Rect {
        x: (f64::from(rect.x) * factor).round() as u32,
        y: (f64::from(rect.y) * factor).round() as u32,
        width: scale_len(rect.width, factor),
        height: scale_len(rect.height, factor),
    }
}
