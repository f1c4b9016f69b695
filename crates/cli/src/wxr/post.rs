//! One post of the export as a release's parts (a [`Member`]), and the posts of a Polylang
//! group merged into one [`WxrRead`].

use std::path::Path;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use pressroom_core::import::{ImportFile, ImportRelease, ImportTranslation};
use pressroom_core::language::Localized;

use super::scan::Item;
use super::{Wxr, WxrError, WxrRead, category, html};

/// One post, read, before the posts of its group are merged into one release.
#[derive(Debug)]
pub struct Member {
    post_id: u64,
    pub line: u64,
    guid: String,
    published_at: Timestamp,
    /// The number's position and year, as the headline gave them.
    number: Option<(i64, Option<i16>)>,
    /// The years of the post's local (the old site's zone) and UTC dates.
    years: [i16; 2],
    topics: Vec<String>,
    banner: Option<(String, String)>,
    attachments: Vec<ImportFile>,
    translation: ImportTranslation,
    warnings: Vec<String>,
}

impl Wxr {
    pub(super) fn member(&self, item: &Item) -> Result<Member, WxrError> {
        let origin = origin(item);
        let mut warnings = Vec::new();
        let local = parse_date(&item.post_date);
        let published_at = match (parse_date(&item.post_date_gmt), local) {
            (Some(gmt), _) => gmt,
            (None, Some(local)) => {
                warnings.push(format!(
                    "no UTC date (wp:post_date_gmt is `{}`): the local date {} is read as UTC, since the old site's time zone is not in the export",
                    item.post_date_gmt, item.post_date
                ));
                local
            }
            (None, None) => {
                return Err(WxrError::Post {
                    origin,
                    message: format!(
                        "no publication date (wp:post_date `{}`): give the post a date in WordPress and export again",
                        item.post_date
                    ),
                });
            }
        };
        let utc_year = published_at.to_zoned_datetime(TimeZone::UTC).year();
        let years = [
            local.map_or(utc_year, |l| l.to_zoned_datetime(TimeZone::UTC).year()),
            utc_year,
        ];
        let raw_title = item.title.trim();
        let (title, number) = match self.options.pattern.take(raw_title) {
            Some(taken) => (taken.title, Some((taken.seq, taken.year))),
            None => {
                warnings.push(format!(
                    "no number in the title `{raw_title}`: imported without a number"
                ));
                (raw_title.to_owned(), None)
            }
        };
        if title.is_empty() {
            return Err(WxrError::Post {
                origin,
                message: "the post has no title: give it one in WordPress and export again".into(),
            });
        }
        let lang = category(item, "language")
            .or_else(|| self.lang_of.get(&item.post_id).cloned())
            .unwrap_or_else(|| self.options.lang.clone())
            .to_lowercase();
        let body = html::to_markdown(&item.content, &self.links, &mut warnings);
        if body.trim().is_empty() {
            warnings.push("the post's text is empty".into());
        }
        let mut lead_warnings = Vec::new();
        let lead = pressroom_core::markdown::plain_text(&html::to_markdown(
            &item.excerpt,
            &self.links,
            &mut lead_warnings,
        ));
        let slug = percent_encoding::percent_decode_str(&item.post_name)
            .decode_utf8_lossy()
            .trim()
            .to_owned();
        let mut old_urls = Vec::new();
        if !item.link.is_empty() {
            old_urls.push(item.link.clone());
        }
        old_urls.push(format!("/?p={}", item.post_id));
        let mut topics: Vec<String> = Vec::new();
        // WordPress files every post without a category under "Uncategorized": a placeholder,
        // not a topic.
        for c in &item.categories {
            let wanted =
                c.domain == "post_tag" || c.domain == "category" && c.nicename != "uncategorized";
            if wanted
                && !c.name.is_empty()
                && !topics
                    .iter()
                    .any(|t| t.to_lowercase() == c.name.to_lowercase())
            {
                topics.push(c.name.clone());
            }
        }
        let banner = item
            .meta("_thumbnail_id")
            .and_then(|id| id.trim().parse::<u64>().ok())
            .and_then(|id| match self.attachments.get(&id) {
                Some(a) => Some(a),
                None => {
                    warnings.push(format!(
                        "the featured image (attachment {id}) is not in the export: no banner"
                    ));
                    None
                }
            })
            .map(|a| (self.file(&a.url, &mut warnings), a.alt.clone()));
        let mut attachments = Vec::new();
        for id in self.children.get(&item.post_id).into_iter().flatten() {
            let Some(a) = self.attachments.get(id) else {
                continue;
            };
            if a.parent != item.post_id || is_image(&a.url) {
                continue;
            }
            attachments.push(ImportFile {
                file: self.file(&a.url, &mut warnings),
                data: None,
                name: (!a.title.is_empty()).then(|| a.title.clone()),
                alt: Localized::new(),
            });
        }
        Ok(Member {
            post_id: item.post_id,
            line: item.line,
            // The guid never changes with the address; an export without one falls back to the
            // permalink, then to the post id.
            guid: [&item.guid, &item.link]
                .into_iter()
                .find(|g| !g.is_empty())
                .cloned()
                .unwrap_or_else(|| format!("?p={}", item.post_id)),
            published_at,
            number,
            years,
            topics,
            banner,
            attachments,
            translation: ImportTranslation {
                lang,
                title,
                lead,
                body,
                slug: (!slug.is_empty()).then_some(slug),
                old_urls,
            },
            warnings,
        })
    }

