//! The search parameters, shared by the search page and `GET /api/v1/search`, read from the
//! raw query string.
//!
//! The query string is decoded here rather than by axum's `Query`: that extractor decodes
//! leniently (a bad `%` escape passes through, invalid UTF-8 becomes `�`), so a reader would
//! search for mangled text without being told. Here each problem is named, with the field and
//! the fix, and both surfaces answer it as bad input (never a fault).

use pressroom_search::{Filters, MAX_OFFSET, MAX_PER_PAGE, Order, SearchRequest};

use super::Loaded;

/// Results per page of the search page (and the API's default).
pub(crate) const PAGE_SIZE: u32 = 20;

/// The value of `lang` that searches every language.
pub(crate) const ALL_LANGUAGES: &str = "all";

/// Every query parameter the search surfaces read. Each is listed here, and the cache skips
/// these routes anyway (see `public::search`).
pub(crate) const PARAMS: &[&str] = &[
    "q", "lang", "kind", "topic", "from", "to", "order", "page", "per_page",
];

/// One problem with the parameters: the field and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParamProblem {
    /// The parameter's name.
    pub field: &'static str,
    /// What is wrong and how to fix it, in English (the API's language; the page shows its
    /// own translated message per `code`).
    pub message: String,
    /// The interface string key of the page's message.
    pub code: &'static str,
}

/// The search parameters as read: what to echo back into the form, and what to search for.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchParams {
    /// The typed text, decoded; control characters replaced by spaces (so the form can offer
    /// the cleaned text back), at most `MAX_QUERY_CHARS` characters.
    pub q: String,
    /// The text was longer than the index reads and was cut.
    pub q_cut: bool,
    /// `Some(code)` for one language, `None` for all of them.
    pub lang: Option<String>,
    /// Kind keys.
    pub kinds: Vec<String>,
    /// Topic slugs.
    pub topics: Vec<String>,
    /// Year range, inclusive.
    pub from: Option<i16>,
    /// Last year, inclusive.
    pub to: Option<i16>,
    /// Result order.
    pub order: Order,
    /// Page, from 1.
    pub page: u32,
    /// Results per page.
    pub per_page: u32,
    /// What was wrong; nothing is searched when this is not empty.
    pub problems: Vec<ParamProblem>,
}

impl SearchParams {
    /// Whether the text has nothing to search for.
    pub(crate) fn is_empty(&self) -> bool {
        self.q.trim().is_empty()
    }

    /// The request for the index.
    pub(crate) fn request(&self) -> SearchRequest {
        SearchRequest {
            text: self.q.clone(),
            lang: self.lang.clone(),
            filters: Filters {
                kinds: self.kinds.clone(),
                topics: self.topics.clone(),
                year_from: self.from,
                year_to: self.to,
                exclude_withdrawn: false,
            },
            order: self.order,
            page: self.page,
            per_page: self.per_page,
        }
    }

