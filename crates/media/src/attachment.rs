//! Attachments: PDF and the usual office formats, recognised from their content. Office Open
//! XML and OpenDocument files are ZIP containers; which one a ZIP is comes from the names of
//! the parts inside (read from the archive's central directory), not from the file name.

use pressroom_core::media::{
    AttachmentFormat, MediaKind, NewAttachment, display_file_name, url_file_stem,
};

use crate::decode::check_size;
use crate::error::MediaError;
use crate::sniff::{Sniffed, sniff};
use crate::variants::StoredFile;

/// The largest attachment by default: 25 MiB, what an e-mail would still carry.
pub const DEFAULT_MAX_ATTACHMENT_BYTES: u64 = 25 << 20;

/// A checked attachment: the file to store and the record to keep once it is stored.
#[derive(Debug, Clone)]
pub struct ProcessedAttachment {
    /// The record.
    pub attachment: NewAttachment,
    /// The file.
    pub file: StoredFile,
}

/// Checks an uploaded document. It is stored as uploaded (documents are published as they
/// are); only its type, completeness and absence of macros are checked.
pub fn process_attachment(
    bytes: &[u8],
    file_name: &str,
    max_bytes: u64,
) -> Result<ProcessedAttachment, MediaError> {
    check_size(bytes, max_bytes)?;
    let format = match sniff(bytes) {
        Sniffed::Pdf => {
            check_pdf(bytes)?;
            AttachmentFormat::Pdf
        }
        Sniffed::Zip => office_format(bytes)?,
        other => {
            return Err(MediaError::NotADocument {
                found: other.describe(),
            });
        }
    };
    let ext = format.extension();
    let shown = display_file_name(file_name, &format!("document.{ext}"));
    // The name keeps what the person called it, with the extension its content deserves.
    let stem = match shown.rsplit_once('.') {
        Some((stem, e))
            if !stem.is_empty() && e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            stem
        }
        _ => shown.as_str(),
    };
    let shown = format!("{stem}.{ext}");
    let file = StoredFile::new(
        bytes.to_vec(),
        &url_file_stem(&shown, "document"),
        ext,
        MediaKind::Attachment,
        format.mime(),
        None,
    );
    Ok(ProcessedAttachment {
        attachment: NewAttachment {
            release_id: None,
            file: file.file.clone(),
            format,
            file_name: shown,
        },
        file,
    })
}

/// A PDF ends with `%%EOF` (possibly followed by a line break or a little padding); one cut
/// off in transfer does not. It must not act on its own either (`pdf`).
fn check_pdf(bytes: &[u8]) -> Result<(), MediaError> {
    let tail = &bytes[bytes.len().saturating_sub(2048)..];
    if !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err(MediaError::Truncated { format: "PDF" });
    }
    crate::pdf::check_active_content(bytes)
}

/// Which office format a ZIP container holds.
fn office_format(bytes: &[u8]) -> Result<AttachmentFormat, MediaError> {
    let names = zip_entry_names(bytes)?;
    let has = |name: &str| names.iter().any(|n| n == name);
    if names
        .iter()
        .any(|n| n.to_ascii_lowercase().ends_with("vbaproject.bin"))
    {
        return Err(MediaError::Macros);
    }
    if has("[Content_Types].xml") {
        if has("word/document.xml") {
            return Ok(AttachmentFormat::Docx);
        }
        if has("xl/workbook.xml") {
            return Ok(AttachmentFormat::Xlsx);
        }
        if has("ppt/presentation.xml") {
            return Ok(AttachmentFormat::Pptx);
        }
    }
    if has("mimetype") && has("content.xml") {
        // OpenDocument stores its type, uncompressed, as the first entry's content.
        let head = &bytes[..bytes.len().min(200)];
        let text = String::from_utf8_lossy(head);
        if names
            .iter()
            .any(|n| n.starts_with("Basic/") || n.starts_with("Scripts/"))
        {
            return Err(MediaError::Macros);
        }
        for (marker, format) in [
            ("opendocument.text", AttachmentFormat::Odt),
            ("opendocument.spreadsheet", AttachmentFormat::Ods),
            ("opendocument.presentation", AttachmentFormat::Odp),
        ] {
            if text.contains(&format!("application/vnd.oasis.{marker}")) {
                return Ok(format);
            }
        }
    }
    Err(MediaError::NotADocument {
        found: "a ZIP archive",
    })
}

/// The names in a ZIP's central directory. The directory sits at the end of the file, so a
/// truncated upload is caught here.
fn zip_entry_names(bytes: &[u8]) -> Result<Vec<String>, MediaError> {
    const EOCD: [u8; 4] = [0x50, 0x4B, 0x05, 0x06];
    const ENTRY: [u8; 4] = [0x50, 0x4B, 0x01, 0x02];
    let truncated = MediaError::Truncated {
        format: "ZIP-based document",
    };
    let search_from = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (search_from..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes[i..i + 4] == EOCD)
        .ok_or(truncated.clone())?;
    let u16_at = |i: usize| -> Option<usize> {
        bytes
            .get(i..i + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |i: usize| -> Option<usize> {
        bytes
            .get(i..i + 4)
            .and_then(|b| usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok())
    };
    let count = u16_at(eocd + 10).ok_or(truncated.clone())?;
    let mut at = u32_at(eocd + 16).ok_or(truncated.clone())?;
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        if bytes.get(at..at + 4) != Some(&ENTRY[..]) {
            return Err(MediaError::Corrupt {
                format: "ZIP-based document",
                detail: "its table of contents is damaged".to_owned(),
            });
        }
        let name_len = u16_at(at + 28).ok_or(truncated.clone())?;
        let extra_len = u16_at(at + 30).ok_or(truncated.clone())?;
        let comment_len = u16_at(at + 32).ok_or(truncated.clone())?;
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or(truncated.clone())?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(names)
}
