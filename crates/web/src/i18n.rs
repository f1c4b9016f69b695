//! Interface strings in the page's language, from Fluent files (`locales/*.ftl`) embedded in
//! the binary. A language without its own file reads English, so a newly configured language
//! shows a complete interface while its translation is written.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use jiff::civil::Date;

use crate::WebError;

/// The language every other one falls back to.
const FALLBACK: &str = "en";

const FILES: &[(&str, &str)] = &[
    ("az", include_str!("../locales/az.ftl")),
    ("en", include_str!("../locales/en.ftl")),
    ("ru", include_str!("../locales/ru.ftl")),
];

/// Every language's interface strings.
pub(crate) struct I18n {
    bundles: HashMap<&'static str, FluentBundle<FluentResource>>,
}

impl I18n {
    /// Parses the embedded files; a syntax error in one is a bug caught by the tests.
    pub(crate) fn new() -> Result<Self, WebError> {
        let mut bundles = HashMap::new();
        for (lang, source) in FILES {
            let resource =
                FluentResource::try_new((*source).to_owned()).map_err(|(_, errors)| {
                    WebError::Theme(format!("locales/{lang}.ftl: {errors:?}"))
                })?;
            let id = lang
                .parse()
                .map_err(|e| WebError::Theme(format!("locale {lang}: {e}")))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Unicode isolation marks would end up in attributes and URLs; our placeables are
            // numbers, dates and names in the page's own script.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| WebError::Theme(format!("locales/{lang}.ftl: {errors:?}")))?;
            bundles.insert(*lang, bundle);
        }
        Ok(Self { bundles })
    }

    /// The string `key` in `lang` (falling back to English, then to the key itself).
    pub(crate) fn text(&self, lang: &str, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let base = lang.split('-').next().unwrap_or(lang);
        for candidate in [lang, base, FALLBACK] {
            let Some(bundle) = self.bundles.get(candidate) else {
                continue;
            };
            let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
                continue;
            };
            let mut fluent_args = FluentArgs::new();
            for (name, value) in args {
                fluent_args.set(*name, value.clone());
            }
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
            if !errors.is_empty() {
                tracing::warn!(
                    lang = candidate,
                    key,
                    ?errors,
                    "interface string has errors"
                );
            }
            return text.into_owned();
        }
        key.to_owned()
    }

    /// A date in words: "4 October 2021", "4 oktyabr 2021", "4 октября 2021".
    pub(crate) fn long_date(&self, lang: &str, date: Date) -> String {
        let month = self.text(lang, &format!("month-in-date-{}", date.month()), &[]);
        self.text(
            lang,
            "date-long",
            &[
                ("day", FluentValue::from(date.day().to_string())),
                ("month", FluentValue::from(month)),
                ("year", FluentValue::from(date.year().to_string())),
            ],
        )
    }

    /// A month's name for headings: "October", "Oktyabr", "Октябрь".
    pub(crate) fn month_name(&self, lang: &str, month: i8) -> String {
        self.text(lang, &format!("month-{month}"), &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key_of_english() {
        let keys = |source: &str| -> Vec<String> {
            source
                .lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" = "))
                .filter_map(|l| l.split(" = ").next().map(str::to_owned))
                .collect()
        };
        let english = keys(FILES.iter().find(|(l, _)| *l == "en").unwrap().1);
        for (lang, source) in FILES {
            let own = keys(source);
            for key in &english {
                assert!(own.contains(key), "{lang}.ftl lacks `{key}`");
            }
        }
    }

    #[test]
    fn dates_and_arguments_read_naturally() {
        let i18n = I18n::new().unwrap();
        let d = jiff::civil::date(2021, 10, 4);
        assert_eq!(i18n.long_date("en", d), "4 October 2021");
        assert_eq!(i18n.long_date("az", d), "4 oktyabr 2021");
        assert_eq!(i18n.long_date("ru", d), "4 октября 2021");
        assert_eq!(
            i18n.long_date("fa", d),
            "4 October 2021",
            "unknown languages read English"
        );
        assert_eq!(
            i18n.text("ru", "page-of", &[("page", 2.into()), ("pages", 5.into())]),
            "Страница 2 из 5"
        );
        assert_eq!(i18n.text("az", "no-such-key", &[]), "no-such-key");
        assert_eq!(i18n.month_name("az", 6), "İyun");
    }
}
