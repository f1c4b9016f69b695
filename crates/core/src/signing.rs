//! Signatures and the publication log: what is signed, byte for byte, and how it is checked.
//!
//! A reader must be able to prove what the ministry published without trusting the web
//! server, so the format is defined here once, documented in `docs/signing.md`, and used by
//! every side: the store signs with it, the web layer serves it, `pressroom verify` and the
//! independent Python verifier check it. Nothing here does I/O: the private key arrives
//! through [`Sign`], so the store never needs to see key material.
//!
//! - A published revision is described by a [`ReleasePayload`], serialised as canonical JSON
//!   ([`canonical_json`]: sorted keys, no whitespace, integers only) and signed with Ed25519.
//!   The [`SignedDocument`] carries payload, key id and signature.
//! - Publications, corrections and withdrawals are chained in the log: each [`LogEntry`]
//!   names the SHA-256 of the entry before it and is signed the same way.
//! - Keys are listed in a [`KeysDocument`] with their validity periods; a key id is the first
//!   16 hex digits of the SHA-256 of the raw 32-byte public key.

use std::fmt;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::workflow::Correction;

/// Version tag of a signed revision's payload.
pub const RELEASE_FORMAT: &str = "pressroom-release/1";
/// Version tag of the document that carries a payload and its signature.
pub const SIGNED_FORMAT: &str = "pressroom-signed/1";
/// Version tag of a log entry.
pub const LOG_ENTRY_FORMAT: &str = "pressroom-log-entry/1";
/// Version tag of the published log.
pub const LOG_FORMAT: &str = "pressroom-log/1";
/// Version tag of the published key list.
pub const KEYS_FORMAT: &str = "pressroom-keys/1";
/// The only signature algorithm.
pub const ALGORITHM: &str = "Ed25519";
/// The "previous entry" hash of the first log entry.
pub const GENESIS_SHA256: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Something that signs with the site's key. The store holds one of these, not the key, so
/// the private key can stay in its file (or, later, in a hardware module).
pub trait Sign: Send + Sync {
    /// The raw 32-byte Ed25519 public key.
    fn public_key(&self) -> [u8; 32];
    /// An Ed25519 signature over `message`.
    fn sign(&self, message: &[u8]) -> [u8; 64];
    /// The key's id, as published.
    fn key_id(&self) -> String {
        key_id(&self.public_key())
    }
}

/// An Ed25519 private key held in memory.
pub struct Ed25519Key(SigningKey);

impl Ed25519Key {
    /// The key made from a 32-byte seed (the private key as RFC 8032 defines it).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// The seed, for writing the key file.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
}

impl fmt::Debug for Ed25519Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret, even in a debug log.
        write!(f, "Ed25519Key({})", self.key_id())
    }
}

impl Sign for Ed25519Key {
    fn public_key(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

/// The id of a public key: the first 16 hex digits of its SHA-256.
pub fn key_id(public_key: &[u8; 32]) -> String {
    sha256_hex(public_key)[..16].to_owned()
}

/// SHA-256 in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Bytes from lowercase hex; `None` for anything else (uppercase included, so each value has
/// exactly one spelling).
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// An instant as signed: UTC, always six fractional digits (`2021-10-04T07:30:00.000000Z`),
/// so that two instants compare correctly as plain strings.
pub fn instant_text(at: Timestamp) -> String {
    format!(
        "{}.{:06}Z",
        at.strftime("%Y-%m-%dT%H:%M:%S"),
        at.subsec_microsecond().unsigned_abs()
    )
}

/// The largest integer a signed document may hold: JavaScript and most JSON parsers read
/// larger ones inexactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The canonical bytes of a JSON value: object keys sorted by their UTF-8 bytes, no
/// whitespace, integers only, strings with the minimal escapes (RFC 8785 restricted to
/// integers). Fails on fractions and integers beyond ±(2^53 − 1).
pub fn canonical_json(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_canonical(value, &mut out)?;
    Ok(out)
}

fn write_canonical(value: &Value, out: &mut String) -> Result<(), String> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) if i.unsigned_abs() <= MAX_SAFE_INTEGER => out.push_str(&i.to_string()),
            (None, Some(u)) if u <= MAX_SAFE_INTEGER => out.push_str(&u.to_string()),
            _ => {
                return Err(format!(
                    "{n} is not an integer between -(2^53-1) and 2^53-1"
                ));
            }
        },
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(&map[key], out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn canonical_of<T: Serialize>(value: &T) -> String {
    // Our own payloads hold only strings, small integers, nulls and lists: always canonical.
    serde_json::to_value(value)
        .ok()
        .and_then(|v| canonical_json(&v).ok())
        .unwrap_or_default()
}

/// A release's official number as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedNumber {
    /// Series key.
    pub series: String,
    /// Year of the number.
    pub year: i64,
    /// Position in the year.
    pub seq: i64,
    /// The number as the page shows it in the payload's language (`No:367/21`).
    pub display: String,
}

