//! PDF attachments that act on their own (script, open actions, launching programs) or hide a
//! web page are refused; ordinary ones, including those with compressed object streams, are
//! kept. Every file is a complete PDF built here, with a correct cross-reference table.

use std::io::Write;

use pressroom_media::{DEFAULT_MAX_ATTACHMENT_BYTES, MediaError, process_attachment};

/// A PDF whose objects 1… are `objects`, with the header, `xref` and trailer a reader needs.
fn build_pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

/// A one-page document: `catalog_extra` goes into the catalog, `page_extra` into the page,
/// and `more` are objects 5….
fn document(catalog_extra: &str, page_extra: &str, more: &[Vec<u8>]) -> Vec<u8> {
    let mut objects = vec![
        format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>").into_bytes(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R {page_extra} >>"
        )
        .into_bytes(),
        stream("", b"0 0 m 100 100 l S"),
    ];
    objects.extend_from_slice(more);
    build_pdf(&objects)
}

/// An object stream holding `dicts` as objects 10…, Flate-compressed.
fn object_stream(dicts: &[&str]) -> Vec<u8> {
    let mut offsets = String::new();
    let mut body = String::new();
    for (i, dict) in dicts.iter().enumerate() {
        offsets.push_str(&format!("{} {} ", 10 + i, body.len()));
        body.push_str(dict);
        body.push('\n');
    }
    let data = format!("{offsets}{body}");
    stream(
        &format!(
            "/Type /ObjStm /N {} /First {} /Filter /FlateDecode",
            dicts.len(),
            offsets.len()
        ),
        &deflate(data.as_bytes()),
    )
}

fn check(bytes: &[u8]) -> Result<pressroom_media::ProcessedAttachment, MediaError> {
    process_attachment(bytes, "statement.pdf", DEFAULT_MAX_ATTACHMENT_BYTES)
}

#[test]
fn ordinary_pdfs_are_accepted() {
    let plain = document("/Lang (en-GB)", "", &[]);
    check(&plain).expect("a minimal one-page PDF");
    // Names that only start like the refused ones, and a compressed object stream of
    // ordinary dictionaries.
    let with_objstm = document(
        "/Metadata 6 0 R /AAPL 1 /JSON (x)",
        "/Annots [10 0 R]",
        &[
            object_stream(&[
                "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://mfa.example.org/) >> >>",
            ]),
            stream(
                "/Type /Metadata /Subtype /XML",
                b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"></x:xmpmeta>",
            ),
        ],
    );
    let done = check(&with_objstm).expect("an object stream without actions");
    assert_eq!(done.attachment.file_name, "statement.pdf");
}

#[test]
fn pdfs_that_act_on_their_own_are_refused_with_a_reason() {
    let js = "<< /S /JavaScript /JS (app.alert(1)) >>";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("open action with script", document("/OpenAction 5 0 R", "", &[js.as_bytes().to_vec()]), "JavaScript"),
        ("open action alone", document("/OpenAction [3 0 R /Fit]", "", &[]), "when it is opened"),
        ("page additional actions", document("", "/AA << /O 5 0 R >>", &[b"<< /S /URI /URI (https://a.example/) >>".to_vec()]), "opened or read"),
        ("launch", document("", "/Annots [5 0 R]", &[b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /Launch /F (cmd.exe) >> >>".to_vec()]), "starts another program"),
        ("escaped names", document("/Open#41ction 5 0 R", "", &[b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>".to_vec()]), "JavaScript"),
        ("escaped JS only", document("/Names << /#4A#53 5 0 R >>", "", &[b"(app.alert(1))".to_vec()]), "JavaScript"),
        ("escaped AA", document("", "/A#41 << /O 5 0 R >>", &[b"<< >>".to_vec()]), "opened or read"),
        ("script names in a document-level name tree", document("/Names << /JavaScript 5 0 R >>", "", &[b"<< /Names [(a) 6 0 R] >>".to_vec()]), "JavaScript"),
        ("script inside a compressed object stream", document("", "/Annots [10 0 R]", &[object_stream(&["<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A 11 0 R >>", js])]), "JavaScript"),
        ("escaped launch inside an object stream", document("", "/Annots [10 0 R]", &[object_stream(&["<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /L#61unch /F (calc) >> >>"])]), "starts another program"),
    ];
    for (what, bytes, reason) in cases {
        let refused = check(&bytes).expect_err(what);
        assert!(
            matches!(refused, MediaError::ActivePdf { .. }),
            "{what}: {refused:?}"
        );
        let message = refused.to_string();
        assert!(
            message.contains(reason) && message.contains("without scripts or actions"),
            "{what}: {message}"
        );
    }
}

#[test]
fn a_pdf_header_in_front_of_a_web_page_is_refused() {
    for bytes in [
        &b"%PDF-1.4\n<html><body><script>alert(document.domain)</script></body></html>\n%%EOF\n"[..],
        b"%PDF-1.7\n<!DOCTYPE html><p>hello</p>\n%%EOF\n",
        b"%PDF-\n<SVG onload=alert(1)>\n%%EOF\n",
    ] {
        let refused = check(bytes).expect_err("HTML behind a PDF header");
        assert_eq!(refused, MediaError::PdfWithHtml);
        assert!(refused.to_string().contains("contains a web page"));
    }
}
