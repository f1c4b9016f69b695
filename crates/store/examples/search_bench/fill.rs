//! `fill DATA N`: the corpus into the SQLite database of a data folder made by
//! `pressroom init`, published through the store's bulk path and signed with the folder's key,
//! so `pressroom reindex` and `pressroom serve` see an archive like a real one.

use std::sync::Arc;
use std::time::Instant;

use pressroom_core::release::RevisionInput;
use pressroom_core::signing::{Ed25519Key, Sign, from_hex};
use pressroom_store::{By, ImportRelease, Store};

use crate::corpus::{Corpus, TOPICS};

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
    let mut topic_ids = Vec::new();
    for slug in TOPICS {
        let names = [("en".to_owned(), slug.to_owned())].into();
        topic_ids.push((
            slug,
            store.create_topic(slug, &names, By::User(&admin)).await?.id,
        ));
    }
    let started = Instant::now();
    let (mut done, mut shown) = (0, 0);
    let mut batch = Vec::with_capacity(BATCH);
    let mut corpus = Corpus::new(translations).peekable();
    while let Some(release) = corpus.next() {
        let topic_ids: Vec<i64> = release
            .topics
            .iter()
            .filter_map(|t| topic_ids.iter().find(|(s, _)| s == t).map(|(_, id)| *id))
            .collect();
        done += release.texts.len();
        batch.push(ImportRelease {
            kind: release.kind.to_owned(),
            published_at: release.published,
            translations: release
                .texts
                .into_iter()
                .map(|t| {
                    let input = RevisionInput {
                        title: t.title,
                        lead: t.lead,
                        body: t.body,
                        topic_ids: topic_ids.clone(),
                        ..Default::default()
                    };
                    (t.lang.to_owned(), input)
                })
                .collect(),
        });
        if batch.len() == BATCH || corpus.peek().is_none() {
            store.import_published(&batch, By::User(&admin)).await?;
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
