//! `fill DATA N`: the corpus into the SQLite database of a data folder made by
//! `pressroom init`, published through the store's bulk path and signed with the folder's key,
//! so `pressroom reindex` and `pressroom serve` see an archive like a real one.

use std::sync::Arc;
use std::time::Instant;

use pressroom_core::signing::{Ed25519Key, Sign, from_hex};
use pressroom_store::{By, ImportRelease, ImportTranslation, PreparedImport, Store};

use crate::corpus::Corpus;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Releases per transaction: a few hundred keep each commit short and the rate high.
const BATCH: usize = 300;

pub async fn run(data: &std::path::Path, translations: usize, site: &str) -> Result<(), Error> {
    let url = format!("sqlite://{}?mode=rwc", data.join("pressroom.db").display());
    let store = Store::open(&url).await?;
    let seed = std::fs::read_to_string(data.join("keys/signing.key"))?;
    let seed: [u8; 32] = from_hex(seed.trim())
        .and_then(|b| b.try_into().ok())
        .ok_or("keys/signing.key is not a signing key")?;
    let signer: Arc<dyn Sign> = Arc::new(Ed25519Key::from_seed(&seed));
    let store = store.use_signer(signer, site).await?;
    let admin = store.user_by_name("admin").await?;
    let kinds = store.list_kinds().await?;
    let tz = store.site_settings().await?.tz();
    let mut run = store.begin_import().await?;
    let mut next: std::collections::HashMap<(String, i16), i64> = Default::default();
    let started = Instant::now();
    let (mut done, mut shown, mut n) = (0, 0, 0);
    let mut batch = Vec::with_capacity(BATCH);
    let mut corpus = Corpus::new(translations).peekable();
    while let Some(release) = corpus.next() {
        n += 1;
        done += release.texts.len();
        // Numbers count per series, which kinds may share (press releases and statements do).
        let series = kinds
            .iter()
            .find(|k| k.key == release.kind)
            .and_then(|k| k.series.clone());
        let year = pressroom_core::numbering::numbering_year(release.published, &tz);
        let number = series.map(|series| {
            let seq = next.entry((series, year)).or_insert(0);
            *seq += 1;
            *seq
        });
        batch.push(PreparedImport::from(ImportRelease {
            source_id: format!("bench:{n}"),
            kind: release.kind.to_owned(),
            number,
            number_year: None,
            published_at: release.published,
            topics: release.topics.iter().map(|t| (*t).to_owned()).collect(),
            spokesperson: None,
            banner: None,
            attachments: Vec::new(),
            translations: release
                .texts
                .into_iter()
                .map(|t| ImportTranslation {
                    lang: t.lang.to_owned(),
                    title: t.title,
                    lead: t.lead,
                    body: t.body,
                    slug: None,
                    old_urls: Vec::new(),
                })
                .collect(),
        }));
        if batch.len() == BATCH || corpus.peek().is_none() {
            store
                .import_releases(&mut run, &batch, By::User(&admin))
                .await?;
            batch.clear();
            if done * 10 / translations > shown {
                shown = done * 10 / translations;
                eprintln!(
                    "  {done} of {translations} translations published ({:.0}/s)",
                    done as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "Published {done} translations through the bulk path in {took:.1} s ({:.0}/s)",
        done as f64 / took
    );
    store.close().await;
    Ok(())
}
