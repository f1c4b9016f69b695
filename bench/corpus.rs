//! The benchmarks' generated archive and query mix, shared by every benchmark that needs
//! releases (`crates/search/examples/index_speed.rs`, `crates/store/examples/search_bench`,
//! issue 12's harness), so their figures describe the same texts. Included with
//! `#[path = ".../bench/corpus.rs"] mod corpus;`; it needs only `jiff`.
//!
//! Releases come in order of publication, one every 97 minutes from 2015, each with a kind,
//! zero to two topics and a text in Azerbaijani, English and Russian (a title of 6–10 words,
//! a lead of 15–24, a body of four to seven paragraphs of 30–59 words). About a third of a
//! text's words are six words of its language's real vocabulary (its subject); the rest come
//! from a long tail of made-up words in its script, the commoner ones more often, so a real
//! word is in a fraction of the texts, as in an archive, not in all of them. A fixed seed
//! (xorshift64*) makes every run the same corpus.

#![allow(dead_code)]

use jiff::{SignedDuration, Timestamp};

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

/// The kinds releases get (the keys of a new site's default kinds).
pub const KINDS: [&str; 4] = ["press-release", "statement", "news", "answer"];
/// The topics releases get (slugs).
pub const TOPICS: [&str; 8] = [
    "border", "energy", "iran", "culture", "trade", "security", "consular", "peace",
];
/// The languages of every release, in order.
pub const LANGUAGES: [&str; 3] = ["az", "en", "ru"];

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
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }
}

/// A language's words: its real words, and a long tail of made-up ones in its script.
struct Vocabulary {
    real: Vec<&'static str>,
    filler: Vec<String>,
}

impl Vocabulary {
    fn new(rng: &mut Rng, real: &'static str, syllables: &str) -> Self {
        let syllables: Vec<&str> = syllables.split_whitespace().collect();
        let filler = (0..3000)
            .map(|_| {
                (0..2 + rng.below(3))
                    .map(|_| rng.pick(&syllables))
                    .collect()
            })
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

/// One language's text of a release.
#[derive(Debug, Clone)]
pub struct Text {
    /// Language code.
    pub lang: &'static str,
    /// Headline.
    pub title: String,
    /// Lead paragraph.
    pub lead: String,
    /// Body in Markdown: paragraphs separated by blank lines (an `answer` marks its first as
    /// the question, the rest as the answer).
    pub body: String,
}

/// A generated release.
#[derive(Debug, Clone)]
pub struct Release {
    /// Position in the corpus, from 0.
    pub index: usize,
    /// Kind key (one of [`KINDS`]).
    pub kind: &'static str,
    /// Topic slugs (of [`TOPICS`]), no repeats.
    pub topics: Vec<&'static str>,
    /// First publication.
    pub published: Timestamp,
    /// Its texts, in the order of [`LANGUAGES`]; the last release of a corpus counted in
    /// translations may have fewer.
    pub texts: Vec<Text>,
}

/// The corpus: an iterator of releases, generated as it is read (100,000 translations are
/// about 300 MB of text).
pub struct Corpus {
    rng: Rng,
    vocabularies: [Vocabulary; 3],
    start: Timestamp,
    next: usize,
    translations_left: usize,
}

impl Corpus {
    /// Releases holding `translations` translations in all (three per release).
    pub fn new(translations: usize) -> Self {
        let mut rng = Rng(0x5EED_1234_ABCD_0001);
        let latin = "ka ri ma no sel tur bay lan dor vi ge xa qu ər ül şa mi zo pe tu";
        let cyrillic = "ка ри ма но сел тур бай лан дор ви ге ха ку ер ул ша ми зо пе ту";
        let vocabularies = [
            Vocabulary::new(&mut rng, AZ, latin),
            Vocabulary::new(&mut rng, EN, latin),
            Vocabulary::new(&mut rng, RU, cyrillic),
        ];
        Self {
            rng,
            vocabularies,
            start: "2015-01-01T00:00:00Z".parse().unwrap_or_default(),
            next: 0,
            translations_left: translations,
        }
    }
}

impl Iterator for Corpus {
    type Item = Release;

    fn next(&mut self) -> Option<Release> {
        if self.translations_left == 0 {
            return None;
        }
        let index = self.next;
        self.next += 1;
        let rng = &mut self.rng;
        let kind = rng.pick(&KINDS);
        let mut topics: Vec<&'static str> = (0..rng.below(3)).map(|_| rng.pick(&TOPICS)).collect();
        topics.sort_unstable();
        topics.dedup();
        let count = self.translations_left.min(LANGUAGES.len());
        self.translations_left -= count;
        let texts = LANGUAGES[..count]
            .iter()
            .zip(&self.vocabularies)
            .map(|(lang, vocabulary)| {
                let subject: Vec<&str> = (0..6).map(|_| rng.pick(&vocabulary.real)).collect();
                let title = vocabulary.text(rng, &subject, 6, 5);
                let lead = vocabulary.text(rng, &subject, 15, 10);
                let paragraphs: Vec<String> = (0..4 + rng.below(4))
                    .map(|_| format!("{}.", vocabulary.text(rng, &subject, 30, 30)))
                    .collect();
                // An answer to a media question marks the question and the answer.
                let body = if kind == "answer" {
                    format!(
                        ":::question\n{}\n:::\n\n:::answer\n{}\n:::",
                        paragraphs[0],
                        paragraphs[1..].join("\n\n")
                    )
                } else {
                    paragraphs.join("\n\n")
                };
                Text {
                    lang,
                    title,
                    lead,
                    body,
                }
            })
            .collect();
        Some(Release {
            index,
            kind,
            topics,
            published: self.start + SignedDuration::from_mins(index as i64 * 97),
            texts,
        })
    }
}

/// How a query of the mix is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The text alone, by relevance, first page.
    Plain,
    /// Kind `statement`, years from 2018, by relevance.
    Filtered,
    /// Newest first, third page.
    NewestPage3,
}

impl Variant {
    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Filtered => "kind + years",
            Variant::NewestPage3 => "newest, page 3",
        }
    }
}

