//! What a file is, decided from its first bytes, never from its name: a PDF renamed
//! `photo.jpg` is a PDF. The descriptions of refused types make the error message say what the
//! file really is.

/// An image format we decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// GIF (the first frame is used).
    Gif,
    /// WebP.
    Webp,
}

impl ImageKind {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Gif => "GIF",
            Self::Webp => "WebP",
        }
    }

    pub(crate) fn format(self) -> image::ImageFormat {
        match self {
            Self::Jpeg => image::ImageFormat::Jpeg,
            Self::Png => image::ImageFormat::Png,
            Self::Gif => image::ImageFormat::Gif,
            Self::Webp => image::ImageFormat::WebP,
        }
    }
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// An image we decode.
    Image(ImageKind),
    /// An SVG document.
    Svg,
    /// An image in a format we do not decode ("HEIC").
    OtherImage(&'static str),
    /// A PDF document.
    Pdf,
    /// A ZIP container: Office Open XML, OpenDocument, or a plain archive.
    Zip,
    /// A legacy Office (OLE compound) file.
    LegacyOffice,
    /// Something else, described for a message ("a program").
    Other(&'static str),
}

impl Sniffed {
    /// How a message names it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Image(ImageKind::Jpeg) => "a JPEG image",
            Self::Image(ImageKind::Png) => "a PNG image",
            Self::Image(ImageKind::Gif) => "a GIF image",
            Self::Image(ImageKind::Webp) => "a WebP image",
            Self::Svg => "an SVG image",
            Self::OtherImage(_) => "an image in a format we do not accept",
            Self::Pdf => "a PDF document",
            Self::Zip => "a ZIP archive",
            Self::LegacyOffice => "an old-format Office document (.doc, .xls or .ppt)",
            Self::Other(what) => what,
        }
    }
}

/// Decides what `bytes` is from its signature.
pub fn sniff(bytes: &[u8]) -> Sniffed {
    let starts = |sig: &[u8]| bytes.starts_with(sig);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Image(ImageKind::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Image(ImageKind::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Sniffed::Image(ImageKind::Gif);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Sniffed::Image(ImageKind::Webp);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return match &bytes[8..12] {
            b"avif" | b"avis" => Sniffed::OtherImage("AVIF"),
            b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                Sniffed::OtherImage("HEIC")
            }
            _ => Sniffed::Other("a video or audio file"),
        };
    }
    if starts(b"%PDF-") {
        return Sniffed::Pdf;
    }
    if starts(b"PK\x03\x04") {
        return Sniffed::Zip;
    }
    if starts(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Sniffed::LegacyOffice;
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Sniffed::OtherImage("TIFF");
    }
    if starts(b"BM") && bytes.len() > 14 {
        return Sniffed::OtherImage("BMP");
    }
    if starts(&[0, 0, 1, 0]) || starts(&[0, 0, 2, 0]) {
        return Sniffed::OtherImage("ICO");
    }
    if starts(b"8BPS") {
        return Sniffed::OtherImage("Photoshop");
    }
    if starts(b"MZ") || starts(b"\x7fELF") {
        return Sniffed::Other("a program");
    }
    if starts(&[0x1F, 0x8B]) || starts(b"7z\xBC\xAF") || starts(b"Rar!") {
        return Sniffed::Other("a compressed archive");
    }
    if starts(b"{\\rtf") {
        return Sniffed::Other("an RTF document");
    }
    text_kind(bytes)
}

/// Text-based formats: SVG (possibly after an XML declaration, comments or a doctype), HTML.
fn text_kind(bytes: &[u8]) -> Sniffed {
    let head = &bytes[..bytes.len().min(4096)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let trimmed = text.trim_start();
    if trimmed.starts_with("<svg") || (trimmed.starts_with('<') && text.contains("<svg")) {
        return Sniffed::Svg;
    }
    if trimmed.starts_with("<!doctype html") || trimmed.starts_with("<html") {
        return Sniffed::Other("a web page");
    }
    if trimmed.starts_with("<?xml") {
        return Sniffed::Other("an XML document");
    }
    if head.is_empty() {
        return Sniffed::Other("an empty file");
    }
    Sniffed::Other("not a type of file we recognise")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_decide_the_type() {
        assert_eq!(
            sniff(b"\xFF\xD8\xFF\xE0rest"),
            Sniffed::Image(ImageKind::Jpeg)
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Sniffed::Image(ImageKind::Webp)
        );
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::Pdf);
        assert_eq!(
            sniff(b"\0\0\0\x1cftypheic\0\0"),
            Sniffed::OtherImage("HEIC")
        );
        assert_eq!(sniff(b"\xEF\xBB\xBF  <svg xmlns=\"\">"), Sniffed::Svg);
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<!-- x -->\n<SVG>"),
            Sniffed::Svg
        );
        assert_eq!(sniff(b"<!DOCTYPE html><p>"), Sniffed::Other("a web page"));
        assert_eq!(
            sniff(b"hello"),
            Sniffed::Other("not a type of file we recognise")
        );
    }
}
