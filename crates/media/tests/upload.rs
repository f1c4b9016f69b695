//! Image uploads: what is accepted, what is refused and with which message, and that nothing
//! of the file's metadata reaches a served file.

mod common;

use std::time::Instant;

use common::*;
use image::{ImageFormat, Rgba, RgbaImage};
use pressroom_core::media::{CropKind, FocalPoint, MediaKind, VariantFormat};
use pressroom_media::{BannerInput, Limits, MediaError, ProcessedBanner, decode, process_banner};

fn single(bytes: &[u8]) -> Result<ProcessedBanner, MediaError> {
    process_banner(
        BannerInput::Single {
            image: bytes,
            focal: FocalPoint::CENTRE,
        },
        &Limits::default(),
    )
    .map_err(|e| {
        assert_eq!(e.field, "image");
        e.error
    })
}

fn decode_error(bytes: &[u8]) -> MediaError {
    decode(bytes, &Limits::default()).expect_err("should be refused")
}

#[test]
fn every_accepted_format_becomes_a_full_set_of_variants() {
    let picture = halves(1800, 1200);
    for format in [
        ImageFormat::Jpeg,
        ImageFormat::Png,
        ImageFormat::WebP,
        ImageFormat::Gif,
    ] {
        let banner =
            single(&encode(&picture, format)).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        let spec = &banner.banner;
        // 1800 wide: desktop 480..1600 (no 2560: never upscaled), mobile 480..768 (the 4:5
        // crop of a 1200-high image is 960 wide), Open Graph 1200.
        let widths = |crop| -> Vec<u32> {
            spec.variants
                .iter()
                .filter(|v| v.crop == crop && v.format == VariantFormat::Webp)
                .map(|v| v.width)
                .collect()
        };
        assert_eq!(
            widths(CropKind::Desktop),
            vec![480, 768, 1200, 1600],
            "{format:?}"
        );
        assert_eq!(widths(CropKind::Mobile), vec![480, 768], "{format:?}");
        assert_eq!(widths(CropKind::Og), vec![1200], "{format:?}");
        for v in &spec.variants {
            let expected = match v.crop {
                CropKind::Desktop => v.width / 3,
                CropKind::Mobile => v.width * 5 / 4,
                CropKind::Og => 630,
            };
            assert!(v.height.abs_diff(expected) <= 1, "{v:?}");
            assert_eq!(v.file.kind, MediaKind::Variant);
        }
        // Each variant exists in both formats, and every file is accounted for.
        assert_eq!(spec.variants.len(), 2 * 7);
        assert_eq!(banner.files.len(), spec.variants.len() + 1);
        assert_eq!(spec.source.kind, MediaKind::Source);
        assert_eq!(
            (spec.source.width, spec.source.height),
            (Some(1800), Some(1200))
        );
        for f in &banner.files {
            assert_eq!(f.file.size, f.bytes.len() as u64);
            assert!(
                f.key.as_str().starts_with(&f.file.sha256[..32]),
                "content-addressed"
            );
            let decoded = image::load_from_memory(&f.bytes).unwrap();
            assert_eq!(Some(decoded.width()), f.file.width, "{}", f.key);
            let expected = if f.key.as_str().ends_with(".webp") {
                ImageFormat::WebP
            } else {
                ImageFormat::Jpeg
            };
            assert_eq!(
                image::guess_format(&f.bytes).unwrap(),
                expected,
                "{}",
                f.key
            );
        }
    }
}

#[test]
fn the_same_upload_gives_the_same_keys() {
    let bytes = jpeg(1000, 700);
    let a = single(&bytes).unwrap();
    let b = single(&bytes).unwrap();
    let keys = |p: &ProcessedBanner| p.files.iter().map(|f| f.key.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&b));
}