    /// Where the store reads a file: the local uploads copy when there is one and it has the
    /// file, else the old site's URL.
    fn file(&self, url: &str, warnings: &mut Vec<String>) -> String {
        let (Some(uploads), Some((_, rest))) = (
            &self.options.uploads,
            url.split_once("/wp-content/uploads/"),
        ) else {
            return url.to_owned();
        };
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let rest = percent_encoding::percent_decode_str(rest).decode_utf8_lossy();
        let relative = Path::new(rest.as_ref());
        let safe = relative
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        let path = uploads.join(relative);
        if safe && path.is_file() {
            return path.to_string_lossy().into_owned();
        }
        warnings.push(format!(
            "{} is not in the uploads copy {}: the old site's address is used",
            relative.display(),
            uploads.display()
        ));
        url.to_owned()
    }
}

fn origin(item: &Item) -> String {
    format!("post {} (line {})", item.post_id, item.line)
}

/// `2021-10-04 11:20:00` as an instant in UTC; WordPress writes `0000-00-00 00:00:00` for a
/// date it never set.
fn parse_date(value: &str) -> Option<Timestamp> {
    let dt: DateTime = value.trim().replace(' ', "T").parse().ok()?;
    if dt.year() < 1970 {
        return None;
    }
    dt.to_zoned_datetime(TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

fn is_image(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some(
            "jpg"
                | "jpeg"
                | "png"
                | "gif"
                | "webp"
                | "avif"
                | "svg"
                | "bmp"
                | "tif"
                | "tiff"
                | "heic"
                | "ico"
        )
    )
}

/// The posts of one group as one release: the earliest date, the first number found, the
/// topics and attachments of all, the banner of the first that has one with each language's
/// alternative text. The source id is the guid of the oldest post (lowest id), which stays
/// the same when a translation is added later.
pub fn merge(mut members: Vec<Member>, kind: &str) -> WxrRead {
    members.sort_by_key(|m| m.post_id);
    let mut warnings = Vec::new();
    let mut translations: Vec<ImportTranslation> = Vec::new();
    let mut topics: Vec<String> = Vec::new();
    let mut attachments: Vec<ImportFile> = Vec::new();
    let mut banner: Option<ImportFile> = None;
    let mut number: Option<(i64, Option<i16>, [i16; 2])> = None;
    let origin = members
        .iter()
        .map(|m| format!("post {} (line {})", m.post_id, m.line))
        .collect::<Vec<_>>()
        .join(", ");
    let source_id = format!("wxr:{}", members.first().map_or("", |m| m.guid.as_str()));
    let published_at = members
        .iter()
        .map(|m| m.published_at)
        .min()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let several = members.len() > 1;
    for m in members {
        let prefix = if several {
            format!("post {}: ", m.post_id)
        } else {
            String::new()
        };
        warnings.extend(m.warnings.into_iter().map(|w| format!("{prefix}{w}")));
        match (&number, m.number) {
            (None, Some((seq, year))) => number = Some((seq, year, m.years)),
            (Some((seq, ..)), Some((other, _))) if *seq != other => warnings.push(format!(
                "{prefix}its number {other} differs from the group's {seq}; {seq} is kept"
            )),
            _ => {}
        }
        for t in m.topics {
            if !topics.iter().any(|x| x.to_lowercase() == t.to_lowercase()) {
                topics.push(t);
            }
        }
        for a in m.attachments {
            if !attachments.iter().any(|x| x.file == a.file) {
                attachments.push(a);
            }
        }
        if let Some((file, alt)) = m.banner {
            let b = banner.get_or_insert_with(|| ImportFile {
                file,
                data: None,
                name: None,
                alt: Localized::new(),
            });
            if !alt.is_empty() {
                b.alt.entry(m.translation.lang.clone()).or_insert(alt);
            }
        }
        if translations.iter().any(|t| t.lang == m.translation.lang) {
            warnings.push(format!(
                "{prefix}a second text in `{}` in the same translation group was left out",
                m.translation.lang
            ));
        } else {
            translations.push(m.translation);
        }
    }
    if let Some(b) = &banner {
        for t in &translations {
            if !b.alt.contains_key(&t.lang) {
                warnings.push(format!(
                    "the banner has no alternative text in `{}` (the attachment's Alt Text in WordPress): describe the image before it is published",
                    t.lang
                ));
            }
        }
    }
    // The number's year is given whenever the publication date's year could be read otherwise
    // (a release numbered at the turn of a year, or published near midnight on 31 December).
    let (number, number_year) = match number {
        Some((seq, Some(year), years)) if years.iter().any(|y| *y != year) => {
            (Some(seq), Some(year))
        }
        Some((seq, ..)) => (Some(seq), None),
        None => (None, None),
    };
    WxrRead {
        release: ImportRelease {
            source_id,
            kind: kind.to_owned(),
            number,
            number_year,
            published_at,
            topics,
            spokesperson: None,
            banner,
            attachments,
            translations,
        },
        origin,
        warnings,
    }
}
