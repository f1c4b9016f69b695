use super::*;

fn rect(x: u32, y: u32, width: u32, height: u32) -> Rect {
    Rect {
        x,
        y,
        width,
        height,
    }
}

#[test]
fn crops_are_the_largest_of_their_shape_centred_on_the_focal_point() {
    let desktop = CropKind::Desktop.aspect();
    let mobile = CropKind::Mobile.aspect();
    // A 3:2 photo: the desktop crop keeps the full width, the mobile crop the full height.
    assert_eq!(
        crop_around(6000, 4000, desktop, FocalPoint::CENTRE),
        rect(0, 1000, 6000, 2000)
    );
    assert_eq!(
        crop_around(6000, 4000, mobile, FocalPoint::CENTRE),
        rect(1400, 0, 3200, 4000)
    );
    // A face in the upper left third.
    let face = FocalPoint::new(300, 250).unwrap();
    assert_eq!(
        crop_around(6000, 4000, desktop, face),
        rect(0, 0, 6000, 2000)
    );
    assert_eq!(
        crop_around(6000, 4000, mobile, face),
        rect(200, 0, 3200, 4000)
    );
}

#[test]
fn a_focal_point_near_an_edge_moves_the_crop_to_the_edge_not_off_the_image() {
    let mobile = CropKind::Mobile.aspect();
    for (x, y) in [(0, 0), (1000, 1000), (1000, 0), (0, 1000), (999, 1)] {
        let r = crop_around(6000, 4000, mobile, FocalPoint { x, y });
        assert!(r.x + r.width <= 6000 && r.y + r.height <= 4000, "{r:?}");
    }
    assert_eq!(
        crop_around(6000, 4000, mobile, FocalPoint { x: 1000, y: 500 }).x,
        2800
    );
    assert_eq!(
        crop_around(6000, 4000, mobile, FocalPoint { x: 0, y: 500 }).x,
        0
    );
}

#[test]
fn crops_of_odd_and_tiny_images_stay_inside_and_keep_their_shape() {
    for (w, h) in [
        (1, 1),
        (3, 1),
        (1, 3),
        (7, 5),
        (1200, 400),
        (401, 4000),
        (9999, 3),
    ] {
        for kind in CropKind::ALL {
            let r = crop_around(w, h, kind.aspect(), FocalPoint::CENTRE);
            assert!(r.width >= 1 && r.height >= 1, "{w}x{h} {kind:?} {r:?}");
            assert!(
                r.x + r.width <= w && r.y + r.height <= h,
                "{w}x{h} {kind:?} {r:?}"
            );
            let a = kind.aspect();
            // Within one pixel of the exact shape.
            let err = (i64::from(r.width) * i64::from(a.height)
                - i64::from(r.height) * i64::from(a.width))
            .abs();
            assert!(
                err <= i64::from(a.width.max(a.height)),
                "{w}x{h} {kind:?} {r:?}"
            );
        }
    }
    // Exactly the right shape already: the whole image.
    assert_eq!(
        crop_around(
            1200,
            400,
            CropKind::Desktop.aspect(),
            FocalPoint { x: 0, y: 0 }
        ),
        rect(0, 0, 1200, 400)
    );
}

#[test]
fn focal_points_off_the_image_are_refused() {
    assert!(FocalPoint::new(1000, 1000).is_ok());
    let err = FocalPoint::new(1001, 0).unwrap_err();
    assert!(err.message_for("focal_point").is_some());
}

#[test]
fn variant_widths_never_upscale() {
    assert_eq!(
        CropKind::Desktop.widths_for(6000),
        vec![480, 768, 1200, 1600, 2560]
    );
    assert_eq!(CropKind::Desktop.widths_for(1300), vec![480, 768, 1200]);
    assert_eq!(CropKind::Mobile.widths_for(3200), vec![480, 768, 1080]);
    assert_eq!(CropKind::Mobile.widths_for(400), vec![400]);
    assert_eq!(CropKind::Og.widths_for(1000), vec![1000]);
    assert_eq!(scaled_height(rect(0, 0, 6000, 2000), 2560), 853);
    assert_eq!(scaled_height(rect(0, 0, 3200, 4000), 1080), 1350);
    assert_eq!(scaled_height(rect(0, 0, 4000, 2100), 1200), 630);
}

#[test]
fn publishing_needs_alt_text_in_the_translation_language() {
    let mut alt = AltText::new();
    alt.insert("az".into(), "Nazir mətbuat konfransında".into());
    alt.insert("en".into(), "   ".into());
    assert!(check_banner_alt(&alt, "az").is_ok());
    let err = check_banner_alt(&alt, "en").unwrap_err();
    let message = err.message_for("banner_alt").unwrap();
    assert!(message.contains("`en`"), "{message}");
    assert!(check_banner_alt(&alt, "ru").is_err());
}

#[test]
fn alt_text_has_a_length_limit() {
    let mut alt = AltText::new();
    alt.insert("en".into(), "x".repeat(MAX_ALT_CHARS + 1));
    assert!(
        validate_alt(&alt)
            .unwrap_err()
            .message_for("alt.en")
            .is_some()
    );
    alt.insert("en".into(), "x".repeat(MAX_ALT_CHARS));
    assert!(validate_alt(&alt).is_ok());
}

#[test]
fn file_names_are_cleaned_for_display_and_urls() {
    assert_eq!(
        display_file_name("C:\\Users\\press\\Annual report.pdf", "file"),
        "Annual report.pdf"
    );
    assert_eq!(display_file_name("../../etc/passwd\u{0}", "file"), "passwd");
    assert_eq!(display_file_name("   ", "file"), "file");
    assert_eq!(
        url_file_stem("Annual Report 2024.pdf", "file"),
        "annual-report-2024"
    );
    assert_eq!(url_file_stem("Отчёт за год.docx", "file"), "otchyot-za-god");
    assert_eq!(url_file_stem("报告.pdf", "file"), "file");
    assert_eq!(url_file_stem(".pdf", "file"), "pdf");
    assert_eq!(url_file_stem("a 报告 b.pdf", "file"), "a-b");
}

#[test]
fn attachment_formats_know_their_extension_and_type() {
    assert_eq!(
        AttachmentFormat::from_extension("DOCX"),
        Some(AttachmentFormat::Docx)
    );
    assert_eq!(AttachmentFormat::Pdf.mime(), "application/pdf");
    assert_eq!(AttachmentFormat::Ods.label(), "ODS");
    assert_eq!(AttachmentFormat::from_extension("exe"), None);
}
