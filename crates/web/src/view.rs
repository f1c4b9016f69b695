//! What templates show, made from store records: URLs, dates in the page's language, official
//! numbers in the series' format. Templates receive only these plain structures.

use jiff::Timestamp;
use jiff::civil::Date;
use pressroom_core::language::pick;
use pressroom_core::markdown::QaLabels;
use pressroom_core::numbering::NumberSeries;
use pressroom_core::release::{Kind, Release, release_segment};
use pressroom_core::settings::SiteSettings;
use pressroom_store::{PublicSummary, release_key, release_year};
use serde::Serialize;

/// The parts of every page: site name, languages, footer.
#[derive(Debug, Serialize)]
pub(crate) struct Chrome {
    pub lang: String,
    pub dir: &'static str,
    pub site_title: String,
    pub rights_notice: String,
    pub css_url: String,
    pub languages: Vec<LanguageLink>,
    pub pages: Vec<PageLink>,
    pub home_url: String,
    pub releases_url: String,
}

/// A link to the same page (or the home page) in another language.
#[derive(Debug, Serialize)]
pub(crate) struct LanguageLink {
    pub code: String,
    pub name: String,
    pub url: String,
    pub current: bool,
}

/// A footer link to an editable page.
#[derive(Debug, Serialize)]
pub(crate) struct PageLink {
    pub title: String,
    pub url: String,
}

/// One release in a listing.
#[derive(Debug, Serialize)]
pub(crate) struct Card {
    pub url: String,
    pub title: String,
    pub lead: String,
    pub kind: String,
    pub date: String,
    pub date_iso: String,
    pub number: Option<String>,
    pub withdrawn: bool,
}

/// Everything needed to turn records into view structures for one language.
pub(crate) struct Ctx<'a> {
    pub lang: &'a str,
    pub settings: &'a SiteSettings,
    pub kinds: &'a [Kind],
    pub series: &'a [NumberSeries],
}

impl Ctx<'_> {
    /// The public URL path of a release in this language.
    pub fn release_url(&self, release: &Release, slug: &str) -> String {
        release_path(self.lang, release, slug, self.settings)
    }

    /// The kind's name in this language.
    pub fn kind_name(&self, key: &str) -> String {
        self.kinds.iter().find(|k| k.key == key).map_or_else(
            || key.to_owned(),
            |k| pick(&k.names, self.lang, self.settings.default_language()).to_owned(),
        )
    }

    /// The release's number as the series displays it in this language.
    pub fn number(&self, release: &Release) -> Option<String> {
        let number = release.number?;
        let series = self
            .series
            .iter()
            .find(|s| Some(&s.key) == release.series.as_ref())?;
        let date = release.first_published_at.map_or_else(
            || Date::new(number.year, 1, 1).unwrap_or_default(),
            |at| self.local_date(at),
        );
        Some(series.display(self.lang, number, date))
    }

    /// The date of an instant in the site's time zone.
    pub fn local_date(&self, at: Timestamp) -> Date {
        at.to_zoned_datetime(self.settings.tz()).date()
    }

    /// A date in words in this language.
    pub fn date_text(&self, at: Timestamp) -> String {
        long_date(self.lang, self.local_date(at))
    }

    /// A listing card.
    pub fn card(&self, summary: &PublicSummary) -> Card {
        let published = summary
            .release
            .first_published_at
            .unwrap_or(summary.release.created_at);
        Card {
            url: self.release_url(&summary.release, &summary.slug),
            title: summary.title.clone(),
            lead: summary.lead.clone(),
            kind: self.kind_name(&summary.release.kind),
            date: self.date_text(published),
            date_iso: self.local_date(published).to_string(),
            number: self.number(&summary.release),
            withdrawn: summary.withdrawn,
        }
    }
}

/// `/{lang}/releases/{year}/{segment}`.
pub(crate) fn release_path(
    lang: &str,
    release: &Release,
    slug: &str,
    settings: &SiteSettings,
) -> String {
    let year = release_year(release, &settings.tz()).unwrap_or_default();
    format!(
        "/{lang}/releases/{year}/{}",
        release_segment(&release_key(release), slug)
    )
}

/// "4 October 2021", "4 oktyabr 2021", "4 октября 2021"; ISO dates for other languages.
// The public-site issue moves these words into the localisation files with the rest of the
// interface strings.
pub(crate) fn long_date(lang: &str, date: Date) -> String {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const AZ: [&str; 12] = [
        "yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avqust", "sentyabr",
        "oktyabr", "noyabr", "dekabr",
    ];
    const RU: [&str; 12] = [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ];
    let month = usize::try_from(date.month() - 1).unwrap_or(0);
    let names = match lang {
        "en" => EN,
        "az" => AZ,
        "ru" => RU,
        _ => return date.to_string(),
    };
    format!("{} {} {}", date.day(), names[month], date.year())
}

/// The labels of question and answer blocks in `lang`.
pub(crate) fn qa_labels(lang: &str) -> QaLabels<'static> {
    match lang {
        "az" => QaLabels {
            question: "Sual",
            answer: "Cavab",
        },
        "ru" => QaLabels {
            question: "Вопрос",
            answer: "Ответ",
        },
        _ => pressroom_core::markdown::ENGLISH_LABELS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_naturally_in_each_language() {
        let d = jiff::civil::date(2021, 10, 4);
        assert_eq!(long_date("en", d), "4 October 2021");
        assert_eq!(long_date("az", d), "4 oktyabr 2021");
        assert_eq!(long_date("ru", d), "4 октября 2021");
        assert_eq!(long_date("de", d), "2021-10-04");
    }
}
