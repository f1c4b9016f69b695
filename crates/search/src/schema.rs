//! The index's fields, and how a [`SearchDoc`] becomes a tantivy document.
//!
//! Text is indexed once per analysis it needs, never per language: every translation goes
//! into the folded fields (`title_fold`, `body_fold`: the Azerbaijani analysis and the
//! cross-language one), English and Russian ones also into their stemmed fields
//! (`title_en`/`body_en`, `title_ru`/`body_ru`), and any with Cyrillic letters also into
//! `translit`. Title and body are separate so a title match can weigh more. What a hit shows
//! is stored separately, unanalysed.
//!
//! A change here changes what is on disk: bump [`FORMAT_VERSION`](crate::FORMAT_VERSION) so
//! that existing indexes are rebuilt.

use pressroom_core::markdown::plain_text;
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{TextAnalyzer, TokenizerManager};
use tantivy::{Index, TantivyDocument};

use crate::analysis::{Analysis, WordTokenizer};
use crate::doc::SearchDoc;
use crate::error::SearchError;

/// The analysed fields of one analysis.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextFields {
    pub(crate) title: Field,
    pub(crate) body: Field,
}

/// Every field of the schema, resolved once.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub(crate) translation_id: Field,
    pub(crate) release_id: Field,
    pub(crate) lang: Field,
    /// The analysis of the language's own fields (`fold`, `en`, `ru`): words of languages
    /// without a stemmer also match by prefix.
    pub(crate) analysis: Field,
    pub(crate) kind: Field,
    pub(crate) topic: Field,
    pub(crate) facets: Field,
    pub(crate) year: Field,
    pub(crate) published: Field,
    pub(crate) withdrawn: Field,
    pub(crate) number: Field,
    pub(crate) number_text: Field,
    pub(crate) title: Field,
    pub(crate) lead: Field,
    pub(crate) body: Field,
    pub(crate) spokesperson: Field,
    pub(crate) url: Field,
    pub(crate) folded: TextFields,
    pub(crate) english: TextFields,
    pub(crate) russian: TextFields,
    pub(crate) translit: Field,
}

/// The name of the fast field date order sorts on.
pub(crate) const PUBLISHED: &str = "published";

fn analysed(analysis: Analysis, positions: bool) -> TextOptions {
    let record = if positions {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::WithFreqs
    };
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analysis.tokenizer_name())
            .set_index_option(record),
    )
}

