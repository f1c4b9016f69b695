//! The search page, the header's search box and `GET /api/v1/search`, through the real router
//! on SQLite and (when configured) PostgreSQL.

#[macro_use]
mod common;

use axum::http::{Method, StatusCode, header};
use common::api::call;
use common::{Site, at, body_text, site};
use pressroom_core::numbering::Number;
use pressroom_search::{DocNumber, SearchDoc};
use pressroom_store::testing::TestDb;

/// A document as the index would get it for a published translation.
fn doc(id: i64, lang: &str, kind: &str, year: i16, title: &str, body: &str) -> SearchDoc {
    SearchDoc {
        release_id: id,
        translation_id: id,
        lang: lang.into(),
        kind: kind.into(),
        topics: Vec::new(),
        number: Some(DocNumber {
            series: "main".into(),
            number: Number { year, seq: id },
            display: format!("No:{id}/{}", year % 100),
        }),
        first_published: at(&format!("{year}-03-0{}T09:00:00Z", 1 + id % 9)),
        year,
        title: title.into(),
        lead: String::new(),
        body_markdown: body.into(),
        spokesperson: None,
        withdrawn: false,
        url: format!("/{lang}/releases/{year}/{id}-release-{id}"),
    }
}

/// Builds the site's index from `docs`, as the follower's rebuild would.
fn index(site: &Site, docs: Vec<SearchDoc>) {
    let total = docs.len() as u64;
    site.state
        .search()
        .rebuild(
            docs.into_iter().map(Ok::<_, std::io::Error>),
            total,
            1,
            |_, _| {},
        )
        .unwrap();
}

/// A small archive in three languages: water (two kinds, two years), a withdrawn one, a topic.
fn archive() -> Vec<SearchDoc> {
    let mut water_topic = doc(
        1,
        "en",
        "press-release",
        2021,
        "Minister discusses water cooperation",
        "The minister discussed **water** cooperation with the delegation.",
    );
    water_topic.topics = vec!["water".into()];
    let mut withdrawn = doc(
        4,
        "en",
        "statement",
        2022,
        "Statement on water prices",
        "An earlier statement about water prices.",
    );
    withdrawn.withdrawn = true;
    vec![
        water_topic,
        doc(
            2,
            "en",
            "statement",
            2022,
            "Statement on the water agreement",
            "The agreement on water was signed.",
        ),
        doc(
            3,
            "ru",
            "press-release",
            2021,
            "Министр обсудил водное сотрудничество",
            "Министр обсудил сотрудничество в области воды (water) с делегацией.",
        ),
        withdrawn,
        doc(
            5,
            "az",
            "press-release",
            2021,
            "Nazir Azərbaycan su əməkdaşlığını müzakirə etdi",
            "Nazir su əməkdaşlığını (water) müzakirə etdi.",
        ),
        doc(
            6,
            "en",
            "press-release",
            2020,
            "Visit to the border",
            "A visit to the northern border.",
        ),
    ]
}

async fn status_and_body(site: &Site, uri: &str) -> (StatusCode, String) {
    let response = site.get(uri).await;
    (response.status(), body_text(response).await)
}

async fn results_are_in_the_page_language_highlighted_with_number_date_and_kind(db: TestDb) {
    let site = site(db).await;
    index(&site, archive());
    let html = site.page("/en/search?q=cooperation").await;
    for expected in [
        "<a href=\"/en/releases/2021/1-release-1\">Minister discusses water <mark>cooperation</mark></a>",
        "<mark>cooperation</mark> with the delegation",
        "Press release · <time datetime=\"2021-03-02\">2 March 2021</time> · <span class=\"number\">No:1/21</span>",
        "<h2 id=\"search-results\">1 result</h2>",
        "value=\"cooperation\"",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in\n{html}");
    }
    // The Russian and Azerbaijani texts match only when every language is searched.
    assert!(!html.contains("Министр"), "{html}");
    let all = site.page("/en/search?q=water&lang=all").await;
    assert!(
        all.contains("hreflang=\"ru\" lang=\"ru\">Министр обсудил водное сотрудничество</a>")
            && all.contains("<span lang=\"ru\">Русский</span>"),
        "{all}"
    );
    assert!(all.contains("hreflang=\"az\" lang=\"az\">"), "{all}");
    // The Russian page searches Russian by default, and finds word forms.
    let ru = site.page("/ru/search?q=%D0%B2%D0%BE%D0%B4%D0%B0").await;
    assert!(
        ru.contains("<mark>водное</mark>") || ru.contains("<mark>воды</mark>"),
        "{ru}"
    );
}