/// An attachment, by content hash (none yet: attachments arrive with media).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedAttachment {
    /// File name.
    pub name: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
}

/// The revision published before this one in the same translation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousRevision {
    /// Its id.
    pub revision_id: i64,
    /// SHA-256 of its raw 64-byte signature; `None` when it was published before signing
    /// existed.
    pub signature_sha256: Option<String>,
}

/// What a reader sees of one published revision: the signed statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasePayload {
    /// [`RELEASE_FORMAT`].
    pub format: String,
    /// The site's public address.
    pub site: String,
    /// The release.
    pub release_id: i64,
    /// The translation.
    pub translation_id: i64,
    /// The revision signed.
    pub revision_id: i64,
    /// Kind key.
    pub kind: String,
    /// Language code.
    pub language: String,
    /// The official number, if the kind is numbered.
    pub number: Option<SignedNumber>,
    /// The release's date as the page shows it (site time zone), `YYYY-MM-DD`.
    pub date: String,
    /// When the release was first published.
    pub first_published_at: String,
    /// When this revision was published.
    pub published_at: String,
    /// When it was signed; checked against the key's validity.
    pub signed_at: String,
    /// Headline.
    pub title: String,
    /// Lead.
    pub lead: String,
    /// Body, the Markdown source exactly as stored.
    pub body: String,
    /// Attachments by hash.
    pub attachments: Vec<SignedAttachment>,
    /// `None` for a first publication, else the correction it was published as.
    pub correction: Option<Correction>,
    /// The revision this one replaced, if any.
    pub previous: Option<PreviousRevision>,
    /// Present when the revision was brought in from an archive rather than published here:
    /// the signature then vouches that the ministry imported this text, not that it was
    /// approved in Pressroom on `first_published_at`. Absent (not `null`) otherwise, so
    /// payloads signed before imports existed keep their canonical bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<ImportedMark>,
}

/// How an imported revision came in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedMark {
    /// When it was imported and signed.
    pub imported_at: String,
    /// When it was first published on the old site, as the archive says.
    pub original_published_at: String,
}

impl ReleasePayload {
    /// The bytes that are signed.
    pub fn canonical(&self) -> String {
        canonical_of(self)
    }
}

/// A payload with its signature: the "signed form" of a release a reader can download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedDocument {
    /// [`SIGNED_FORMAT`].
    pub format: String,
    /// The signed payload (a [`ReleasePayload`] as JSON).
    pub payload: Value,
    /// [`ALGORITHM`].
    pub algorithm: String,
    /// Id of the signing key.
    pub key_id: String,
    /// The Ed25519 signature over the payload's canonical bytes, in hex.
    pub signature: String,
}

impl SignedDocument {
    /// Signs `payload`.
    pub fn sign(payload: &ReleasePayload, signer: &dyn Sign) -> Self {
        let canonical = payload.canonical();
        Self {
            format: SIGNED_FORMAT.to_owned(),
            payload: serde_json::to_value(payload).unwrap_or(Value::Null),
            algorithm: ALGORITHM.to_owned(),
            key_id: signer.key_id(),
            signature: to_hex(&signer.sign(canonical.as_bytes())),
        }
    }

    /// Reads a document from JSON text, with a message a reader understands on failure.
    pub fn parse(text: &str) -> Result<Self, SignatureError> {
        let doc: Self = serde_json::from_str(text).map_err(|e| {
            SignatureError::Malformed(format!("this is not a signed Pressroom file: {e}"))
        })?;
        if doc.format != SIGNED_FORMAT {
            return Err(SignatureError::Malformed(format!(
                "the file's format is `{}`; this version reads `{SIGNED_FORMAT}`",
                doc.format
            )));
        }
        Ok(doc)
    }

