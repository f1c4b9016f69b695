//! A small archive of a fictional ministry in Azerbaijani, English and Russian, written for
//! these tests, and helpers to build and query it.

use jiff::Timestamp;
use pressroom_core::numbering::Number;
use pressroom_search::{
    DocNumber, Opened, SearchDoc, SearchIndex, SearchRequest, SearchResults, Update,
};
use tempfile::TempDir;

/// The change-stream sequence the fixtures are built at.
pub const BUILT_AT: u64 = 10;

fn at(instant: &str) -> Timestamp {
    instant.parse().expect("a fixture instant")
}

fn number(series: &str, year: i16, seq: i64, display: &str) -> Option<DocNumber> {
    Some(DocNumber {
        series: series.to_owned(),
        number: Number { year, seq },
        display: display.to_owned(),
    })
}

/// One translation with everything but its texts defaulted from the release's.
#[expect(
    clippy::too_many_arguments,
    reason = "a table row reads better than a builder here"
)]
fn doc(
    release_id: i64,
    translation_id: i64,
    lang: &str,
    kind: &str,
    topics: &[&str],
    number: Option<DocNumber>,
    published: &str,
    texts: [&str; 3],
) -> SearchDoc {
    let first_published = at(published);
    let year = published[..4].parse().expect("a year");
    let [title, lead, body] = texts;
    SearchDoc {
        release_id,
        translation_id,
        lang: lang.to_owned(),
        kind: kind.to_owned(),
        topics: topics.iter().map(|t| (*t).to_owned()).collect(),
        number,
        first_published,
        year,
        title: title.to_owned(),
        lead: lead.to_owned(),
        body_markdown: body.to_owned(),
        spokesperson: None,
        withdrawn: false,
        url: format!("/{lang}/releases/{year}/{release_id}-t{translation_id}"),
    }
}

/// The archive. Translation ids are the release id followed by 1 (az), 2 (en) or 3 (ru).
pub fn archive() -> Vec<SearchDoc> {
    let n367 = || number("main", 2021, 367, "No:367/21");
    let mut docs = vec![
        doc(
            1,
            11,
            "az",
            "press-release",
            &["border", "iran"],
            n367(),
            "2021-10-04T08:00:00Z",
            [
                "Azərbaycan və İran sərhəd məsələlərini müzakirə etdi",
                "Xarici İşlər Nazirliyində İran nümayəndə heyəti ilə görüş keçirildi.",
                "Görüşdə **Azərbaycan** Respublikası ilə İran arasında sərhəd boyunca əməkdaşlıq \
             müzakirə olundu.\n\nQarabağda bərpa işləri də qeyd edildi.",
            ],
        ),
        doc(
            1,
            12,
            "en",
            "press-release",
            &["border", "iran"],
            n367(),
            "2021-10-04T08:00:00Z",
            [
                "Azerbaijan and Iran discuss border issues",
                "The Ministry of Foreign Affairs received a delegation from Iran.",
                "The ministers discussed cooperation along the border and the negotiations on \
             shared water resources.",
            ],
        ),
        doc(
            1,
            13,
            "ru",
            "press-release",
            &["border", "iran"],
            n367(),
            "2021-10-04T08:00:00Z",
            [
                "Азербайджан и Иран обсудили пограничные вопросы",
                "В Министерстве иностранных дел состоялась встреча с делегацией Ирана.",
                "Министры обсудили сотрудничество на границе. Ещё раз подчёркнута важность \
             переговоров.",
            ],
        ),
        doc(
            2,
            22,
            "en",
            "statement",
            &["energy"],
            number("main", 2022, 12, "No:12/22"),
            "2022-03-15T10:00:00Z",
            [
                "Statement on the gas pipeline agreement",
                "The ministry welcomes the agreement.",
                "The pipeline agreement was signed in Baku. Minister Lavrov's remarks were noted.",
            ],
        ),
        doc(
            2,
            23,
            "ru",
            "statement",
            &["energy"],
            number("main", 2022, 12, "No:12/22"),
            "2022-03-15T10:00:00Z",
            [
                "Заявление о соглашении по газопроводу",
                "Министерство приветствует соглашение.",
                "Соглашение подписано в Баку. Отмечены высказывания Лаврова. Объём поставок вырастет.",
            ],
        ),
        doc(
            3,
            31,
            "az",
            "press-release",
            &["border"],
            number("main", 2023, 5, "No:5/23"),
            "2023-05-20T07:30:00Z",
            [
                "Bakıda beynəlxalq konfrans keçirildi",
                "Konfransda ŞUŞA şəhərinin gələcəyi müzakirə edildi.",
                "Nümayəndələr Gəncə və Şuşa arasında yeni yolun layihəsini təqdim etdilər.",
            ],
        ),
        doc(
            4,
            42,
            "en",
            "news",
            &[],
            None,
            "2020-02-01T12:00:00Z",
            [
                "Minister visits schools",
                "The minister visited three schools in the capital.",
                "He met 367 pupils and talked about issues of the schools near the border region.",
            ],
        ),
        doc(
            5,
            52,
            "en",
            "press-release",
            &["consular"],
            number("main", 2022, 367, "No:367/22"),
            "2022-11-02T09:00:00Z",
            [
                "Consular services move online",
                "Passports can now be renewed online.",
                "Citizens abroad can apply through the portal.",
            ],
        ),
        doc(
            6,
            62,
            "en",
            "statement",
            &["fisheries"],
            None,
            "2021-06-01T09:00:00Z",
            [
                "Statement on fisheries quotas",
                "This statement was withdrawn.",
                "The quotas for the Caspian fisheries were announced.",
            ],
        ),
        doc(
            7,
            72,
            "en",
            "news",
            &["security"],
            None,
            "2024-01-10T09:00:00Z",
            [
                "<b>Unsafe</b> title & more",
                "A note on the embassy's new website.",
                "Security researchers reported `<script>alert(\"x\")</script>` in a form; the \
             embassy fixed the form the same day. Long text follows about the border posts \
             and other matters of the week, the visits, the meetings, the calls.",
            ],
        ),
        doc(
            8,
            82,
            "en",
            "answer",
            &["consular"],
            number("qa", 2022, 12, "QA-12"),
            "2022-04-04T09:00:00Z",
            [
                "Answer to a question about visas",
                "The spokesperson answered a media question.",
                ":::question\nWhen will e-visas resume?\n:::\n:::answer\nNext month.\n:::",
            ],
        ),
    ];
    for d in &mut docs {
        if d.release_id == 1 {
            d.spokesperson = Some(match d.lang.as_str() {
                "ru" => "Лейла Абдуллаева".to_owned(),
                _ => "Leyla Abdullayeva".to_owned(),
            });
        }
        if d.release_id == 6 {
            d.withdrawn = true;
        }
    }
    docs
}

