//! The verify page takes pasted text and `pressroom verify` takes a file and a key list from
//! anyone: the text matching and the signed-file parsing must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pressroom_core::signing::{KeysDocument, SignedDocument};
use pressroom_core::verify::{
    condense, diff_words, fingerprints, normalise, only_page_labels, quoted_window, similarity,
};

fuzz_target!(|text: &str| {
    // The first NUL splits what a reader pasted from the published text it is compared with.
    let (pasted, published) = text.split_once('\0').unwrap_or((text, "a published text"));
    let checked = normalise(pasted);
    let plain = normalise(published);
    let score = similarity(&checked, &plain);
    assert!((0.0..=1.0).contains(&score) || score.is_nan(), "{score}");
    let window = quoted_window(&checked, &plain);
    let words: Vec<&str> = checked.split(' ').collect();
    let diff = diff_words(&window, &words);
    let _ = only_page_labels(&diff);
    let _ = condense(diff, 3);
    let _ = fingerprints(pasted, published, text);

    let keys = KeysDocument::parse(published)
        .map(|k| k.keys)
        .unwrap_or_default();
    if let Ok(doc) = SignedDocument::parse(pasted) {
        let _ = doc.verify(&keys);
        let _ = doc.signature_sha256();
    }
});
