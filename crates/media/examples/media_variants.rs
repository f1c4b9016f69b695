//! The media benchmark: `media_variants generate FILE` writes a 24-megapixel (6000×4000)
//! photograph-like JPEG; `media_variants run FILE [ROUNDS]` processes it into a banner (source,
//! desktop, mobile and Open Graph variants in WebP and JPEG) and prints the time of each round.
//! `bench/media_variants.sh` drives both and measures peak memory.

use std::time::Instant;

use pressroom_core::media::FocalPoint;
use pressroom_media::{BannerInput, Limits, process_banner};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("generate"), Some(path)) => generate(path),
        (Some("run"), Some(path)) => {
            let rounds = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(1);
            run(path, rounds);
        }
        _ => {
            eprintln!("usage: media_variants generate FILE | media_variants run FILE [ROUNDS]");
            std::process::exit(2);
        }
    }
}

/// Smooth gradients and shapes with sensor-like noise: compresses like a photograph (a flat
/// test card would flatter the decoder and encoders).
fn generate(path: &str) {
    let (w, h) = (6000u32, 4000u32);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 25) as i32 - 12
    };
    let mut pixels = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (f64::from(x) / f64::from(w), f64::from(y) / f64::from(h));
            let sky = 200.0 - 120.0 * fy;
            let hills = 60.0 * ((fx * 9.0).sin() * (fy * 5.0).cos());
            let sun = 90.0 * (-((fx - 0.7).powi(2) + (fy - 0.3).powi(2)) * 40.0).exp();
            let base = [
                sky + hills + sun,
                120.0 + hills * 0.5 + sun * 0.6,
                90.0 + 100.0 * fx - hills * 0.3,
            ];
            for c in base {
                pixels.push((c as i32 + noise()).clamp(0, 255) as u8);
            }
        }
    }
    let image = image::RgbImage::from_raw(w, h, pixels).expect("buffer");
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create file"));
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&image)
        .expect("encode");
    println!("wrote {path}: {w}x{h}");
}

fn run(path: &str, rounds: u32) {
    let bytes = std::fs::read(path).expect("read the file");
    println!("input: {path}, {:.1} MB", bytes.len() as f64 / 1e6);
    let started = Instant::now();
    let decoded = pressroom_media::decode(&bytes, &Limits::default()).expect("decode");
    println!(
        "decode only: {} ms ({}x{})",
        started.elapsed().as_millis(),
        decoded.image.width(),
        decoded.image.height()
    );
    drop(decoded);
    for round in 1..=rounds {
        let started = Instant::now();
        let banner = process_banner(
            BannerInput::Single {
                image: &bytes,
                focal: FocalPoint { x: 600, y: 400 },
            },
            &Limits::default(),
        )
        .expect("process");
        let took = started.elapsed();
        let total: u64 = banner.files.iter().map(|f| f.file.size).sum();
        println!(
            "round {round}: {:>6} ms  {} files, {:.1} MB",
            took.as_millis(),
            banner.files.len(),
            total as f64 / 1e6
        );
        if round == rounds {
            for f in &banner.files {
                println!(
                    "  {:<40} {:>5}x{:<5} {:>8} bytes",
                    f.key.file_name(),
                    f.file.width.unwrap_or(0),
                    f.file.height.unwrap_or(0),
                    f.file.size
                );
            }
        }
    }
}
