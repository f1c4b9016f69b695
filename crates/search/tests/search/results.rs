//! What a search returns: filters and their counts, order, snippets, pages, and how changes
//! show.

use pressroom_search::{FacetCount, Filters, Order, SearchRequest, SearchResults, Update};

use crate::fixtures::{apply, archive, archive_index, built, found, found_set, search};

fn request(text: &str, filters: Filters) -> SearchRequest {
    SearchRequest {
        filters,
        per_page: 100,
        ..SearchRequest::new(text)
    }
}

fn ids(results: &SearchResults) -> Vec<i64> {
    let mut ids: Vec<i64> = results.hits.iter().map(|h| h.translation_id).collect();
    ids.sort_unstable();
    ids
}

fn counts(values: &[FacetCount]) -> Vec<(&str, u64)> {
    values.iter().map(|f| (f.value.as_str(), f.count)).collect()
}

#[test]
fn each_filter_narrows_the_results() {
    let (_dir, index) = archive_index();
    let run = |filters: Filters| index.search(&request("", filters)).expect("search");
    let kinds = run(Filters {
        kinds: vec!["statement".into(), "news".into()],
        ..Filters::default()
    });
    assert_eq!(ids(&kinds), [22, 23, 42, 62, 72]);
    let topics = run(Filters {
        topics: vec!["border".into()],
        ..Filters::default()
    });
    assert_eq!(ids(&topics), [11, 12, 13, 31]);
    let years = run(Filters {
        year_from: Some(2022),
        year_to: Some(2023),
        ..Filters::default()
    });
    assert_eq!(ids(&years), [22, 23, 31, 52, 82]);
    let from = run(Filters {
        year_from: Some(2023),
        ..Filters::default()
    });
    assert_eq!(ids(&from), [31, 72]);
    let to = run(Filters {
        year_to: Some(2020),
        ..Filters::default()
    });
    assert_eq!(ids(&to), [42]);
    let lang = index
        .search(&request("", Filters::default()).in_lang("ru"))
        .expect("search");
    assert_eq!(ids(&lang), [13, 23]);
    let combined = index
        .search(
            &request(
                "border",
                Filters {
                    kinds: vec!["press-release".into()],
                    year_to: Some(2021),
                    ..Filters::default()
                },
            )
            .in_lang("en"),
        )
        .expect("search");
    assert_eq!(ids(&combined), [12]);
}

#[test]
fn counts_per_value_apply_the_other_filters() {
    let (_dir, index) = archive_index();
    let all = index
        .search(&request("", Filters::default()))
        .expect("search");
    assert_eq!(all.total, 11);
    assert_eq!(
        counts(&all.facets.kinds),
        [
            ("press-release", 5),
            ("statement", 3),
            ("news", 2),
            ("answer", 1)
        ]
    );
    assert_eq!(counts(&all.facets.langs), [("en", 7), ("az", 2), ("ru", 2)]);
    assert_eq!(
        counts(&all.facets.years),
        [
            ("2024", 1),
            ("2023", 1),
            ("2022", 4),
            ("2021", 4),
            ("2020", 1)
        ]
    );
    assert_eq!(
        counts(&all.facets.topics),
        [
            ("border", 4),
            ("iran", 3),
            ("consular", 2),
            ("energy", 2),
            ("fisheries", 1),
            ("security", 1)
        ]
    );

    // Choosing statements: the kind counts still show the other kinds; the rest narrow.
    let statements = index
        .search(&request(
            "",
            Filters {
                kinds: vec!["statement".into()],
                ..Filters::default()
            },
        ))
        .expect("search");
    assert_eq!(statements.total, 3);
    assert_eq!(counts(&statements.facets.kinds), counts(&all.facets.kinds));
    assert_eq!(counts(&statements.facets.langs), [("en", 2), ("ru", 1)]);
    assert_eq!(counts(&statements.facets.years), [("2022", 2), ("2021", 1)]);

    // Choosing Russian: every language still counted (the query read in every language).
    let russian = index
        .search(&request("Iran", Filters::default()).in_lang("ru"))
        .expect("search");
    assert_eq!(ids(&russian), [13]);
    assert_eq!(
        counts(&russian.facets.langs),
        [("az", 1), ("en", 1), ("ru", 1)]
    );
    assert_eq!(counts(&russian.facets.kinds), [("press-release", 1)]);

    // A year range: the year counts ignore it, the others follow it.
    let recent = index
        .search(&request(
            "",
            Filters {
                year_from: Some(2023),
                ..Filters::default()
            },
        ))
        .expect("search");
    assert_eq!(counts(&recent.facets.years), counts(&all.facets.years));
    assert_eq!(
        counts(&recent.facets.kinds),
        [("news", 1), ("press-release", 1)]
    );
}