/// An index in a temporary folder, built from `docs` at [`BUILT_AT`].
pub fn built(docs: Vec<SearchDoc>) -> (TempDir, SearchIndex) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let Opened { index, rebuild } = SearchIndex::open(dir.path().join("search")).expect("open");
    assert!(rebuild.is_some(), "a new folder needs a build");
    let total = docs.len() as u64;
    let rows = docs.into_iter().map(Ok::<_, std::io::Error>);
    let stats = index
        .rebuild(rows, total, BUILT_AT, |_, _| {})
        .expect("rebuild");
    assert!(stats.skipped.is_empty(), "{:?}", stats.skipped);
    (dir, index)
}

/// The fixtures' index.
pub fn archive_index() -> (TempDir, SearchIndex) {
    built(archive())
}

/// Searches `text` in `lang` (or every language) and returns the results.
#[track_caller]
pub fn search(index: &SearchIndex, text: &str, lang: Option<&str>) -> SearchResults {
    let mut request = SearchRequest::new(text);
    request.lang = lang.map(str::to_owned);
    request.per_page = 100;
    index.search(&request).expect("search")
}

/// The translation ids found for `text` in `lang`, in result order.
#[track_caller]
pub fn found(index: &SearchIndex, text: &str, lang: Option<&str>) -> Vec<i64> {
    search(index, text, lang)
        .hits
        .iter()
        .map(|h| h.translation_id)
        .collect()
}

/// The same, sorted: for assertions about the set rather than the order.
#[track_caller]
pub fn found_set(index: &SearchIndex, text: &str, lang: Option<&str>) -> Vec<i64> {
    let mut ids = found(index, text, lang);
    ids.sort_unstable();
    ids
}

/// Applies `updates` as the next change after the index's sequence.
#[track_caller]
pub fn apply(index: &SearchIndex, updates: Vec<Update>) {
    let after = index.last_seq().expect("a built index");
    index.apply(after, after + 1, updates).expect("apply");
}
