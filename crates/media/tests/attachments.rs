//! Attachments: PDF and office documents recognised from their content, refused otherwise.

mod common;

use common::*;
use pressroom_core::media::{AttachmentFormat, MediaKind};
use pressroom_media::{DEFAULT_MAX_ATTACHMENT_BYTES, MediaError, process_attachment};

fn check(bytes: &[u8], name: &str) -> Result<pressroom_media::ProcessedAttachment, MediaError> {
    process_attachment(bytes, name, DEFAULT_MAX_ATTACHMENT_BYTES)
}

#[test]
fn documents_are_recognised_by_their_content() {
    let xlsx = zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", b"<workbook/>"),
    ]);
    let pptx = zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("ppt/presentation.xml", b"<p/>"),
    ]);
    let ods = zip(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("content.xml", b"<c/>"),
    ]);
    let odp = zip(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.presentation",
        ),
        ("content.xml", b"<c/>"),
    ]);
    for (bytes, format) in [
        (pdf(), AttachmentFormat::Pdf),
        (docx(), AttachmentFormat::Docx),
        (xlsx, AttachmentFormat::Xlsx),
        (pptx, AttachmentFormat::Pptx),
        (odt(), AttachmentFormat::Odt),
        (ods, AttachmentFormat::Ods),
        (odp, AttachmentFormat::Odp),
    ] {
        // The name says nothing true: the content decides.
        let done = check(&bytes, "Statement of the Minister.bin").unwrap();
        assert_eq!(done.attachment.format, format);
        let ext = format.extension();
        assert_eq!(
            done.attachment.file_name,
            format!("Statement of the Minister.{ext}")
        );
        assert!(
            done.file
                .key
                .as_str()
                .ends_with(&format!("/statement-of-the-minister.{ext}")),
            "{}",
            done.file.key
        );
        assert_eq!(done.file.key.content_type(), format.mime());
        assert!(done.file.key.is_download());
        assert_eq!(done.attachment.file.kind, MediaKind::Attachment);
        assert_eq!(done.attachment.file.size, bytes.len() as u64);
        assert_eq!(&done.file.bytes[..], &bytes[..], "stored as uploaded");
    }
}

#[test]
fn a_pdf_named_like_a_picture_is_still_a_pdf_and_keeps_a_readable_name() {
    let done = check(&pdf(), "C:\\Press\\Отчёт 2024.JPG").unwrap();
    assert_eq!(done.attachment.format, AttachmentFormat::Pdf);
    assert_eq!(done.attachment.file_name, "Отчёт 2024.pdf");
    assert!(done.file.key.as_str().ends_with("/otchyot-2024.pdf"));
}

#[test]
fn other_files_truncated_files_and_macros_are_refused() {
    let refused = |bytes: &[u8]| check(bytes, "x.pdf").expect_err("refused");
    assert_eq!(
        refused(&jpeg(400, 300)),
        MediaError::NotADocument {
            found: "a JPEG image"
        }
    );
    assert!(
        refused(&jpeg(400, 300))
            .to_string()
            .contains("whatever its name says")
    );
    let pdf = pdf();
    assert_eq!(
        refused(&pdf[..pdf.len() - 10]),
        MediaError::Truncated { format: "PDF" }
    );
    let docx = docx();
    assert!(matches!(
        refused(&docx[..docx.len() - 30]),
        MediaError::Truncated { .. } | MediaError::Corrupt { .. }
    ));
    assert_eq!(
        refused(&zip(&[("notes.txt", b"hello")])),
        MediaError::NotADocument {
            found: "a ZIP archive"
        }
    );
    let docm = zip(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", b"<w/>"),
        ("word/vbaProject.bin", b"\0"),
    ]);
    assert_eq!(refused(&docm), MediaError::Macros);
    let legacy = refused(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest of an old .doc");
    assert!(legacy.to_string().contains("old-format Office"), "{legacy}");
    assert_eq!(refused(b""), MediaError::Empty);
    assert!(matches!(
        process_attachment(&pdf, "a.pdf", 10),
        Err(MediaError::TooLarge { max: 10, .. })
    ));
    assert!(refused(b"<svg/>").to_string().contains("SVG"));
}
