//! What a typed query finds: each analysis rule, phrases, numbers, odd input.

use crate::fixtures::{archive_index, found, found_set, search};

#[test]
fn azerbaijani_finds_with_or_without_diacritics_in_any_case() {
    let (_dir, index) = archive_index();
    let expected = vec![11];
    for typed in [
        "Azərbaycan",
        "Azerbaycan",
        "AZƏRBAYCAN",
        "AZERBAYCAN",
        "azərbaycan",
    ] {
        assert_eq!(found_set(&index, typed, Some("az")), expected, "{typed}");
    }
    for typed in ["İran", "iran", "IRAN", "Iran"] {
        assert_eq!(found_set(&index, typed, Some("az")), expected, "{typed}");
    }
    // The text has ŞUŞA and Şuşa; the reader types susa.
    assert_eq!(found_set(&index, "susa", Some("az")), [31]);
    assert_eq!(found_set(&index, "Şuşa", Some("az")), [31]);
    // Dotless ı typed as I or i: "Bakıda" found from BAKI and baki.
    assert_eq!(found_set(&index, "BAKI", Some("az")), [31]);
    assert_eq!(found_set(&index, "baki", Some("az")), [31]);
    assert_eq!(found_set(&index, "gence", Some("az")), [31]);
}

#[test]
fn azerbaijani_words_find_their_inflected_forms() {
    let (_dir, index) = archive_index();
    // "Qarabağda" (in Karabakh) from the bare name, with and without diacritics.
    assert_eq!(found_set(&index, "Qarabağ", Some("az")), [11]);
    assert_eq!(found_set(&index, "qarabag", Some("az")), [11]);
    // "Nazirliyində" from "nazirliyi" is a prefix too; a different word is not.
    assert_eq!(found_set(&index, "nazirliyi", Some("az")), [11]);
    assert!(found(&index, "nazirlik", Some("az")).is_empty());
}

#[test]
fn the_turkic_i_rules_hold_in_every_language_search() {
    let (_dir, index) = archive_index();
    // An English keyboard's IRAN across all languages: az İran, en Iran; ru by transliteration.
    let all = found_set(&index, "IRAN", None);
    assert!(all.contains(&11) && all.contains(&12), "{all:?}");
    assert_eq!(found_set(&index, "İRAN", Some("en")), [12]);
    assert_eq!(
        found_set(&index, "İRAN", Some(" EN ")),
        [12],
        "a language code in capitals"
    );
}

#[test]
fn russian_stems_and_folds_yo() {
    let (_dir, index) = archive_index();
    // "переговоров" in the text.
    assert_eq!(found_set(&index, "переговоры", Some("ru")), [13]);
    // "Министры" in the text.
    assert_eq!(found_set(&index, "министр", Some("ru")), [13]);
    // "Ещё" and "подчёркнута" in the text, typed with е.
    assert_eq!(found_set(&index, "еще подчеркнута", Some("ru")), [13]);
    // "Объём" in the text; typed with ё or е.
    assert_eq!(found_set(&index, "объем", Some("ru")), [23]);
    assert_eq!(found_set(&index, "ОБЪЁМ", Some("ru")), [23]);
    // "соглашение" and "соглашении" are one word.
    assert_eq!(found_set(&index, "соглашения", Some("ru")), [23]);
}

#[test]
fn english_stems() {
    let (_dir, index) = archive_index();
    assert_eq!(found_set(&index, "negotiation", Some("en")), [12]);
    assert_eq!(found_set(&index, "discussing", Some("en")), [12]);
    assert_eq!(found_set(&index, "school visit", Some("en")), [42]);
    assert_eq!(found_set(&index, "PIPELINES", Some("en")), [22]);
}

#[test]
fn latin_spellings_find_cyrillic_names() {
    let (_dir, index) = archive_index();
    // "Лаврова" in the Russian text; "Lavrov's" in the English one.
    assert_eq!(found_set(&index, "Lavrov", Some("ru")), [23]);
    assert_eq!(found_set(&index, "Lavrov", None), [22, 23]);
    assert_eq!(found_set(&index, "Лавров", None), [22, 23]);
}