#[test]
fn exif_orientation_is_applied_and_no_metadata_survives() {
    // 640×400, red on the left; EXIF says "rotate 90° clockwise", so upright it is 400×640
    // with red at the top. The file also carries a GPS position.
    let original = jpeg(640, 400);
    let tagged = with_exif_orientation_and_gps(&original, 6);
    assert!(has_metadata(&tagged), "the fixture carries EXIF");
    let decoded = decode(&tagged, &Limits::default()).unwrap();
    assert_eq!(decoded.image.dimensions(), (400, 640));
    let top = decoded.image.get_pixel(200, 20).0;
    let bottom = decoded.image.get_pixel(200, 620).0;
    assert!(top[0] > 150 && top[2] < 100, "top is red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom is blue: {bottom:?}"
    );

    let banner = single(&tagged).unwrap();
    assert_eq!(
        (banner.banner.source.width, banner.banner.source.height),
        (Some(400), Some(640))
    );
    for f in &banner.files {
        assert!(!has_metadata(&f.bytes), "{} carries metadata", f.key);
        let text = String::from_utf8_lossy(&f.bytes);
        assert!(
            !text.contains("GPS") && !text.contains("MM\0*"),
            "{}",
            f.key
        );
    }
}

#[test]
fn transparency_becomes_white_and_a_gif_gives_its_first_frame() {
    let mut rgba = RgbaImage::from_pixel(400, 300, Rgba([0, 0, 0, 0]));
    rgba.put_pixel(0, 0, Rgba([0, 0, 0, 255]));
    let decoded = decode(&png_rgba(&rgba), &Limits::default()).unwrap();
    assert_eq!(decoded.image.get_pixel(200, 150).0, [255, 255, 255]);
    assert_eq!(decoded.image.get_pixel(0, 0).0, [0, 0, 0]);

    let gif = animated_gif(400, 300);
    let first = decode(&gif, &Limits::default()).unwrap();
    let p = first.image.get_pixel(10, 10).0;
    assert!(p[0] > 200 && p[2] < 50, "first frame is red: {p:?}");
}

#[test]
fn two_uploads_make_the_two_crops() {
    let wide = encode(&halves(2400, 800), ImageFormat::Jpeg);
    let tall = encode(
        &image::RgbImage::from_pixel(800, 1000, image::Rgb([20, 160, 20])),
        ImageFormat::Png,
    );
    let banner = process_banner(
        BannerInput::Pair {
            desktop: &wide,
            mobile: &tall,
        },
        &Limits::default(),
    )
    .unwrap();
    let spec = &banner.banner;
    assert!(spec.mobile_source.is_some());
    assert_eq!(spec.focal, None);
    assert_eq!(spec.desktop_crop.width, 2400);
    assert_eq!(
        (spec.mobile_crop.width, spec.mobile_crop.height),
        (800, 1000)
    );
    let mobile = spec
        .variants
        .iter()
        .find(|v| v.crop == CropKind::Mobile && v.format == VariantFormat::Jpeg)
        .unwrap();
    let file = banner.files.iter().find(|f| f.file == mobile.file).unwrap();
    let pixel = image::load_from_memory(&file.bytes)
        .unwrap()
        .to_rgb8()
        .get_pixel(5, 5)
        .0;
    assert!(
        pixel[1] > 120 && pixel[0] < 80,
        "the mobile crop is the green upload: {pixel:?}"
    );
    assert_eq!(banner.files.len(), spec.variants.len() + 2);

    // A bad second file is reported on its own field.
    let err = process_banner(
        BannerInput::Pair {
            desktop: &wide,
            mobile: b"%PDF-1.7",
        },
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err.field, "mobile_image");
    assert!(
        err.into_invalid()
            .message_for("mobile_image")
            .unwrap()
            .contains("PDF")
    );
}