#[test]
fn relevance_or_date_order() {
    let (_dir, index) = archive_index();
    let by = |order: Order| {
        let mut r = SearchRequest::new("border").in_lang("en");
        r.order = order;
        let hits = index.search(&r).expect("search").hits;
        hits.iter().map(|h| h.translation_id).collect::<Vec<_>>()
    };
    // 12 has "border" in its title; 42 (2020) and 72 (2024) in their bodies.
    assert_eq!(by(Order::Relevance)[0], 12);
    assert_eq!(by(Order::Newest), [72, 12, 42]);
    assert_eq!(by(Order::Oldest), [42, 12, 72]);
    let relevance = index
        .search(&SearchRequest::new("border").in_lang("en"))
        .expect("search");
    assert!(relevance.hits[0].score > relevance.hits[2].score);
    // Nothing typed: newest first, whatever the order asked.
    let listing = index.search(&SearchRequest::new("")).expect("search");
    let dates: Vec<_> = listing.hits.iter().map(|h| h.first_published).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
}

#[test]
fn snippets_are_escaped_and_highlighted() {
    let (_dir, index) = archive_index();
    let results = search(&index, "embassy form", Some("en"));
    let hit = &results.hits[0];
    assert_eq!(hit.translation_id, 72);
    assert!(
        hit.snippet_html.contains("&lt;script&gt;"),
        "{}",
        hit.snippet_html
    );
    assert!(
        !hit.snippet_html.contains("<script"),
        "{}",
        hit.snippet_html
    );
    assert!(
        hit.snippet_html.contains("<mark>embassy</mark>"),
        "{}",
        hit.snippet_html
    );
    assert!(
        hit.snippet_html.contains("<mark>form</mark>"),
        "{}",
        hit.snippet_html
    );
    let unsafe_title = search(&index, "unsafe", Some("en"));
    assert_eq!(
        unsafe_title.hits[0].title_html,
        "&lt;b&gt;<mark>Unsafe</mark>&lt;/b&gt; title &amp; more"
    );
    assert_eq!(unsafe_title.hits[0].title, "<b>Unsafe</b> title & more");

    // Highlighting follows the analysis: diacritics, stems, transliteration.
    let az = search(&index, "azerbaycan", Some("az"));
    assert!(
        az.hits[0]
            .title_html
            .starts_with("<mark>Azərbaycan</mark> və"),
        "{}",
        az.hits[0].title_html
    );
    let ru = search(&index, "Lavrov", Some("ru"));
    assert!(
        ru.hits[0].snippet_html.contains("<mark>Лаврова</mark>"),
        "{}",
        ru.hits[0].snippet_html
    );
    let en = search(&index, "negotiation", Some("en"));
    assert!(
        en.hits[0]
            .snippet_html
            .contains("<mark>negotiations</mark>")
    );
    // Markdown is text in the snippet: no asterisks, no block markers.
    let md = search(&index, "Respublikası", Some("az"));
    assert!(
        !md.hits[0].snippet_html.contains("**"),
        "{}",
        md.hits[0].snippet_html
    );
    let qa = search(&index, "visas", Some("en"));
    assert!(
        !qa.hits[0].snippet_html.contains(":::"),
        "{}",
        qa.hits[0].snippet_html
    );
}

#[test]
fn hits_carry_what_the_page_shows() {
    let (_dir, index) = archive_index();
    let hit = &search(&index, "No:367/21", Some("az")).hits[0];
    assert_eq!(hit.translation_id, 11);
    assert_eq!(hit.release_id, 1);
    assert_eq!(hit.lang, "az");
    assert_eq!(hit.kind, "press-release");
    assert_eq!(hit.topics, ["border", "iran"]);
    assert_eq!(hit.number.as_deref(), Some("No:367/21"));
    assert_eq!(hit.url, "/az/releases/2021/1-t11");
    assert_eq!(hit.spokesperson.as_deref(), Some("Leyla Abdullayeva"));
    assert_eq!(hit.first_published.to_string(), "2021-10-04T08:00:00Z");
    assert!(!hit.withdrawn);
    // Found by the spokesperson's name.
    assert_eq!(found_set(&index, "Abdullayeva", Some("en")), [12]);
}