    /// Checks the signature against `keys`; returns the payload it vouches for.
    pub fn verify(&self, keys: &[PublicKey]) -> Result<ReleasePayload, SignatureError> {
        let canonical =
            canonical_json(&self.payload).map_err(|e| SignatureError::Malformed(e.clone()))?;
        let payload: ReleasePayload = serde_json::from_value(self.payload.clone())
            .map_err(|e| SignatureError::Malformed(format!("the payload is incomplete: {e}")))?;
        if payload.format != RELEASE_FORMAT {
            return Err(SignatureError::Malformed(format!(
                "the payload's format is `{}`; this version reads `{RELEASE_FORMAT}`",
                payload.format
            )));
        }
        check_signature(
            canonical.as_bytes(),
            &self.algorithm,
            &self.key_id,
            &self.signature,
            &payload.signed_at,
            keys,
        )?;
        Ok(payload)
    }

    /// SHA-256 of the raw signature, as the next revision and the log name it.
    pub fn signature_sha256(&self) -> String {
        from_hex(&self.signature).map_or_else(String::new, |raw| sha256_hex(&raw))
    }
}

/// A public key as published, with its validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    /// [`key_id`] of the key.
    pub key_id: String,
    /// [`ALGORITHM`].
    pub algorithm: String,
    /// The raw 32-byte key in hex.
    pub public_key: String,
    /// When it was put in service ([`instant_text`] form).
    pub valid_from: String,
    /// When it was retired; `None` for the current key.
    pub valid_until: Option<String>,
}

/// The published list of keys: `/.well-known/pressroom/keys.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysDocument {
    /// [`KEYS_FORMAT`].
    pub format: String,
    /// The site's public address.
    pub site: String,
    /// Every key the site ever signed with, oldest first.
    pub keys: Vec<PublicKey>,
}

impl KeysDocument {
    /// Reads a downloaded key list.
    pub fn parse(text: &str) -> Result<Self, SignatureError> {
        let doc: Self = serde_json::from_str(text).map_err(|e| {
            SignatureError::Malformed(format!("this is not a Pressroom keys.json file: {e}"))
        })?;
        if doc.format != KEYS_FORMAT {
            return Err(SignatureError::Malformed(format!(
                "the key list's format is `{}`; this version reads `{KEYS_FORMAT}`",
                doc.format
            )));
        }
        Ok(doc)
    }
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The document cannot be read.
    #[error("{0}")]
    Malformed(String),
    /// The key is not one of the site's.
    #[error("the key {0} is not one of this site's keys")]
    UnknownKey(String),
    /// The signature does not match the content: something was changed after signing.
    #[error("the signature does not match the content: it was changed after it was signed")]
    BadSignature,
    /// The key was not in service when the document says it was signed.
    #[error("the key {key_id} was not in service at {signed_at}")]
    OutsideValidity {
        /// The key.
        key_id: String,
        /// When the document says it was signed.
        signed_at: String,
    },
}

/// Checks an Ed25519 signature (hex) over `message` by the key `key_id` among `keys`, and
/// that `signed_at` lies within the key's validity.
pub fn check_signature(
    message: &[u8],
    algorithm: &str,
    key_id: &str,
    signature_hex: &str,
    signed_at: &str,
    keys: &[PublicKey],
) -> Result<(), SignatureError> {
    if algorithm != ALGORITHM {
        return Err(SignatureError::Malformed(format!(
            "the algorithm `{algorithm}` is not {ALGORITHM}"
        )));
    }
    let key = keys
        .iter()
        .find(|k| k.key_id == key_id)
        .ok_or_else(|| SignatureError::UnknownKey(key_id.to_owned()))?;
    let raw_key: [u8; 32] = from_hex(&key.public_key)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| SignatureError::Malformed(format!("key {key_id} is not 32 hex bytes")))?;
    if self::key_id(&raw_key) != key.key_id {
        return Err(SignatureError::Malformed(format!(
            "key {key_id} does not match its public key"
        )));
    }
    let raw_sig: [u8; 64] = from_hex(signature_hex)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| SignatureError::Malformed("the signature is not 64 hex bytes".into()))?;
    let verifying = VerifyingKey::from_bytes(&raw_key).map_err(|_| SignatureError::BadSignature)?;
    verifying
        .verify_strict(message, &Signature::from_bytes(&raw_sig))
        .map_err(|_| SignatureError::BadSignature)?;
    let too_early = signed_at < key.valid_from.as_str();
    let too_late = key
        .valid_until
        .as_deref()
        .is_some_and(|until| signed_at > until);
    if too_early || too_late {
        return Err(SignatureError::OutsideValidity {
            key_id: key_id.to_owned(),
            signed_at: signed_at.to_owned(),
        });
    }
    Ok(())
}