#[test]
fn the_focal_point_decides_what_each_crop_keeps() {
    // Red left half, blue right: a focal point on the far right gives a blue mobile crop.
    let bytes = jpeg(2000, 1000);
    let banner = process_banner(
        BannerInput::Single {
            image: &bytes,
            focal: FocalPoint::new(950, 500).unwrap(),
        },
        &Limits::default(),
    )
    .unwrap();
    let mobile = &banner.banner.mobile_crop;
    assert_eq!((mobile.x, mobile.width, mobile.height), (1200, 800, 1000));
    assert_eq!(banner.banner.focal, Some(FocalPoint { x: 950, y: 500 }));
}

#[test]
fn a_pixel_bomb_is_refused_from_its_header_at_once() {
    for bomb in [png_bomb(100_000, 100_000), jpeg_claiming(60_000, 60_000)] {
        let started = Instant::now();
        match decode_error(&bomb) {
            MediaError::TooManyPixels { width, height, .. } => {
                assert!(width >= 60_000 && height >= 60_000);
            }
            other => panic!("expected TooManyPixels, got {other:?}"),
        }
        assert!(
            started.elapsed().as_millis() < 500,
            "refused before decoding"
        );
    }
    let message = decode_error(&png_bomb(100_000, 100_000)).to_string();
    assert!(
        message.contains("10000 megapixels") && message.contains("limit is 50"),
        "{message}"
    );
}

#[test]
fn damaged_files_get_a_clear_error() {
    let whole = jpeg(800, 600);
    let truncated = &whole[..whole.len() / 2];
    assert_eq!(
        decode_error(truncated),
        MediaError::Truncated { format: "JPEG" }
    );
    for format in [ImageFormat::Png, ImageFormat::WebP, ImageFormat::Gif] {
        let whole = encode(&halves(800, 600), format);
        let err = decode_error(&whole[..whole.len() / 2]);
        assert!(
            matches!(err, MediaError::Truncated { .. }),
            "{format:?}: {err:?}"
        );
        assert!(err.to_string().contains("incomplete"), "{err}");
    }
    let mut garbage = vec![0xFF, 0xD8, 0xFF, 0xDB];
    garbage.extend((0..5000u32).map(|i| (i * 7919 % 251) as u8));
    garbage.extend_from_slice(&[0xFF, 0xD9]);
    let err = decode_error(&garbage);
    assert!(
        matches!(err, MediaError::Corrupt { format: "JPEG", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("damaged"), "{err}");
}

#[test]
fn other_files_are_refused_by_content_whatever_their_name() {
    // A PDF that someone named photo.jpg: the name is never consulted.
    let err = decode_error(&pdf());
    assert_eq!(
        err,
        MediaError::NotAnImage {
            found: "a PDF document"
        }
    );
    assert!(err.to_string().contains("whatever its name says"));
    assert_eq!(
        decode_error(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"),
        MediaError::Svg
    );
    assert!(MediaError::Svg.to_string().contains("scripts"));
    assert_eq!(
        decode_error(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
        MediaError::UnsupportedImage { format: "HEIC" }
    );
    assert_eq!(decode_error(b""), MediaError::Empty);
    assert!(matches!(
        decode_error(b"MZ\x90\0"),
        MediaError::NotAnImage { found: "a program" }
    ));
}

#[test]
fn limits_on_bytes_and_size_are_enforced() {
    let bytes = jpeg(800, 600);
    let small_limit = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };
    match decode(&bytes, &small_limit) {
        Err(MediaError::TooLarge { size, max: 1000 }) => assert_eq!(size, bytes.len() as u64),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let few_pixels = Limits {
        max_pixels: 100_000,
        ..Limits::default()
    };
    assert!(matches!(
        decode(&bytes, &few_pixels),
        Err(MediaError::TooManyPixels {
            width: 800,
            height: 600,
            ..
        })
    ));
    let err = decode_error(&jpeg(200, 100));
    assert!(
        matches!(
            err,
            MediaError::TooSmall {
                width: 200,
                height: 100,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_user_error());
    assert!(
        err.into_invalid("image")
            .message_for("image")
            .unwrap()
            .contains("at least 320×200")
    );
}
