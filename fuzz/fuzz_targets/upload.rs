//! Uploads are arbitrary bytes from the network: the checks the upload path runs on them
//! (image decoding with limits, document checks) must refuse or accept, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pressroom_media::{Limits, decode, process_attachment};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = decode(data, &limits);
    let _ = process_attachment(data, "upload.pdf", 20 << 20);
    let name = String::from_utf8_lossy(&data[..data.len().min(64)]);
    let _ = process_attachment(data, &name, 20 << 20);
});
