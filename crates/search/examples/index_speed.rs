//! Indexing and query speed of the crate alone, on generated translations.
//!
//! ```sh
//! cargo run --release -p pressroom-search --example index_speed -- 20000
//! ```
//!
//! Builds an index of N generated translations (a fixed seed, a third in each of Azerbaijani,
//! English and Russian) in a temporary folder, then runs a fixed query mix and prints the
//! indexing rate, the size on disk and query latencies. `QUERY_ROUNDS=N` runs the mix N times
//! (20 by default, the first a warm-up); `PER_QUERY=1` also prints each query's mean time and
//! total. `bench/search.sh` (issue 11) measures the whole path over HTTP; this isolates the
//! index.

use std::time::{Duration, Instant};

use pressroom_core::numbering::{Number, numbering_year};
use pressroom_search::{
    DocNumber, Filters, Order, SearchDoc, SearchError, SearchIndex, SearchRequest,
};

const AZ: &str = "Azərbaycan Respublikası xarici işlər nazirliyi sərhəd əməkdaşlıq müzakirə görüş \
     nümayəndə heyəti İran Türkiyə Gürcüstan Bakı Qarabağ Şuşa Gəncə enerji qaz \
     kəməri razılaşma imzalandı beynəlxalq konfrans sülh təhlükəsizlik iqtisadi \
     ticarət mədəniyyət səfir səfirlik bəyanat nazir prezident hökumət layihə bərpa \
     yolun tikintisi və ilə üçün haqqında arasında yeni ilk";
const EN: &str = "Azerbaijan Republic foreign affairs ministry border cooperation discussed \
     meeting delegation Iran Turkey Georgia Baku Karabakh Shusha Ganja energy gas \
     pipeline agreement signed international conference peace security economic trade \
     culture ambassador embassy statement minister president government project \
     restoration road construction and with for about between new first the of";
const RU: &str = "Азербайджан Республика иностранных дел министерство граница сотрудничество \
     обсудили встреча делегация Иран Турция Грузия Баку Карабах Шуша Гянджа энергия \
     газ газопровод соглашение подписано международная конференция мир безопасность \
     экономическое торговля культура посол посольство заявление министр президент \
     правительство проект восстановление дорога строительство и с для о между новый \
     первый Лавров Захарова";
const KINDS: &str = "press-release statement news answer";
const TOPICS: &str = "border energy iran culture trade security consular peace";

/// xorshift64*: a fixed sequence without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, words: &'a str) -> &'a str {
        let words: Vec<&str> = words.split_whitespace().collect();
        words[self.below(words.len())]
    }
}

/// A language's words: its real words, and a long tail of made-up ones in its script, so
/// that a real word is in a fraction of the texts, as in an archive, not in all of them.
struct Vocabulary {
    real: Vec<&'static str>,
    filler: Vec<String>,
}

impl Vocabulary {
    fn new(rng: &mut Rng, real: &'static str, syllables: &str) -> Self {
        let filler = (0..3000)
            .map(|_| (0..2 + rng.below(3)).map(|_| rng.pick(syllables)).collect())
            .collect();
        Self {
            real: real.split_whitespace().collect(),
            filler,
        }
    }

    /// `least` to `least + spread - 1` words: about a third from the text's `subject`, the
    /// rest from the filler, the commoner filler words more often.
    fn text(&self, rng: &mut Rng, subject: &[&str], least: usize, spread: usize) -> String {
        let n = least + rng.below(spread);
        let words: Vec<&str> = (0..n)
            .map(|_| {
                if rng.below(3) == 0 {
                    subject[rng.below(subject.len())]
                } else {
                    let u = rng.below(self.filler.len());
                    self.filler[u * u / self.filler.len()].as_str()
                }
            })
            .collect();
        words.join(" ")
    }
}

