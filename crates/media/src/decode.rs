//! Turning uploaded bytes into pixels safely. The order matters: size, then type from the
//! content, then the dimensions from the header, and only then the decoding, with the
//! decoder's own limits as a second fence — a 50-kilobyte PNG claiming 100 000 × 100 000 pixels
//! is refused before a byte of pixel memory is allocated.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, RgbImage};

use crate::error::MediaError;
use crate::sniff::{ImageKind, Sniffed, sniff};

/// What an image upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file, in bytes.
    pub max_bytes: u64,
    /// Most pixels (width × height), checked from the header.
    pub max_pixels: u64,
    /// Least width after orientation.
    pub min_width: u32,
    /// Least height after orientation.
    pub min_height: u32,
}

impl Default for Limits {
    /// 40 MiB and 50 megapixels take any camera's full-size JPEG; 320×200 is the smallest
    /// image that still fills a phone's banner without looking broken.
    fn default() -> Self {
        Self {
            max_bytes: 40 << 20,
            max_pixels: 50_000_000,
            min_width: 320,
            min_height: 200,
        }
    }
}

/// A decoded upload: upright, opaque RGB, with nothing of the file's metadata.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The pixels, EXIF orientation applied, transparency flattened onto white.
    pub image: RgbImage,
    /// The format it came in.
    pub kind: ImageKind,
}

/// Checks and decodes an image upload. Only the pixels survive: EXIF (GPS position, camera
/// serial, …), XMP, IPTC and ICC data are dropped here, so no file made from the result can
/// carry them.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    check_size(bytes, limits.max_bytes)?;
    let kind = match sniff(bytes) {
        Sniffed::Image(kind) => kind,
        Sniffed::Svg => return Err(MediaError::Svg),
        Sniffed::OtherImage(format) => return Err(MediaError::UnsupportedImage { format }),
        other => {
            return Err(MediaError::NotAnImage {
                found: other.describe(),
            });
        }
    };
    let reader = || ImageReader::with_format(Cursor::new(bytes), kind.format());
    let (width, height) = reader()
        .into_dimensions()
        .map_err(|e| decode_error(kind, &e))?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    if is_cut_short(kind, bytes) {
        return Err(MediaError::Truncated {
            format: kind.name(),
        });
    }
    let mut fence = image::Limits::default();
    fence.max_image_width = Some(width);
    fence.max_image_height = Some(height);
    // RGBA at 16 bits per channel, plus room for the decoder's own buffers.
    fence.max_alloc = Some(limits.max_pixels * 8 + (64 << 20));
    let mut reader = reader();
    reader.limits(fence);
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(kind, &e))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(kind, &e))?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    if width < limits.min_width || height < limits.min_height {
        return Err(MediaError::TooSmall {
            width,
            height,
            min_width: limits.min_width,
            min_height: limits.min_height,
        });
    }
    Ok(Decoded {
        image: flatten(image),
        kind,
    })
}

/// Refuses an empty or oversized file before anything else is looked at.
pub(crate) fn check_size(bytes: &[u8], max: u64) -> Result<(), MediaError> {
    let size = bytes.len() as u64;
    if size == 0 {
        return Err(MediaError::Empty);
    }
    if size > max {
        return Err(MediaError::TooLarge { size, max });
    }
    Ok(())
}

/// Whether a file visibly ends early: a JPEG without its end-of-image marker (the decoder
/// would fill the missing part with grey rather than fail; cameras may append a little after
/// the marker), or a WebP shorter than its RIFF header says.
fn is_cut_short(kind: ImageKind, bytes: &[u8]) -> bool {
    match kind {
        ImageKind::Jpeg => {
            let tail = &bytes[bytes.len().saturating_sub(64 << 10)..];
            !tail.windows(2).any(|w| w == [0xFF, 0xD9])
        }
        ImageKind::Webp => {
            let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
            u64::from(declared) + 8 > bytes.len() as u64
        }
        ImageKind::Png | ImageKind::Gif => false,
    }
}

fn decode_error(kind: ImageKind, error: &ImageError) -> MediaError {
    let text = error.to_string();
    let lower = text.to_lowercase();
    let truncated = matches!(error, ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof)
        || [
            "eof",
            "end of file",
            "no more bytes",
            "unexpected end",
            "truncated",
        ]
        .iter()
        .any(|s| lower.contains(s));
    match error {
        ImageError::Limits(_) => MediaError::Corrupt {
            format: kind.name(),
            detail: "it needs far more memory to decode than its size allows".to_owned(),
        },
        _ if truncated => MediaError::Truncated {
            format: kind.name(),
        },
        _ => MediaError::Corrupt {
            format: kind.name(),
            detail: text,
        },
    }
}

/// Opaque 8-bit RGB: banners are photographs, JPEG has no alpha, and one pixel layout keeps
/// the resizer and encoders simple. Transparent pixels become white, the page's background.
fn flatten(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (src, dst) in rgba.pixels().zip(out.pixels_mut()) {
        let [r, g, b, a] = src.0;
        let a = u16::from(a);
        let blend = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        dst.0 = [blend(r), blend(g), blend(b)];
    }
    out
}