#[test]
fn withdrawn_translations_are_found_and_flagged_unless_left_out() {
    let (_dir, index) = archive_index();
    let results = search(&index, "fisheries", None);
    assert_eq!(ids(&results), [62]);
    assert!(results.hits[0].withdrawn);
    let left_out = index
        .search(&request(
            "fisheries",
            Filters {
                exclude_withdrawn: true,
                ..Filters::default()
            },
        ))
        .expect("search");
    assert_eq!(left_out.total, 0);
}

#[test]
fn pages() {
    let mut docs = archive();
    let template = docs[6].clone();
    for i in 0..25 {
        let mut d = template.clone();
        d.release_id = 100 + i;
        d.translation_id = 1000 + i;
        d.title = format!("Archive note {i}");
        d.first_published += jiff::SignedDuration::from_hours(i);
        docs.push(d);
    }
    let (_dir, index) = built(docs);
    let page = |page: u32, per_page: u32| {
        let mut r = SearchRequest::new("archive");
        r.order = Order::Newest;
        r.page = page;
        r.per_page = per_page;
        index.search(&r).expect("search")
    };
    let first = page(1, 10);
    assert_eq!((first.total, first.pages(), first.hits.len()), (25, 3, 10));
    assert_eq!(first.hits[0].translation_id, 1024);
    let third = page(3, 10);
    assert_eq!(third.hits.len(), 5);
    assert_eq!(third.hits[4].translation_id, 1000);
    assert!(page(4, 10).hits.is_empty());
    let mut seen: Vec<i64> = (1..=3)
        .flat_map(|p| page(p, 10).hits.into_iter().map(|h| h.translation_id))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 25, "pages neither overlap nor skip");
    assert_eq!(
        page(0, 0).per_page,
        1,
        "page 0 and per-page 0 are read as 1"
    );
    assert_eq!(page(1, 10_000).per_page, 100);
    let far = page(u32::MAX, 100);
    assert!(far.hits.is_empty());
    assert_eq!(far.total, 25);
}

#[test]
fn a_correction_replaces_the_old_text() {
    let (_dir, index) = archive_index();
    assert_eq!(found_set(&index, "border", Some("en")), [12, 42, 72]);
    let mut corrected = archive().remove(1);
    assert_eq!(corrected.translation_id, 12);
    corrected.title = "Azerbaijan and Iran discuss river issues".into();
    corrected.body_markdown = "The ministers discussed the river.".into();
    let before = index.num_docs();
    apply(&index, vec![Update::Upsert(corrected)]);
    // Searchable as soon as apply returns; the old words no longer find it.
    assert_eq!(found_set(&index, "river", Some("en")), [12]);
    assert_eq!(found_set(&index, "border", Some("en")), [42, 72]);
    assert_eq!(index.num_docs(), before);
    // A withdrawal is a correction of the flag.
    let mut withdrawn = archive().remove(6);
    withdrawn.withdrawn = true;
    apply(&index, vec![Update::Upsert(withdrawn)]);
    assert!(search(&index, "schools", Some("en")).hits[0].withdrawn);
}

#[test]
fn deletes_by_translation_and_by_release() {
    let (_dir, index) = archive_index();
    apply(&index, vec![Update::Delete(42)]);
    assert!(found(&index, "schools", None).is_empty());
    assert_eq!(found_set(&index, "pipeline", None), [22]);
    apply(&index, vec![Update::DeleteRelease(2)]);
    assert!(found(&index, "pipeline", None).is_empty());
    assert!(found(&index, "газопроводу", None).is_empty());
    assert_eq!(index.num_docs(), 8);
}

#[test]
fn a_pasted_text_finds_the_translation_it_came_from_first() {
    let (_dir, index) = archive_index();
    // The Azerbaijani statement retyped on an English keyboard, a sentence changed.
    let pasted = "Xarici Isler Nazirliyinde Iran numayende heyeti ile gorus kecirildi. \
                  Gorusde Azerbaycan Respublikasi ile Iran arasinda serhed boyunca emekdasliq \
                  muzakire olunmadi.";
    let found = index.similar(pasted, 5).unwrap();
    assert_eq!(found.first(), Some(&11), "{found:?}");
    let english = "The ministers discussed cooperation along the border and the negotiations.";
    assert_eq!(index.similar(english, 5).unwrap().first(), Some(&12));
    assert!(index.similar("   ", 5).unwrap().is_empty());
    assert!(index.similar("zzzz qqqq", 5).unwrap().is_empty());
    assert!(index.similar(english, 0).unwrap().is_empty());
}