/// One query of the mix.
#[derive(Debug, Clone)]
pub struct MixQuery {
    /// What a person typed.
    pub text: &'static str,
    /// The language searched; `None` is all languages.
    pub lang: Option<&'static str>,
    /// What kind of text it is (`word`, `phrase`, `number` …), for per-class figures.
    pub class: &'static str,
    /// How it is asked.
    pub variant: Variant,
}

impl MixQuery {
    /// The filter's kind, when the variant filters.
    pub fn kind(&self) -> Option<&'static str> {
        (self.variant == Variant::Filtered).then_some("statement")
    }
    /// The filter's first year, when the variant filters.
    pub fn year_from(&self) -> Option<i16> {
        (self.variant == Variant::Filtered).then_some(2018)
    }
    /// Newest first rather than by relevance.
    pub fn newest(&self) -> bool {
        self.variant == Variant::NewestPage3
    }
    /// The page, from 1.
    pub fn page(&self) -> u32 {
        if self.variant == Variant::NewestPage3 {
            3
        } else {
            1
        }
    }
}

/// The fixed query mix: twelve texts the way journalists type them, each asked three ways.
pub fn query_mix() -> Vec<MixQuery> {
    let texts: [(&str, Option<&str>, &str); 12] = [
        ("Azerbaycan", Some("az"), "word, no diacritics"),
        ("qarabag", Some("az"), "word, no diacritics"),
        ("sərhəd əməkdaşlıq", Some("az"), "two words"),
        ("pipeline agreement", Some("en"), "two words"),
        ("\"foreign affairs\"", Some("en"), "phrase"),
        ("ministers", Some("en"), "word form"),
        ("соглашения", Some("ru"), "word form"),
        ("Lavrov", Some("ru"), "name, other script"),
        ("граница", None, "all languages"),
        ("Iran", None, "all languages"),
        ("No:367/21", None, "number"),
        ("367", Some("en"), "number"),
    ];
    let mut mix = Vec::new();
    for (text, lang, class) in texts {
        for variant in [Variant::Plain, Variant::Filtered, Variant::NewestPage3] {
            mix.push(MixQuery {
                text,
                lang,
                class,
                variant,
            });
        }
    }
    mix
}
