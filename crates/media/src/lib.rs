//! Pressroom's media: bytes in, validated images, crops and variants out; files kept in a
//! local folder or an S3-compatible bucket.
//!
//! An upload is checked before it is decoded (size, type from its content, pixel count from
//! its header), decoded to upright RGB with every piece of metadata dropped, cropped around a
//! focal point (geometry in `pressroom_core::media`) and encoded once per width in WebP and
//! JPEG under content-addressed keys. The crate knows nothing of the database: it returns the
//! files to store and the records (`pressroom_core::media::NewBanner`, `NewAttachment`) for the
//! store to keep.
//!
//! # Layout
//!
//! - [`sniff`]: what a file is, from its first bytes.
//! - [`decode()`] and [`Limits`]: safe decoding of an image upload.
//! - [`process_banner`]: a banner's source and variants from one image and a focal point, or
//!   from two images.
//! - [`process_attachment`]: PDF and office documents.
//! - [`MediaKey`]: content-addressed keys, strict enough to parse from a URL.
//! - [`storage`]: the [`Storage`] trait, a local folder and an S3-compatible bucket.
//! - [`MediaError`]: every refusal, in words an editor can act on.

mod attachment;
mod banner;
mod decode;
mod error;
mod key;
mod pdf;
pub mod sniff;
pub mod storage;
mod variants;

pub use attachment::{DEFAULT_MAX_ATTACHMENT_BYTES, ProcessedAttachment, process_attachment};
pub use banner::{BannerInput, ProcessedBanner, SOURCE_MAX_SIDE, process_banner};
pub use decode::{Decoded, Limits, decode};
pub use error::{MediaError, UploadError};
pub use key::MediaKey;
pub use storage::{Storage, StorageError, StoredObject};
pub use variants::StoredFile;