async fn a_withdrawn_hit_is_marked(db: TestDb) {
    let site = site(db).await;
    index(&site, archive());
    let html = site.page("/en/search?q=prices").await;
    assert!(
        html.contains("class=\"card hit withdrawn\"")
            && html.contains("<strong>Withdrawn</strong>")
            && html.contains("This release was withdrawn; its page explains why."),
        "{html}"
    );
}

async fn filters_have_counts_and_narrow_the_results(db: TestDb) {
    let site = site(db).await;
    site.db
        .store
        .create_topic(
            "water",
            &[("en".to_owned(), "Water".to_owned())].into(),
            pressroom_store::By::Cli,
        )
        .await
        .unwrap();
    index(&site, archive());
    let html = site.page("/en/search?q=water").await;
    for expected in [
        "<h2 id=\"search-results\">3 results</h2>",
        "name=\"kind\" value=\"statement\"> Statement <span class=\"count\">(2)</span>",
        "name=\"kind\" value=\"press-release\"> Press release <span class=\"count\">(1)</span>",
        "name=\"topic\" value=\"water\"> Water <span class=\"count\">(1)</span>",
        "<option value=\"2022\">2022 (2)</option>",
        "<option value=\"2021\">2021 (1)</option>",
        // Languages count the query read in each: English 3, Russian 1, Azerbaijani 1.
        "value=\"en\" checked> <span lang=\"en\">English</span> <span class=\"count\">(3)</span>",
        "value=\"all\"> All languages <span class=\"count\">(5)</span>",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in\n{html}");
    }
    // Choosing a kind narrows the results and keeps the other kinds' counts.
    let statements = site.page("/en/search?q=water&kind=statement").await;
    assert!(
        statements.contains("<h2 id=\"search-results\">2 results</h2>")
            && statements.contains(
                "value=\"statement\" checked> Statement <span class=\"count\">(2)</span>"
            )
            && statements.contains(
                "value=\"press-release\"> Press release <span class=\"count\">(1)</span>"
            )
            && !statements.contains("Minister discusses"),
        "{statements}"
    );
    // A year range.
    let y2021 = site.page("/en/search?q=water&from=2021&to=2021").await;
    assert!(
        y2021.contains("1 result<") && y2021.contains("<option value=\"2021\" selected>"),
        "{y2021}"
    );
    // Several kinds at once, and a topic.
    let both = site
        .page("/en/search?q=water&kind=statement&kind=press-release&topic=water")
        .await;
    assert!(both.contains("1 result<"), "{both}");
}

async fn order_and_pages(db: TestDb) {
    let site = site(db).await;
    let docs: Vec<SearchDoc> = (1..=25)
        .map(|i| {
            let mut d = doc(
                i,
                "en",
                "press-release",
                2000 + i as i16,
                &format!("Harbour report {i}"),
                "About the harbour.",
            );
            d.number = None;
            d
        })
        .collect();
    index(&site, docs);
    let first = site.page("/en/search?q=harbour&order=newest").await;
    assert!(
        first.contains("25 results") && first.contains("Page 1 of 2"),
        "{first}"
    );
    let newest = first.find(" report 25</a>").unwrap();
    assert!(newest < first.find(" report 24</a>").unwrap(), "{first}");
    assert!(
        first.contains("rel=\"next\" href=\"/en/search?q=harbour&amp;order=newest&amp;page=2\""),
        "{first}"
    );
    let second = site.page("/en/search?q=harbour&order=newest&page=2").await;
    assert_eq!(second.matches("class=\"card hit").count(), 5, "{second}");
    assert!(second.contains("rel=\"prev\""), "{second}");
    let oldest = site.page("/en/search?q=harbour&order=oldest").await;
    assert!(
        oldest.find(" report 1</a>").unwrap() < oldest.find(" report 2</a>").unwrap(),
        "{oldest}"
    );
}

