//! Resizing and encoding: one crop becomes a handful of widths, each in WebP and JPEG. The
//! largest width is resized from the full-resolution crop and every smaller one from that
//! largest (a fraction of the work, no visible difference at these ratios); all of it runs on
//! rayon's pool, so both cores of a small server work on one upload.

use bytes::Bytes;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use pressroom_core::media::{
    BannerVariant, CropKind, MediaFile, MediaKind, Rect, VariantFormat, scaled_height,
};
use rayon::prelude::*;

use crate::error::MediaError;
use crate::key::MediaKey;

/// WebP quality (0–100): 80 is visually clean on photographs at about a third of JPEG's size.
const WEBP_QUALITY: f32 = 80.0;
/// JPEG quality (1–100) for the fallback variants.
const JPEG_QUALITY: u8 = 82;
/// JPEG quality of the kept source: high, since it may be cropped again.
pub(crate) const SOURCE_JPEG_QUALITY: u8 = 90;

/// One file to store and the record that describes it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// Where it goes.
    pub key: MediaKey,
    /// Its bytes.
    pub bytes: Bytes,
    /// Its record.
    pub file: MediaFile,
}

impl StoredFile {
    /// Names `bytes` by their content.
    pub(crate) fn new(
        bytes: Vec<u8>,
        name: &str,
        ext: &str,
        kind: MediaKind,
        mime: &str,
        size: Option<(u32, u32)>,
    ) -> Self {
        let (key, sha256) = MediaKey::for_content(&bytes, name, ext);
        let file = MediaFile {
            key: key.as_str().to_owned(),
            sha256,
            kind,
            mime: mime.to_owned(),
            size: bytes.len() as u64,
            width: size.map(|s| s.0),
            height: size.map(|s| s.1),
        };
        Self {
            key,
            bytes: Bytes::from(bytes),
            file,
        }
    }
}

/// Resizes the `crop` of `src` to `width`×`height` (Lanczos3, as sharp as downscaling gets).
pub(crate) fn resize(
    src: &RgbImage,
    crop: Rect,
    width: u32,
    height: u32,
) -> Result<RgbImage, MediaError> {
    let fault = |e: &dyn std::fmt::Display| MediaError::Encode(format!("resizing: {e}"));
    let view = ImageRef::new(src.width(), src.height(), src.as_raw(), PixelType::U8x3)
        .map_err(|e| fault(&e))?;
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(
            f64::from(crop.x),
            f64::from(crop.y),
            f64::from(crop.width),
            f64::from(crop.height),
        );
    Resizer::new()
        .resize(&view, &mut dst, &options)
        .map_err(|e| fault(&e))?;
    RgbImage::from_raw(width, height, dst.into_vec())
        .ok_or_else(|| MediaError::Encode("resizing: buffer size".to_owned()))
}

/// Lossy WebP.
pub(crate) fn encode_webp(image: &RgbImage) -> Result<Vec<u8>, MediaError> {
    webp::Encoder::from_rgb(image.as_raw(), image.width(), image.height())
        .encode_simple(false, WEBP_QUALITY)
        .map(|m| m.to_vec())
        .map_err(|e| MediaError::Encode(format!("WebP: {e:?}")))
}

/// Baseline JPEG, 4:2:0 below quality 90, with no metadata segment but the JFIF header.
pub(crate) fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, MediaError> {
    let (w, h) = (
        u16::try_from(image.width()).map_err(|_| MediaError::Encode("JPEG: too wide".into()))?,
        u16::try_from(image.height()).map_err(|_| MediaError::Encode("JPEG: too tall".into()))?,
    );
    let mut out = Vec::with_capacity(image.as_raw().len() / 8);
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(image.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| MediaError::Encode(format!("JPEG: {e}")))?;
    Ok(out)
}

/// Every variant of one crop of `src`: each of the crop's widths that fits, in both formats.
pub(crate) fn crop_variants(
    src: &RgbImage,
    crop: CropKind,
    rect: Rect,
) -> Result<Vec<(BannerVariant, StoredFile)>, MediaError> {
    let mut widths = crop.widths_for(rect.width);
    widths.sort_unstable_by(|a, b| b.cmp(a));
    let largest_w = widths[0];
    let largest = resize(src, rect, largest_w, scaled_height(rect, largest_w))?;
    let whole = Rect {
        x: 0,
        y: 0,
        width: largest.width(),
        height: largest.height(),
    };
    let mut sized: Vec<RgbImage> = widths[1..]
        .par_iter()
        .map(|&w| resize(&largest, whole, w, scaled_height(whole, w)))
        .collect::<Result<_, _>>()?;
    sized.insert(0, largest);
    let jobs: Vec<(&RgbImage, VariantFormat)> = sized
        .iter()
        .flat_map(|img| VariantFormat::ALL.map(|f| (img, f)))
        .collect();
    jobs.into_par_iter()
        .map(|(img, format)| {
            let bytes = match format {
                VariantFormat::Webp => encode_webp(img)?,
                VariantFormat::Jpeg => encode_jpeg(img, JPEG_QUALITY)?,
            };
            let (width, height) = img.dimensions();
            let name = format!("{}-{width}", crop.as_str());
            let stored = StoredFile::new(
                bytes,
                &name,
                format.extension(),
                MediaKind::Variant,
                format.mime(),
                Some((width, height)),
            );
            let variant = BannerVariant {
                crop,
                format,
                width,
                height,
                file: stored.file.clone(),
            };
            Ok((variant, stored))
        })
        .collect()
}
