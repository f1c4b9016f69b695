//! Content-addressed storage keys: `<hash>/<name>.<ext>`, where the hash is the first 128 bits
//! of the file's SHA-256. The same bytes always get the same key and a key never names other
//! bytes, so a key can be served as immutable and cached forever; the readable name is what a
//! reader sees when saving the file.

use std::fmt;

use sha2::{Digest, Sha256};

/// Hex digits of the hash in a key (128 bits: no collision in any plausible archive).
const HASH_HEX: usize = 32;
/// The longest name part of a key.
const MAX_NAME: usize = 80;

/// A valid storage key. Parsing is strict (lowercase hex, `[a-z0-9-]` names, a known
/// extension), so a key taken from a URL can never climb out of the media folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MediaKey(String);

impl MediaKey {
    /// The key for `bytes` named `name.ext`, and the full SHA-256 of the bytes in hex.
    /// `name` must already be `[a-z0-9-]` (see `pressroom_core::media::url_file_stem`).
    pub fn for_content(bytes: &[u8], name: &str, ext: &str) -> (Self, String) {
        let digest = pressroom_core::signing::to_hex(&Sha256::digest(bytes));
        let key = format!("{}/{name}.{ext}", &digest[..HASH_HEX]);
        debug_assert!(Self::parse(&key).is_some(), "bad key {key}");
        (Self(key), digest)
    }

    /// A key from text (a URL path or a stored row), if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        let (hash, file) = text.split_once('/')?;
        let (name, ext) = file.rsplit_once('.')?;
        let hash_ok = hash.len() == HASH_HEX
            && hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let name_ok = !name.is_empty()
            && name.len() <= MAX_NAME
            && !name.starts_with('-')
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        (hash_ok && name_ok && content_type_for(ext).is_some()).then(|| Self(text.to_owned()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The file name part (`desktop-1200.webp`), for downloads.
    pub fn file_name(&self) -> &str {
        self.0.split_once('/').map_or("", |(_, f)| f)
    }

    /// The media type its extension stands for.
    pub fn content_type(&self) -> &'static str {
        let ext = self.0.rsplit_once('.').map_or("", |(_, e)| e);
        content_type_for(ext).unwrap_or("application/octet-stream")
    }

    /// Whether a browser should download it rather than show it: everything but our images.
    pub fn is_download(&self) -> bool {
        !self.content_type().starts_with("image/")
    }
}

impl fmt::Display for MediaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The extensions we write, with their media types; nothing else is ever served.
fn content_type_for(ext: &str) -> Option<&'static str> {
    use pressroom_core::media::{AttachmentFormat, VariantFormat};
    VariantFormat::ALL
        .into_iter()
        .find(|f| f.extension() == ext)
        .map(VariantFormat::mime)
        .or_else(|| AttachmentFormat::from_extension(ext).map(AttachmentFormat::mime))
        .filter(|_| ext.bytes().all(|b| b.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_content_and_refuse_anything_else() {
        let (key, sha) = MediaKey::for_content(b"hello", "desktop-1200", "webp");
        assert_eq!(
            sha,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(
            key.as_str(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e/desktop-1200.webp"
        );
        assert_eq!(key.content_type(), "image/webp");
        assert!(!key.is_download());
        assert_eq!(MediaKey::parse(key.as_str()), Some(key));
        let pdf = MediaKey::parse("2cf24dba5fb0a30e26e83b2ac5b9e29e/report.pdf").unwrap();
        assert!(pdf.is_download());
        assert_eq!(pdf.file_name(), "report.pdf");
        for bad in [
            "../etc/passwd",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e/../x.pdf",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e/x.svg",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e/x.PDF",
            "2CF24DBA5FB0A30E26E83B2AC5B9E29E/x.pdf",
            "2cf24dba5fb0a30e/x.pdf",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e/.pdf",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e/a/b.pdf",
            "2cf24dba5fb0a30e26e83b2ac5b9e29e/x.html",
        ] {
            assert_eq!(MediaKey::parse(bad), None, "{bad}");
        }
    }
}