    /// The order's name in URLs.
    pub(crate) fn order_name(&self) -> &'static str {
        match self.order {
            Order::Relevance => "relevance",
            Order::Newest => "newest",
            Order::Oldest => "oldest",
        }
    }

    /// The page's query string for these parameters on page `page` (the page's own language
    /// and the defaults left out, so links stay short): for the pager and language links.
    pub(crate) fn query_string(&self, page: u32, default_lang: &str) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("q", self.q.clone())];
        match &self.lang {
            None => pairs.push(("lang", ALL_LANGUAGES.to_owned())),
            Some(l) if l != default_lang => pairs.push(("lang", l.clone())),
            Some(_) => {}
        }
        pairs.extend(self.kinds.iter().map(|k| ("kind", k.clone())));
        pairs.extend(self.topics.iter().map(|t| ("topic", t.clone())));
        if let Some(y) = self.from {
            pairs.push(("from", y.to_string()));
        }
        if let Some(y) = self.to {
            pairs.push(("to", y.to_string()));
        }
        if self.order != Order::Relevance {
            pairs.push(("order", self.order_name().to_owned()));
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

/// Reads the parameters of a search from `raw` (the URI's query string) for a page or request
/// whose default language is `default_lang`. Never fails: problems are listed in the result.
pub(crate) fn parse(raw: Option<&str>, default_lang: &str, loaded: &Loaded) -> SearchParams {
    let mut params = SearchParams {
        lang: Some(default_lang.to_owned()),
        page: 1,
        per_page: PAGE_SIZE,
        ..Default::default()
    };
    let mut problems = Vec::new();
    let mut problem = |field: &'static str, code: &'static str, message: String| {
        if !problems.iter().any(|p: &ParamProblem| p.field == field) {
            problems.push(ParamProblem {
                field,
                message,
                code,
            });
        }
    };
    for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(field) = PARAMS.iter().copied().find(|f| *f == name) else {
            continue;
        };
        let value = match decode(value) {
            Ok(v) => v,
            Err(Decode::Escape) => {
                problem(
                    field,
                    "search-bad-escape",
                    format!(
                        "`{field}` has a `%` not followed by two hexadecimal digits; write `%25` \
                         for a percent sign"
                    ),
                );
                continue;
            }
            Err(Decode::Utf8(lossy)) => {
                problem(
                    field,
                    "search-bad-utf8",
                    format!("`{field}` is not valid UTF-8 text; send the text encoded as UTF-8"),
                );
                if field == "q" {
                    params.q = clean(&lossy.replace('\u{FFFD}', " "), &mut params.q_cut);
                }
                continue;
            }
        };
        match field {
            "q" => {
                if value.chars().any(is_control) {
                    problem(
                        "q",
                        "search-control",
                        "`q` contains control characters (invisible codes that are not text); \
                         remove them and search again"
                            .to_owned(),
                    );
                }
                params.q = clean(&value, &mut params.q_cut);
            }
            "lang" => match value.as_str() {
                "" => {}
                ALL_LANGUAGES => params.lang = None,
                code if loaded.settings.language(code).is_some() => {
                    params.lang = Some(code.to_owned());
                }
                _ => problem(
                    "lang",
                    "search-bad-lang",
                    format!(
                        "`lang` must be `{ALL_LANGUAGES}` or one of the site's languages: {}",
                        language_list(loaded)
                    ),
                ),
            },
            "kind" if value.is_empty() => {}
            "kind" if params.kinds.contains(&value) => {}
            "kind" if loaded.kinds.iter().any(|k| k.key == value) => params.kinds.push(value),
            "kind" => problem(
                "kind",
                "search-bad-kind",
                format!(
                    "`kind` must be one of: {}",
                    loaded
                        .kinds
                        .iter()
                        .map(|k| k.key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            "topic" if value.is_empty() => {}
            "topic" if params.topics.contains(&value) => {}
            "topic" if loaded.topics.iter().any(|t| t.slug == value) => params.topics.push(value),
            "topic" => problem(
                "topic",
                "search-bad-topic",
                "`topic` must be the slug of one of the site's topics (see /api/v1/topics)"
                    .to_owned(),
            ),
            "from" | "to" => match year(&value) {
                Ok(y) if field == "from" => params.from = y,
                Ok(y) => params.to = y,
                Err(()) => problem(
                    field,
                    "search-bad-year",
                    format!("`{field}` must be a year from 1900 to 2999, such as 2021"),
                ),
            },
            "order" => match value.as_str() {
                "" | "relevance" => params.order = Order::Relevance,
                "newest" => params.order = Order::Newest,
                "oldest" => params.order = Order::Oldest,
                _ => problem(
                    "order",
                    "search-bad-order",
                    "`order` must be `relevance`, `newest` or `oldest`".to_owned(),
                ),
            },
            "page" | "per_page" => {
                let (max, slot) = if field == "page" {
                    (u32::MAX, &mut params.page)
                } else {
                    (MAX_PER_PAGE, &mut params.per_page)
                };
                match value.parse::<u32>().ok().filter(|n| (1..=max).contains(n)) {
                    Some(n) => *slot = n,
                    None if value.is_empty() => {}
                    None => problem(
                        field,
                        if field == "page" {
                            "search-bad-page"
                        } else {
                            "search-bad-per-page"
                        },
                        format!("`{field}` must be a whole number from 1 to {max}"),
                    ),
                }
            }
            _ => {}
        }
    }
    if let (Some(from), Some(to)) = (params.from, params.to)
        && from > to
    {
        problem(
            "to",
            "search-year-order",
            format!("`to` ({to}) is before `from` ({from}); give the earlier year first"),
        );
    }
    let max_page = (MAX_OFFSET / params.per_page as usize) as u32;
    if params.page > max_page {
        problem(
            "page",
            "search-page-past-end",
            format!(
                "`page` must be at most {max_page}: results past the first {MAX_OFFSET} are \
                 not paged to; narrow the search instead"
            ),
        );
    }
    params.problems = problems;
    params
}

fn language_list(loaded: &Loaded) -> String {
    loaded
        .settings
        .languages
        .iter()
        .map(|l| l.code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn year(value: &str) -> Result<Option<i16>, ()> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    value
        .trim()
        .parse::<i16>()
        .ok()
        .filter(|y| (1900..=2999).contains(y))
        .map(Some)
        .ok_or(())
}

/// Control characters other than the whitespace a pasted text carries (tab, line breaks).
fn is_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The text as the form shows it back and the index reads it: controls and line breaks as
/// spaces, at most `MAX_QUERY_CHARS` characters (`cut` says whether it was longer).
fn clean(text: &str, cut: &mut bool) -> String {
    let max = pressroom_search::MAX_QUERY_CHARS;
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    *cut |= text.chars().nth(max).is_some();
    if *cut {
        out.truncate(out.trim_end().len());
    }
    out
}

enum Decode {
    /// A `%` without two hex digits.
    Escape,
    /// Decoded bytes that are not UTF-8, decoded lossily.
    Utf8(String),
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
fn decode(value: &str) -> Result<String, Decode> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => return Err(Decode::Escape),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|e| Decode::Utf8(String::from_utf8_lossy(e.as_bytes()).into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_names_bad_escapes_and_bad_utf8() {
        assert_eq!(decode("a+b%20c%C9%99").ok().as_deref(), Some("a b cə"));
        assert!(matches!(decode("100%"), Err(Decode::Escape)));
        assert!(matches!(decode("%zz"), Err(Decode::Escape)));
        assert!(matches!(decode("%FFx"), Err(Decode::Utf8(s)) if s == "\u{FFFD}x"));
    }

    #[test]
    fn cleaning_replaces_controls_and_cuts_long_text() {
        let mut cut = false;
        assert_eq!(clean("a\u{7}b\nc", &mut cut), "a b c");
        assert!(!cut);
        let long = "word ".repeat(200);
        let cleaned = clean(&long, &mut cut);
        assert!(cut && cleaned.chars().count() <= pressroom_search::MAX_QUERY_CHARS);
    }
}