/// What a log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogAction {
    /// A translation's first publication.
    Publish,
    /// A later revision published over a live one.
    Correct,
    /// A withdrawal.
    Withdraw,
}

/// One entry of the publication log, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// [`LOG_ENTRY_FORMAT`].
    pub format: String,
    /// Position in the log, from 1, without gaps.
    pub seq: i64,
    /// When it happened (publication time).
    pub at: String,
    /// When the entry was signed.
    pub signed_at: String,
    /// What happened.
    pub action: LogAction,
    /// The site's public address.
    pub site: String,
    /// The release.
    pub release_id: i64,
    /// The translation.
    pub translation_id: i64,
    /// Its language.
    pub language: String,
    /// The revision published, or live when withdrawn.
    pub revision_id: i64,
    /// SHA-256 of the revision's canonical payload (publications and corrections).
    pub payload_sha256: Option<String>,
    /// SHA-256 of the revision's raw signature (publications and corrections).
    pub signature_sha256: Option<String>,
    /// The public explanation of a withdrawal.
    pub explanation: Option<String>,
    /// SHA-256 of the previous entry's canonical bytes; [`GENESIS_SHA256`] for the first.
    pub previous_entry_sha256: String,
}

impl LogEntry {
    /// The bytes that are hashed and signed.
    pub fn canonical(&self) -> String {
        canonical_of(self)
    }

    /// The entry's hash, which the next entry names.
    pub fn sha256(&self) -> String {
        sha256_hex(self.canonical().as_bytes())
    }
}

/// A log entry with its hash and signature, as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedLogEntry {
    /// The entry.
    pub entry: Value,
    /// SHA-256 of its canonical bytes.
    pub entry_sha256: String,
    /// [`ALGORITHM`].
    pub algorithm: String,
    /// Id of the signing key.
    pub key_id: String,
    /// Ed25519 signature over the entry's canonical bytes, hex.
    pub signature: String,
}

impl SignedLogEntry {
    /// Signs `entry`.
    pub fn sign(entry: &LogEntry, signer: &dyn Sign) -> Self {
        let canonical = entry.canonical();
        Self {
            entry: serde_json::to_value(entry).unwrap_or(Value::Null),
            entry_sha256: sha256_hex(canonical.as_bytes()),
            algorithm: ALGORITHM.to_owned(),
            key_id: signer.key_id(),
            signature: to_hex(&signer.sign(canonical.as_bytes())),
        }
    }
}

/// Checks a run of log entries: each hash, each signature, and each link to the entry
/// before (`previous` is the hash of the entry before the first one given, or
/// [`GENESIS_SHA256`]). Returns the first entry that does not match and why.
pub fn verify_log(
    entries: &[SignedLogEntry],
    previous: &str,
    keys: &[PublicKey],
) -> Result<(), (i64, String)> {
    let mut previous = previous.to_owned();
    let mut expected_seq = None;
    for signed in entries {
        let seq = signed
            .entry
            .get("seq")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let fail = |why: String| Err((seq, why));
        let Ok(canonical) = canonical_json(&signed.entry) else {
            return fail("the entry is not canonical JSON".into());
        };
        let entry: LogEntry = match serde_json::from_value(signed.entry.clone()) {
            Ok(e) => e,
            Err(e) => return fail(format!("the entry cannot be read: {e}")),
        };
        if entry.format != LOG_ENTRY_FORMAT {
            return fail(format!("unknown entry format `{}`", entry.format));
        }
        if let Some(expected) = expected_seq
            && entry.seq != expected
        {
            return fail(format!("expected entry {expected}: an entry is missing"));
        }
        expected_seq = Some(entry.seq + 1);
        let hash = sha256_hex(canonical.as_bytes());
        if hash != signed.entry_sha256 {
            return fail("the entry's content does not match its hash".into());
        }
        if entry.previous_entry_sha256 != previous {
            return fail("the entry does not link to the entry before it".into());
        }
        if let Err(e) = check_signature(
            canonical.as_bytes(),
            &signed.algorithm,
            &signed.key_id,
            &signed.signature,
            &entry.signed_at,
            keys,
        ) {
            return fail(format!("entry signature: {e}"));
        }
        previous = hash;
    }
    Ok(())
}

#[cfg(test)]
#[path = "signing/tests.rs"]
mod tests;