fn generate(count: usize) -> Vec<SearchDoc> {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let latin = "ka ri ma no sel tur bay lan dor vi ge xa qu ər ül şa mi zo pe tu";
    let cyrillic = "ка ри ма но сел тур бай лан дор ви ге ха ку ер ул ша ми зо пе ту";
    let languages = [
        ("az", Vocabulary::new(&mut rng, AZ, latin)),
        ("en", Vocabulary::new(&mut rng, EN, latin)),
        ("ru", Vocabulary::new(&mut rng, RU, cyrillic)),
    ];
    let start: jiff::Timestamp = "2015-01-01T00:00:00Z".parse().unwrap_or_default();
    (0..count)
        .map(|i| {
            let (lang, vocabulary) = &languages[i % 3];
            let subject: Vec<&str> = (0..6)
                .map(|_| vocabulary.real[rng.below(vocabulary.real.len())])
                .collect();
            let release = (i / 3) as i64;
            let published = start + jiff::SignedDuration::from_mins(release * 97);
            let year = numbering_year(published, &jiff::tz::TimeZone::UTC);
            let seq = release % 1000 + 1;
            let paragraphs: Vec<String> = (0..4 + rng.below(4))
                .map(|_| format!("{}.", vocabulary.text(&mut rng, &subject, 30, 30)))
                .collect();
            SearchDoc {
                release_id: release,
                translation_id: i as i64,
                lang: (*lang).to_owned(),
                kind: rng.pick(KINDS).to_owned(),
                topics: (0..rng.below(3))
                    .map(|_| rng.pick(TOPICS).to_owned())
                    .collect(),
                number: Some(DocNumber {
                    series: "main".to_owned(),
                    number: Number { year, seq },
                    display: format!("No:{seq}/{:02}", year % 100),
                }),
                first_published: published,
                year,
                title: vocabulary.text(&mut rng, &subject, 6, 5),
                lead: vocabulary.text(&mut rng, &subject, 15, 10),
                body_markdown: paragraphs.join("\n\n"),
                spokesperson: None,
                withdrawn: i % 97 == 0,
                url: format!("/{lang}/releases/{year}/{seq}-x"),
            }
        })
        .collect()
}

fn folder_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => folder_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn query_mix() -> Vec<SearchRequest> {
    let mut mix = Vec::new();
    for (text, lang) in [
        ("Azerbaycan", Some("az")),
        ("qarabag", Some("az")),
        ("sərhəd əməkdaşlıq", Some("az")),
        ("pipeline agreement", Some("en")),
        ("\"foreign affairs\"", Some("en")),
        ("ministers", Some("en")),
        ("соглашения", Some("ru")),
        ("Lavrov", Some("ru")),
        ("граница", None),
        ("Iran", None),
        ("No:367/21", None),
        ("367", Some("en")),
    ] {
        let mut request = SearchRequest::new(text);
        request.lang = lang.map(str::to_owned);
        mix.push(request.clone());
        request.filters = Filters {
            kinds: vec!["statement".to_owned()],
            year_from: Some(2018),
            ..Filters::default()
        };
        mix.push(request.clone());
        request.order = Order::Newest;
        request.page = 3;
        mix.push(request);
    }
    mix
}

fn main() -> Result<(), SearchError> {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let docs = generate(count);
    let dir = tempfile::tempdir().map_err(|source| SearchError::Io {
        path: std::env::temp_dir(),
        source,
    })?;
    let index = SearchIndex::open(dir.path().join("search"))?.index;

    let started = Instant::now();
    let rows = docs.into_iter().map(Ok::<_, std::io::Error>);
    index.rebuild(rows, count as u64, 1, |_, _| {})?;
    let took = started.elapsed();
    println!(
        "indexed {count} translations in {:.1} s: {:.0} per second; {:.1} MiB on disk",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64(),
        folder_size(dir.path()) as f64 / (1024.0 * 1024.0)
    );

    let mix = query_mix();
    let mut times: Vec<Duration> = Vec::new();
    let rounds: usize = std::env::var("QUERY_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
        .max(2);
    for round in 0..rounds {
        for request in &mix {
            let started = Instant::now();
            let results = index.search(request)?;
            if round > 0 {
                times.push(started.elapsed());
            }
            std::hint::black_box(results);
        }
    }
    if std::env::var_os("PER_QUERY").is_some() {
        for (i, request) in mix.iter().enumerate() {
            let mine: Vec<f64> = times
                .iter()
                .skip(i)
                .step_by(mix.len())
                .map(|d| d.as_secs_f64() * 1e3)
                .collect();
            let mean = mine.iter().sum::<f64>() / mine.len() as f64;
            let total = index.search(request)?.total;
            println!(
                "{mean:7.2} ms  {total:6}  {:?} {:?} kinds={:?} {:?} p{}",
                request.text, request.lang, request.filters.kinds, request.order, request.page
            );
        }
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    println!(
        "{} searches ({} kinds × {} rounds): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        mix.len(),
        rounds - 1,
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    );
    Ok(())
}