impl Fields {
    /// The schema of the current format, and its fields.
    pub(crate) fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let stored_text = TextOptions::default().set_stored();
        let mut text_fields = |name: &str, analysis: Analysis| TextFields {
            title: b.add_text_field(&format!("title_{name}"), analysed(analysis, true)),
            body: b.add_text_field(&format!("body_{name}"), analysed(analysis, true)),
        };
        let folded = text_fields("fold", Analysis::Folded);
        let english = text_fields("en", Analysis::English);
        let russian = text_fields("ru", Analysis::Russian);
        let fields = Fields {
            folded,
            english,
            russian,
            translit: b.add_text_field("translit", analysed(Analysis::Translit, false)),
            translation_id: b.add_i64_field("translation_id", INDEXED | STORED),
            release_id: b.add_i64_field("release_id", INDEXED | STORED),
            lang: b.add_text_field("lang", STRING | STORED),
            analysis: b.add_text_field("analysis", STRING),
            kind: b.add_text_field("kind", STRING | STORED),
            topic: b.add_text_field("topic", STRING | STORED),
            facets: b.add_facet_field("facets", FacetOptions::default()),
            year: b.add_i64_field("year", INDEXED | FAST),
            published: b.add_i64_field(PUBLISHED, FAST | STORED),
            withdrawn: b.add_bool_field("withdrawn", INDEXED | STORED),
            number: b.add_text_field("number", STRING),
            number_text: b.add_text_field("number_text", stored_text.clone()),
            title: b.add_text_field("title", stored_text.clone()),
            lead: b.add_text_field("lead", stored_text.clone()),
            body: b.add_text_field("body", stored_text.clone()),
            spokesperson: b.add_text_field("spokesperson", stored_text.clone()),
            url: b.add_text_field("url", stored_text),
        };
        (b.build(), fields)
    }

    /// The analysed fields of a language's own analysis.
    pub(crate) fn text_fields(&self, analysis: Analysis) -> Option<TextFields> {
        match analysis {
            Analysis::Folded => Some(self.folded),
            Analysis::English => Some(self.english),
            Analysis::Russian => Some(self.russian),
            Analysis::Translit => None,
        }
    }

    /// The tantivy document for `doc`. Refuses what would make a broken entry.
    pub(crate) fn document(&self, doc: &SearchDoc) -> Result<TantivyDocument, SearchError> {
        let bad = |reason: &str| SearchError::BadDocument {
            translation_id: doc.translation_id,
            reason: reason.to_owned(),
        };
        if !pressroom_core::language::is_valid_code(&doc.lang) {
            return Err(bad(
                "its language code is not a code like `az`, `en` or `pt-br`",
            ));
        }
        if doc.kind.is_empty() {
            return Err(bad("its kind key is empty"));
        }
        let body = plain_text(&doc.body_markdown);
        let mut d = TantivyDocument::new();
        d.add_i64(self.translation_id, doc.translation_id);
        d.add_i64(self.release_id, doc.release_id);
        d.add_text(self.lang, &doc.lang);
        d.add_text(
            self.analysis,
            analysis_key(Analysis::for_language(&doc.lang)),
        );
        d.add_text(self.kind, &doc.kind);
        d.add_facet(self.facets, Facet::from_path(["kind", doc.kind.as_str()]));
        d.add_facet(self.facets, Facet::from_path(["lang", doc.lang.as_str()]));
        d.add_facet(
            self.facets,
            Facet::from_path(["year", &doc.year.to_string()]),
        );
        for topic in doc.topics.iter().filter(|t| !t.is_empty()) {
            d.add_text(self.topic, topic);
            d.add_facet(self.facets, Facet::from_path(["topic", topic.as_str()]));
        }
        d.add_i64(self.year, i64::from(doc.year));
        d.add_i64(self.published, doc.first_published.as_microsecond());
        d.add_bool(self.withdrawn, doc.withdrawn);
        if let Some(number) = &doc.number {
            for term in number_terms(number.number.seq, number.number.year, &number.display) {
                d.add_text(self.number, term);
            }
            d.add_text(self.number_text, &number.display);
        }
        d.add_text(self.title, &doc.title);
        d.add_text(self.lead, &doc.lead);
        d.add_text(self.body, &body);
        d.add_text(self.url, &doc.url);
        let person = doc.spokesperson.as_deref().unwrap_or_default();
        if !person.is_empty() {
            d.add_text(self.spokesperson, person);
        }

        let body_parts = [doc.lead.as_str(), body.as_str(), person];
        let mut analysed = vec![self.folded];
        analysed.extend(self.text_fields(Analysis::for_language(&doc.lang)));
        analysed.dedup_by_key(|f| f.title);
        for fields in analysed {
            d.add_text(fields.title, &doc.title);
            for part in body_parts.iter().filter(|p| !p.is_empty()) {
                d.add_text(fields.body, part);
            }
        }
        let all = [doc.title.as_str(), doc.lead.as_str(), body.as_str(), person];
        if all
            .iter()
            .any(|p| p.chars().any(crate::analysis::is_cyrillic_letter))
        {
            for part in all.iter().filter(|p| !p.is_empty()) {
                d.add_text(self.translit, part);
            }
        }
        Ok(d)
    }
}

/// The value of the `analysis` field for a language's own analysis.
pub(crate) fn analysis_key(analysis: Analysis) -> &'static str {
    match analysis {
        Analysis::Folded => "fold",
        Analysis::English => "en",
        Analysis::Russian => "ru",
        Analysis::Translit => "translit",
    }
}

/// The terms under which a number is found: its position alone (`s:367`), with its year in
/// two and four digits (`sy:367/21`, `sy:367/2021`), and its displayed form with spaces
/// removed (`d:no:367/21`) and with only letters and digits (`a:no36721`), so `QA-12` and
/// `qa 12` both find the answer series' twelfth.
pub(crate) fn number_terms(seq: i64, year: i16, display: &str) -> Vec<String> {
    let mut terms = vec![
        format!("s:{seq}"),
        format!("sy:{seq}/{:02}", year.rem_euclid(100)),
        format!("sy:{seq}/{year}"),
    ];
    terms.extend(display_terms(display));
    terms
}

/// The displayed-form terms of [`number_terms`], also made from a query.
pub(crate) fn display_terms(text: &str) -> Vec<String> {
    let lower = pressroom_core::language::lowercase("en", text);
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    let alnum: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    let mut terms = Vec::new();
    if !compact.is_empty() {
        terms.push(format!("d:{compact}"));
    }
    if !alnum.is_empty() {
        terms.push(format!("a:{alnum}"));
    }
    terms
}

/// Registers every analysis under its tokenizer name: an index opened from disk knows only
/// the names, so this runs on every open.
pub(crate) fn register_tokenizers(index: &Index) {
    let manager: &TokenizerManager = index.tokenizers();
    for analysis in Analysis::ALL {
        manager.register(
            analysis.tokenizer_name(),
            TextAnalyzer::from(WordTokenizer::new(analysis)),
        );
    }
}
