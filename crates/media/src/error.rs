//! What can be wrong with an upload, in words an editor can act on. Every variant but
//! [`MediaError::Encode`] is the uploader's to fix; nothing is stored when any is returned.

use pressroom_core::Invalid;

/// Why an upload was refused (or, for [`MediaError::Encode`], why processing failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// No bytes at all.
    #[error("the file is empty; choose the file again")]
    Empty,
    /// More bytes than the limit.
    #[error(
        "the file is {} MB; the limit is {} MB. Export a smaller version and upload that",
        mb(*size), mb(*max)
    )]
    TooLarge {
        /// Bytes received.
        size: u64,
        /// The limit in bytes.
        max: u64,
    },
    /// The content is some other kind of file, whatever its name says.
    #[error(
        "the file is {found}, not an image (whatever its name says); upload a JPEG, PNG, WebP or GIF image"
    )]
    NotAnImage {
        /// What it is, as far as its first bytes tell ("a PDF document").
        found: &'static str,
    },
    /// SVG: a document that can carry scripts, so never served from our origin.
    #[error(
        "SVG images are not accepted because they can contain scripts; export the image as PNG or JPEG"
    )]
    Svg,
    /// An image format we do not decode.
    #[error("{format} images are not accepted; save the image as JPEG, PNG, WebP or GIF")]
    UnsupportedImage {
        /// Its name ("HEIC").
        format: &'static str,
    },
    /// A pixel count over the limit (a decompression bomb looks like this), refused from the
    /// header before any pixel is decoded.
    #[error(
        "the image is {width}×{height} pixels ({} megapixels); the limit is {} megapixels. Resize it and upload it again",
        megapixels(*width, *height), max_pixels / 1_000_000
    )]
    TooManyPixels {
        /// Pixels across, from the header.
        width: u32,
        /// Pixels down, from the header.
        height: u32,
        /// The limit.
        max_pixels: u64,
    },
    /// Too small to be shown as a banner.
    #[error(
        "the image is only {width}×{height} pixels; a banner needs at least {min_width}×{min_height}"
    )]
    TooSmall {
        /// Pixels across.
        width: u32,
        /// Pixels down.
        height: u32,
        /// Least width.
        min_width: u32,
        /// Least height.
        min_height: u32,
    },
    /// The file ends before its data does: an interrupted upload or copy.
    #[error(
        "the {format} file is incomplete (it ends before its data does); upload the complete file"
    )]
    Truncated {
        /// The format its first bytes claim.
        format: &'static str,
    },
    /// The file claims a format but its data is damaged.
    #[error("the {format} file is damaged and cannot be read ({detail}); export it again")]
    Corrupt {
        /// The format its first bytes claim.
        format: &'static str,
        /// What the decoder said.
        detail: String,
    },
    /// Not a document we accept as an attachment.
    #[error(
        "the file is {found} (whatever its name says); attach a PDF, or a Word, Excel, PowerPoint or OpenDocument file"
    )]
    NotADocument {
        /// What it is.
        found: &'static str,
    },
    /// An Office file with macros: code readers would be asked to run.
    #[error(
        "the document contains macros, which readers should never be asked to run; save it without macros (.docx, .xlsx, .pptx) or as PDF"
    )]
    Macros,
    /// A PDF that acts on its own (script, open actions, launching programs).
    #[error(
        "the PDF contains {what}, which readers' PDF viewers would run; print or export it to a new PDF without scripts or actions and upload that"
    )]
    ActivePdf {
        /// What it carries, in the editor's words.
        what: &'static str,
    },
    /// A file that starts as a PDF but carries a web page: another program would read it as
    /// HTML.
    #[error(
        "the file starts like a PDF but contains a web page; export the document as PDF again and upload that"
    )]
    PdfWithHtml,
    /// A PDF whose compressed object streams are too large to check for scripts.
    #[error(
        "the PDF is too complex to check for scripts; print or export it to a new PDF and upload that"
    )]
    PdfTooComplex,
    /// Encoding an output failed: a fault, not the uploader's doing.
    #[error("the image could not be processed: {0}")]
    Encode(String),
}

impl MediaError {
    /// Whether the uploader can fix it (everything but a processing fault).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, Self::Encode(_))
    }

    /// The error as a field error of a form or API call.
    pub fn into_invalid(self, field: &str) -> Invalid {
        Invalid::field(field, self.to_string())
    }
}

/// An upload error with the form field it belongs to, for uploads with several files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {error}")]
pub struct UploadError {
    /// The field: `image`, `desktop_image`, `mobile_image`, `file`.
    pub field: &'static str,
    /// What is wrong.
    pub error: MediaError,
}

impl UploadError {
    /// The error as a field error of a form or API call.
    pub fn into_invalid(self) -> Invalid {
        self.error.into_invalid(self.field)
    }
}

fn mb(bytes: u64) -> String {
    let tenths = (bytes * 10).div_ceil(1 << 20);
    format!("{}.{}", tenths / 10, tenths % 10)
}

fn megapixels(width: u32, height: u32) -> u64 {
    (u64::from(width) * u64::from(height)).div_ceil(1_000_000)
}
