//! The domain of Pressroom: what a release is and the rules it obeys.
//!
//! This crate holds no I/O — no database, no HTTP, no files — so every rule here is tested
//! in plain unit tests and the `store`, `web` and `cli` crates can only apply it, never
//! re-implement it.
//!
//! # Layout
//!
//! - [`release`]: releases, translations, revisions, topics, spokespeople, pages.
//! - [`workflow`]: the state machine of a translation, with the two-person rule.
//! - [`numbering`]: number series, the numbering year and display templates.
//! - [`user`]: users, roles and what each role may do.
//! - [`settings`]: site settings (languages, time zone, rights notice, two-person rule).
//! - [`media`]: banner crops around a focal point, variant widths, alternative text and
//!   attachment formats.
//! - [`language`]: language codes, text direction and Turkic-aware case mapping.
//! - [`markdown`]: Markdown to sanitised HTML, including question/answer blocks.
//! - [`slug`]: readable URL slugs from titles.
//! - [`totp`]: one-time codes for the optional second factor (RFC 6238).
//! - [`diff`]: line diffs between revisions.
//! - [`validate`]: the field error type every input check returns.
//! - [`signing`]: the signed, canonical form of a published revision, the publication log
//!   and their verification.
//! - [`verify`]: matching a statement a reader brings against what was published.

pub mod diff;
pub mod fold;
pub mod import;
pub mod language;
pub mod markdown;
pub mod media;
pub mod numbering;
pub mod outbox;
pub mod release;
pub mod settings;
pub mod signing;
pub mod slug;
pub mod subscription;
pub mod totp;
pub mod user;
pub mod validate;
pub mod verify;
pub mod workflow;

pub use validate::{FieldError, Invalid};