async fn bad_input_gets_a_helpful_page_never_a_500(db: TestDb) {
    let site = site(db).await;
    index(&site, archive());
    // Nothing to search for: help, with the form.
    for uri in [
        "/en/search",
        "/en/search?q=",
        "/en/search?q=+++%09",
        "/en/search?q=%20",
    ] {
        let (status, html) = status_and_body(&site, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {html}");
        assert!(
            html.contains("Type what you are looking for") && html.contains("<input id=\"q\""),
            "{uri}: {html}"
        );
        assert!(!html.contains("search-results"), "{uri}: {html}");
    }
    // Broken addresses and wrong values: 400, the reason, and the form to try again.
    for (uri, message) in [
        (
            "/en/search?q=water%ZZ",
            "a % sign without two hexadecimal digits",
        ),
        (
            "/en/search?q=water%",
            "a % sign without two hexadecimal digits",
        ),
        ("/en/search?q=wat%FFer", "not valid UTF-8"),
        ("/en/search?q=wa%00ter%07", "invisible control characters"),
        (
            "/en/search?q=water&kind=nonsense",
            "There is no such kind of release",
        ),
        (
            "/en/search?q=water&topic=nonsense",
            "There is no such topic",
        ),
        ("/en/search?q=water&from=twenty", "A year must be a number"),
        (
            "/en/search?q=water&from=2022&to=2021",
            "The first year is after the last year",
        ),
        (
            "/en/search?q=water&page=0",
            "That page of results does not exist",
        ),
        (
            "/en/search?q=water&page=99999",
            "That page of results does not exist",
        ),
        ("/en/search?q=water&order=random", "The order must be"),
        (
            "/en/search?q=water&lang=xx",
            "This site does not publish in that language",
        ),
    ] {
        let (status, html) = status_and_body(&site, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {html}");
        assert!(
            html.contains("role=\"alert\"") && html.contains(message),
            "{uri}: missing {message:?} in\n{html}"
        );
        assert!(html.contains("<input id=\"q\""), "{uri}: {html}");
    }
    // Control characters are offered back as spaces.
    let (_, html) = status_and_body(&site, "/en/search?q=wa%00ter").await;
    assert!(html.contains("value=\"wa ter\""), "{html}");
    // Query syntax is searched as text.
    for q in [
        "title%3A(water+AND",
        "%22unclosed+water",
        "water+-+%2B+*+%5E2+~",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "NOT+OR+AND",
    ] {
        let uri = format!("/en/search?q={q}");
        let (status, html) = status_and_body(&site, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {html}");
        assert!(!html.contains("<script>alert"), "{uri}: {html}");
    }
    // An overlong query is cut, and the page says so.
    let long = "water+".repeat(400);
    let (status, html) = status_and_body(&site, &format!("/en/search?q={long}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("only its first 500 characters (and 32 words) were searched"),
        "{html}"
    );
    // An unknown language in the path is the usual 404 page.
    assert_eq!(
        site.get("/xx/search?q=water").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn the_page_says_when_the_index_is_being_built(db: TestDb) {
    let site = site(db).await;
    let response = site.get("/en/search?q=water").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    let html = body_text(response).await;
    assert!(
        html.contains("The search index is being built") && html.contains("<input id=\"q\""),
        "{html}"
    );
    // Without a query there is nothing to wait for: the form, with the notice.
    let (status, html) = status_and_body(&site, "/en/search").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("The search index is being built"), "{html}");
}

async fn every_public_page_has_the_search_box(db: TestDb) {
    let site = site(db).await;
    site.publish("Water report", "Text.", at("2021-10-04T07:30:00Z"), None)
        .await;
    index(&site, archive());
    for (uri, lang, label) in [
        ("/en/", "en", "Search press releases"),
        ("/en/releases/", "en", "Search press releases"),
        (
            "/en/releases/2021/1-water-report",
            "en",
            "Search press releases",
        ),
        ("/ru/", "ru", "Поиск по пресс-релизам"),
        ("/az/", "az", "Press-relizlərdə axtar"),
        ("/en/search?q=water", "en", "Search press releases"),
        ("/en/verify", "en", "Search press releases"),
    ] {
        let html = site.page(uri).await;
        let form = format!(
            "<form class=\"site-search\" method=\"get\" action=\"/{lang}/search\" role=\"search\""
        );
        assert!(html.contains(&form), "{uri}: no search box in\n{html}");
        assert!(
            html.contains(&format!("<label for=\"site-search-q\">{label}</label>"))
                && html.contains("<input id=\"site-search-q\" name=\"q\" type=\"search\""),
            "{uri}: {html}"
        );
    }
}

async fn the_search_page_is_never_served_stale_from_the_cache(db: TestDb) {
    let site = site(db).await;
    index(&site, archive()[..1].to_vec());
    assert!(
        site.page("/en/search?q=agreement")
            .await
            .contains("No results")
    );
    // The index changes (as the follower applies a publication): the next request sees it.
    index(&site, archive());
    let html = site.page("/en/search?q=agreement").await;
    assert!(html.contains("1 result<"), "{html}");
    let response = site.get("/en/search?q=agreement").await;
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
    assert!(response.headers().get(header::ETAG).is_none());
}

async fn the_api_searches_with_the_same_parameters(db: TestDb) {
    let site = site(db).await;
    let (status, _, body) = call(&site, Method::GET, "/api/v1/search?q=water", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    index(&site, archive());
    // The site's default language is Azerbaijani.
    let (status, content_type, body) = call(
        &site,
        Method::GET,
        "/api/v1/search?q=water&lang=en&kind=statement",
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(content_type, "application/json");
    assert_eq!(body["total"], 2, "{body}");
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 20);
    assert_eq!(body["lang"], "en");
    let hit = &body["hits"][0];
    assert!(
        hit["title_html"]
            .as_str()
            .unwrap()
            .contains("<mark>water</mark>"),
        "{body}"
    );
    assert!(
        hit["url"]
            .as_str()
            .unwrap()
            .starts_with("https://mfa.example.org/en/releases/2022/"),
        "{body}"
    );
    assert!(
        body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["withdrawn"] == true)
    );
    let kinds = body["facets"]["kinds"].as_array().unwrap();
    assert!(
        kinds.contains(&serde_json::json!({ "value": "press-release", "count": 1 })),
        "{body}"
    );
    let (_, _, all) = call(
        &site,
        Method::GET,
        "/api/v1/search?q=water&lang=all&per_page=1",
        None,
        None,
    )
    .await;
    assert_eq!(all["total"], 5, "{all}");
    assert_eq!(all["hits"].as_array().unwrap().len(), 1);
    assert_eq!(all["pages"], 5);
    assert!(all["lang"].is_null());
    // Bad input: a problem naming the field.
    let (bad, unusable) = (StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY);
    for (uri, field, expected) in [
        ("/api/v1/search", "q", unusable),
        ("/api/v1/search?q=+", "q", unusable),
        ("/api/v1/search?q=a%ZZ", "q", unusable),
        ("/api/v1/search?q=a%FF", "q", unusable),
        ("/api/v1/search?q=a%01b", "q", unusable),
        ("/api/v1/search?q=water&per_page=500", "per_page", bad),
        ("/api/v1/search?q=water&kind=x", "kind", unusable),
        ("/api/v1/search?q=water&lang=xx", "lang", unusable),
        ("/api/v1/search?q=water&to=3000", "to", bad),
    ] {
        let (status, content_type, body) = call(&site, Method::GET, uri, None, None).await;
        assert_eq!(status, expected, "{uri}: {body}");
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["errors"][0]["field"], field, "{uri}: {body}");
    }
    let (_, _, cut) = call(
        &site,
        Method::GET,
        &format!("/api/v1/search?q={}", "x".repeat(900)),
        None,
        None,
    )
    .await;
    assert_eq!(cut["truncated"], true, "{cut}");
    // In the OpenAPI document, with its statuses.
    let doc: serde_json::Value = serde_json::from_str(&pressroom_web::openapi_json()).unwrap();
    let op = &doc["paths"]["/api/v1/search"]["get"];
    for status in ["200", "400", "422", "429", "503"] {
        assert!(op["responses"][status].is_object(), "{status}: {op}");
    }
}

pressroom_store::backends!(
    results_are_in_the_page_language_highlighted_with_number_date_and_kind,
    a_withdrawn_hit_is_marked,
    filters_have_counts_and_narrow_the_results,
    order_and_pages,
    bad_input_gets_a_helpful_page_never_a_500,
    the_page_says_when_the_index_is_being_built,
    every_public_page_has_the_search_box,
    the_search_page_is_never_served_stale_from_the_cache,
    the_api_searches_with_the_same_parameters,
);
