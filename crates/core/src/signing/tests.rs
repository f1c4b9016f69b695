use serde_json::json;

use super::*;

fn key(n: u8) -> Ed25519Key {
    Ed25519Key::from_seed(&[n; 32])
}

fn public(k: &Ed25519Key, from: &str, until: Option<&str>) -> PublicKey {
    PublicKey {
        key_id: k.key_id(),
        algorithm: ALGORITHM.into(),
        public_key: to_hex(&k.public_key()),
        valid_from: from.into(),
        valid_until: until.map(Into::into),
    }
}

fn payload() -> ReleasePayload {
    ReleasePayload {
        format: RELEASE_FORMAT.into(),
        site: "https://mfa.example.org".into(),
        release_id: 7,
        translation_id: 9,
        revision_id: 41,
        kind: "press-release".into(),
        language: "az".into(),
        number: Some(SignedNumber {
            series: "main".into(),
            year: 2021,
            seq: 367,
            display: "No:367/21".into(),
        }),
        date: "2021-10-04".into(),
        first_published_at: "2021-10-04T07:30:00.000000Z".into(),
        published_at: "2021-10-04T07:30:00.000000Z".into(),
        signed_at: "2026-01-02T03:04:05.000006Z".into(),
        title: "Nazir \"Xəzər\" heyəti ilə görüşdü".into(),
        lead: String::new(),
        body: "Line one\r\nTab\there\u{1}\n".into(),
        attachments: vec![],
        correction: None,
        previous: None,
        imported: None,
    }
}

#[test]
fn canonical_json_sorts_keys_and_escapes_minimally() {
    let value =
        json!({"b": [1, -2, null, true], "a": "q\"\\\u{8}\u{c}\n\r\t\u{1f}/é\u{7f}", "A": {}});
    assert_eq!(
        canonical_json(&value).unwrap(),
        "{\"A\":{},\"a\":\"q\\\"\\\\\\b\\f\\n\\r\\t\\u001f/é\u{7f}\",\"b\":[1,-2,null,true]}"
    );
    assert!(canonical_json(&json!({"x": 1.5})).is_err());
    assert!(canonical_json(&json!(9_007_199_254_740_992_u64)).is_err());
    assert_eq!(
        canonical_json(&json!(-9_007_199_254_740_991_i64)).unwrap(),
        "-9007199254740991"
    );
}

#[test]
fn ed25519_matches_rfc_8032() {
    let seed: [u8; 32] =
        from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
    let k = Ed25519Key::from_seed(&seed);
    assert_eq!(
        to_hex(&k.public_key()),
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
    assert_eq!(
        to_hex(&k.sign(b"")),
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    );
    assert_eq!(k.key_id(), &sha256_hex(&k.public_key())[..16]);
    assert!(
        !format!("{k:?}").contains("9d61"),
        "the secret is never printed"
    );
}

#[test]
fn instants_have_one_spelling() {
    let at: Timestamp = "2021-10-04T07:30:00Z".parse().unwrap();
    assert_eq!(instant_text(at), "2021-10-04T07:30:00.000000Z");
    let at: Timestamp = "2021-10-04T07:30:00.12Z".parse().unwrap();
    assert_eq!(instant_text(at), "2021-10-04T07:30:00.120000Z");
    assert_eq!(from_hex("0aff"), Some(vec![10, 255]));
    assert_eq!(from_hex("0AFF"), None);
    assert_eq!(from_hex("abc"), None);
}

#[test]
fn a_signed_document_verifies_until_anything_changes() {
    let k = key(1);
    let keys = [public(&k, "2020-01-01T00:00:00.000000Z", None)];
    let doc = SignedDocument::sign(&payload(), &k);
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let parsed = SignedDocument::parse(&text).unwrap();
    assert_eq!(parsed.verify(&keys).unwrap(), payload());

    let mut forged = parsed.clone();
    forged.payload["body"] = json!("Line one\r\nTab\there\u{1}\n!");
    assert_eq!(forged.verify(&keys), Err(SignatureError::BadSignature));
    let mut renumbered = parsed.clone();
    renumbered.payload["number"]["seq"] = json!(368);
    assert_eq!(renumbered.verify(&keys), Err(SignatureError::BadSignature));

    let other = [public(&key(2), "2020-01-01T00:00:00.000000Z", None)];
    assert!(matches!(
        parsed.verify(&other),
        Err(SignatureError::UnknownKey(_))
    ));
    let retired = [public(
        &k,
        "2020-01-01T00:00:00.000000Z",
        Some("2025-12-31T00:00:00.000000Z"),
    )];
    assert!(matches!(
        parsed.verify(&retired),
        Err(SignatureError::OutsideValidity { .. })
    ));
    let still_valid = [public(
        &k,
        "2020-01-01T00:00:00.000000Z",
        Some("2027-01-01T00:00:00.000000Z"),
    )];
    assert!(
        parsed.verify(&still_valid).is_ok(),
        "a retired key still vouches for what it signed"
    );
    assert!(matches!(
        SignedDocument::parse("{\"format\": 1}"),
        Err(SignatureError::Malformed(_))
    ));
}

fn entry(seq: i64, previous: &str) -> LogEntry {
    LogEntry {
        format: LOG_ENTRY_FORMAT.into(),
        seq,
        at: "2021-10-04T07:30:00.000000Z".into(),
        signed_at: "2026-01-02T03:04:05.000006Z".into(),
        action: LogAction::Publish,
        site: "https://mfa.example.org".into(),
        release_id: 1,
        translation_id: seq,
        language: "en".into(),
        revision_id: seq * 10,
        payload_sha256: Some(sha256_hex(b"p")),
        signature_sha256: Some(sha256_hex(b"s")),
        explanation: None,
        previous_entry_sha256: previous.into(),
    }
}

#[test]
fn the_log_reports_the_first_entry_that_does_not_match() {
    let k = key(3);
    let keys = [public(&k, "2020-01-01T00:00:00.000000Z", None)];
    let mut entries = Vec::new();
    let mut previous = GENESIS_SHA256.to_owned();
    for seq in 1..=4 {
        let e = entry(seq, &previous);
        previous = e.sha256();
        entries.push(SignedLogEntry::sign(&e, &k));
    }
    assert_eq!(verify_log(&entries, GENESIS_SHA256, &keys), Ok(()));
    assert_eq!(
        verify_log(&entries[2..], &entries[1].entry_sha256, &keys),
        Ok(())
    );

    let mut edited = entries.clone();
    edited[2].entry["language"] = json!("ru");
    assert_eq!(verify_log(&edited, GENESIS_SHA256, &keys).unwrap_err().0, 3);
    let mut rehashed = edited.clone();
    rehashed[2].entry_sha256 = sha256_hex(canonical_json(&rehashed[2].entry).unwrap().as_bytes());
    let (seq, why) = verify_log(&rehashed, GENESIS_SHA256, &keys).unwrap_err();
    assert_eq!(seq, 3);
    assert!(why.contains("signature"), "{why}");
    let mut dropped = entries.clone();
    dropped.remove(1);
    assert_eq!(
        verify_log(&dropped, GENESIS_SHA256, &keys).unwrap_err().0,
        3
    );
}
