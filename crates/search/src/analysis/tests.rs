use pressroom_core::language::lowercase;
use tantivy::tokenizer::{TokenStream, Tokenizer};

use super::letters::fold_into;
use super::*;

fn term(analysis: Analysis, word: &str) -> String {
    analysis.term(word).unwrap_or_default()
}

#[test]
fn folding_equals_turkic_lowercasing_then_folding_and_ordinary_lowercasing_too() {
    // The claim the module docs make: one folded analyzer serves Azerbaijani and everyone.
    let fold = |s: &str| {
        let mut out = String::new();
        for c in s.chars() {
            fold_into(c, &mut out);
        }
        out
    };
    for word in [
        "İRAN",
        "Iraq",
        "BAKI",
        "İstiqlal",
        "ISTANBUL",
        "Azərbaycan",
        "ŞUŞA",
        "iri",
    ] {
        let folded = term(Analysis::Folded, word);
        assert_eq!(folded, fold(&lowercase("az", word)), "{word} (az rules)");
        assert_eq!(
            folded,
            fold(&lowercase("en", word)).replace("i\u{307}", "i"),
            "{word} (ordinary rules)"
        );
    }
}

#[test]
fn azerbaijani_case_and_diacritics_both_ways() {
    let az = Analysis::for_language("az");
    assert_eq!(az, Analysis::Folded);
    for spelling in [
        "Azərbaycan",
        "Azerbaycan",
        "AZƏRBAYCAN",
        "AZERBAYCAN",
        "azərbaycan",
    ] {
        assert_eq!(term(az, spelling), "azerbaycan", "{spelling}");
    }
    for spelling in ["İran", "iran", "IRAN", "Iran", "İRAN"] {
        assert_eq!(term(az, spelling), "iran", "{spelling}");
    }
    // Dotless ı typed as I or i on an English keyboard.
    for spelling in ["Bakı", "BAKI", "Baki", "baki"] {
        assert_eq!(term(az, spelling), "baki", "{spelling}");
    }
    assert_eq!(term(az, "Şuşa"), term(az, "Susa"));
    assert_eq!(term(az, "Gəncə"), term(az, "gence"));
    assert_eq!(term(az, "Ağdərə"), term(az, "agdere"));
    assert_eq!(term(az, "Çöl"), term(az, "col"));
    assert_eq!(term(az, "Üzüm"), term(az, "uzum"));
}

#[test]
fn decomposed_letters_and_invisible_characters_do_not_break_words() {
    let az = Analysis::Folded;
    // o + combining diaeresis, I + combining dot above, a soft hyphen from a PDF.
    assert_eq!(term(az, "Go\u{308}ygo\u{308}l"), "goygol");
    assert_eq!(term(az, "I\u{307}ran"), "iran");
    let pasted = "Azər\u{AD}baycan";
    assert_eq!(words(pasted).count(), 1);
    assert_eq!(term(az, pasted), "azerbaycan");
    // и + combining breve is й, not и.
    assert_eq!(
        term(Analysis::Russian, "и\u{306}"),
        term(Analysis::Russian, "й")
    );
}

#[test]
fn russian_stems_and_folds_yo() {
    let ru = Analysis::for_language("ru");
    assert_eq!(ru, Analysis::Russian);
    assert_eq!(term(ru, "Министр"), term(ru, "министра"));
    assert_eq!(term(ru, "министра"), term(ru, "министром"));
    assert_eq!(term(ru, "переговоры"), term(ru, "переговорах"));
    assert_eq!(term(ru, "ещё"), term(ru, "еще"));
    assert_eq!(term(ru, "Объём"), term(ru, "объем"));
    assert_eq!(term(ru, "Ёлка"), term(ru, "елки"));
}

#[test]
fn english_stems() {
    let en = Analysis::for_language("en-gb");
    assert_eq!(en, Analysis::English);
    assert_eq!(term(en, "negotiations"), term(en, "negotiation"));
    assert_eq!(term(en, "Ministers"), term(en, "minister"));
    assert_eq!(term(en, "visited"), term(en, "visiting"));
    assert_eq!(term(en, "agreements"), term(en, "agreement"));
}

#[test]
fn transliteration_lets_latin_spellings_find_cyrillic_names() {
    let t = Analysis::Translit;
    assert_eq!(term(t, "Lavrov"), term(t, "Лавров"));
    assert_eq!(
        term(t, "Lavrov"),
        term(t, "Лаврова"),
        "a case ending of the name"
    );
    assert_eq!(term(t, "Zakharova"), term(t, "Захарова"));
    assert_eq!(term(t, "Zaxarova"), term(t, "Захаровой"));
    assert_eq!(term(t, "Shoigu"), term(t, "Шойгу"));
    assert_ne!(term(t, "Lavrov"), term(t, "Peskov"));
}

#[test]
fn words_split_on_punctuation_and_keep_offsets() {
    let text = "No:367/21 — «Azərbaycan», e-mail; ministry's";
    let found: Vec<(usize, &str)> = words(text).collect();
    let just_words: Vec<&str> = found.iter().map(|(_, w)| *w).collect();
    assert_eq!(
        just_words,
        [
            "No",
            "367",
            "21",
            "Azərbaycan",
            "e",
            "mail",
            "ministry",
            "s"
        ]
    );
    for (offset, word) in found {
        assert_eq!(&text[offset..offset + word.len()], word);
    }
    assert_eq!(words("  +-:()\"\u{0}\t ").count(), 0);
}

#[test]
fn overlong_words_give_no_term() {
    assert_eq!(Analysis::Folded.term(&"a".repeat(500)), None);
    assert_eq!(Analysis::Folded.term("\u{AD}"), None);
}

#[test]
fn the_tokenizer_gives_positions_and_offsets_into_the_original_text() {
    let mut tokenizer = WordTokenizer::new(Analysis::English);
    let text = "Ministers VISITED Bakı";
    let mut stream = tokenizer.token_stream(text);
    let mut seen = Vec::new();
    while stream.advance() {
        let t = stream.token();
        seen.push((
            t.position,
            t.text.clone(),
            text[t.offset_from..t.offset_to].to_owned(),
        ));
    }
    assert_eq!(
        seen,
        [
            (0, "minist".to_owned(), "Ministers".to_owned()),
            (1, "visit".to_owned(), "VISITED".to_owned()),
            (2, "baki".to_owned(), "Bakı".to_owned()),
        ]
    );
}

#[test]
fn terms_use_the_languages_analysis() {
    assert_eq!(
        terms("az", "AZƏRBAYCAN Respublikası"),
        ["azerbaycan", "respublikasi"]
    );
    assert_eq!(
        terms("ru", "Министерство иностранных дел"),
        ["министерств", "иностра", "дел"]
    );
}

#[test]
fn the_folded_initial_is_the_first_letter_of_the_term() {
    let mut buf = String::new();
    for word in [
        "İran",
        "IRAN",
        "Şuşa",
        "\u{AD}Ölkə",
        "Ёлка",
        "Ministers",
        "367",
    ] {
        let term = term(Analysis::Folded, word);
        assert_eq!(
            folded_initial(word, &mut buf),
            term.chars().next(),
            "{word}"
        );
    }
    assert_eq!(folded_initial("\u{AD}", &mut buf), None);
}