#[test]
fn every_word_is_required() {
    let (_dir, index) = archive_index();
    assert_eq!(found_set(&index, "pipeline Baku", Some("en")), [22]);
    assert!(found(&index, "pipeline Tbilisi", Some("en")).is_empty());
}

#[test]
fn quotes_search_a_phrase() {
    let (_dir, index) = archive_index();
    // 12 has "border issues"; 42 has both words, apart.
    assert_eq!(found_set(&index, "border issues", Some("en")), [12, 42]);
    assert_eq!(found_set(&index, "\"border issues\"", Some("en")), [12]);
    assert_eq!(
        found_set(&index, "\"issues border\"", Some("en")),
        Vec::<i64>::new()
    );
    // Phrases are analysed too: case, diacritics, stems.
    assert_eq!(found_set(&index, "«SERHED meselelerini»", Some("az")), [11]);
    assert_eq!(found_set(&index, "\"иностранного дела\"", Some("ru")), [13]);
    // A phrase with a word beside it.
    assert_eq!(
        found_set(&index, "\"pipeline agreement\" Baku", Some("en")),
        [22]
    );
}

#[test]
fn a_release_number_in_any_form_comes_first() {
    let (_dir, index) = archive_index();
    // 367/21 is release 1 (three translations); 367/22 is release 5; 42 mentions 367 pupils.
    for typed in ["367/21", "No:367/21", "no: 367/21", "№ 367/2021", "367-21"] {
        let ids = found(&index, typed, None);
        let mut first_three = ids[..3].to_vec();
        first_three.sort_unstable();
        assert_eq!(first_three, [11, 12, 13], "{typed}: {ids:?}");
    }
    for typed in ["367", "No: 367", "No 367"] {
        let ids = found(&index, typed, Some("en"));
        assert_eq!(ids.len(), 3, "{typed}: {ids:?}");
        let mut numbered = ids[..2].to_vec();
        numbered.sort_unstable();
        assert_eq!(
            numbered,
            [12, 52],
            "{typed}: numbered first, then the text: {ids:?}"
        );
        assert_eq!(ids[2], 42, "{typed}");
    }
    assert_eq!(found(&index, "No:367/21", Some("az")), [11]);
    assert_eq!(found(&index, "367/22", Some("en"))[0], 52);
    // The answer series: QA-12 before the main series' 12/22.
    assert_eq!(found(&index, "QA-12", None)[0], 82);
    assert_eq!(found(&index, "qa 12", None)[0], 82);
    assert_eq!(found(&index, "12/22", None)[..2].len(), 2);
    let results = search(&index, "No:367/21", Some("en"));
    assert_eq!(results.hits[0].number.as_deref(), Some("No:367/21"));
}

#[test]
fn odd_input_never_fails_and_syntax_is_read_as_words() {
    let (_dir, index) = archive_index();
    let long = "border ".repeat(1500);
    let overlong_word = "x".repeat(10_000);
    let odd = [
        "\"unbalanced",
        "unbalanced\"",
        "\"\" \"\"",
        "+-",
        "title:",
        "title:border",
        "*",
        "(((",
        ")",
        "AND OR NOT",
        "a~2",
        "border^10",
        "[2020 TO 2021]",
        "\\",
        "\u{0}\u{1}\u{7f}",
        "😀 🇦🇿",
        "مرحبا",
        "367/",
        "No:",
        "-1",
        "/",
        long.as_str(),
        overlong_word.as_str(),
        "   ",
        "",
    ];
    for text in odd {
        for lang in [None, Some("az"), Some("en"), Some("ru"), Some("xx")] {
            let results = search(&index, text, lang);
            assert!(results.total <= 11, "{text:?}");
        }
    }
    // tantivy syntax is punctuation: title:border searches the words "title" and "border",
    // which only 72 has (in its title and its body), not "border" in titles.
    assert_eq!(found_set(&index, "title:border", Some("en")), [72]);
    assert_eq!(found_set(&index, "+border -issues", Some("en")), [12, 42]);
    let cut = search(&index, &long, Some("en"));
    assert!(cut.query_truncated);
    assert!(!search(&index, "border", Some("en")).query_truncated);
    let empty = search(&index, " +-: ", None);
    assert!(empty.query_empty);
    assert_eq!(empty.total, 11, "an empty query lists everything");
}
