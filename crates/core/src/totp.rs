//! Time-based one-time passwords (RFC 6238, the six-digit codes of authenticator apps).
//!
//! Secrets are 20 random bytes shown to the user in base32 (RFC 4648, no padding), as every
//! authenticator app expects. A code is accepted for the current 30-second step and one step
//! either side, to allow for clock drift.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds per step.
const STEP: i64 = 30;
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Encodes bytes as unpadded base32.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes base32, ignoring spaces, dashes, case and padding (as people type it).
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !matches!(c, ' ' | '-' | '=')) {
        let value = ALPHABET
            .iter()
            .position(|a| char::from(*a) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The code for `secret` at Unix time `unix_seconds`.
pub fn code_at(secret: &[u8], unix_seconds: i64) -> String {
    let counter = unix_seconds.div_euclid(STEP);
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}

/// Whether `code` is valid for `secret_base32` at `unix_seconds` (± one step).
pub fn verify(secret_base32: &str, code: &str, unix_seconds: i64) -> bool {
    matching_step(secret_base32, code, unix_seconds).is_some()
}

/// The time step (Unix time / 30) whose code `code` is, within ± one step of `unix_seconds`.
/// Callers that sign people in keep the last accepted step and refuse any step not after it,
/// so one code works once.
pub fn matching_step(secret_base32: &str, code: &str, unix_seconds: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let secret = base32_decode(secret_base32)?;
    // Every window is compared, each in constant time, so timing tells nothing about the code.
    let mut found = None;
    for d in [-STEP, 0, STEP] {
        let at = unix_seconds + d;
        let same = code_at(&secret, at).as_bytes().ct_eq(code.as_bytes());
        if bool::from(same) {
            found = Some(at.div_euclid(STEP));
        }
    }
    found.filter(|_| code.len() == 6)
}

/// The `otpauth://` URI authenticator apps read (label: site and username).
pub fn provisioning_uri(secret_base32: &str, issuer: &str, username: &str) -> String {
    let enc = crate::slug::percent_encode;
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&digits=6&period=30",
        enc(issuer),
        enc(username),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B test vectors (SHA-1, 8 digits there; we compare the last six).
    #[test]
    fn matches_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(secret, time), &eight[2..], "t={time}");
        }
    }

    #[test]
    fn base32_round_trips_and_codes_verify_with_drift() {
        let secret = b"12345678901234567890";
        let text = base32_encode(secret);
        assert_eq!(text, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(base32_decode(&text.to_lowercase()).unwrap(), secret);
        let now = 1_700_000_000;
        let code = code_at(secret, now);
        assert!(verify(&text, &code, now));
        assert!(verify(&text, &code, now + 30), "one step late is accepted");
        assert!(!verify(&text, &code, now + 95), "three steps late is not");
        assert!(!verify(&text, "12345", now));
        assert!(!verify("not base32 !", &code, now));
        assert_eq!(matching_step(&text, &code, now), Some(now / 30));
        assert_eq!(
            matching_step(&text, &code, now + 30),
            Some(now / 30),
            "the step of the code, not of the clock"
        );
        assert_eq!(matching_step(&text, "000000x", now), None);
        assert!(
            provisioning_uri(&text, "Ministry Press", "leyla")
                .starts_with("otpauth://totp/Ministry%20Press:leyla?secret=GEZ")
        );
    }
}
