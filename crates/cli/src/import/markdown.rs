//! `pressroom import markdown DIR`: a folder of Markdown files, one per translation, each
//! opening with front matter in TOML (`+++` lines) or YAML (`---` lines) — the layout Hugo,
//! Jekyll and most static-site exports already have (see `docs/import.md`):
//!
//! ```text
//! +++
//! kind = "press-release"
//! lang = "en"
//! release = "367-21"          # the translations of one release share it
//! number = 367
//! date = 2021-10-04T13:30:00+04:00
//! title = "Answer of the Press Service Department to the media question"
//! topics = ["Foreign policy"]
//! banner = "images/367.jpg"
//! banner_alt = "The Ministry's building"
//! old_urls = ["/en/news/no36721-answer"]
//! +++
//! The body, in Markdown.
//! ```
//!
//! The folder is read twice: once for the front matter only (to group translations into
//! releases, bounded by the number of files, not their size), then release by release.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use pressroom_core::import::{ImportFile, ImportRelease, ImportTranslation};
use pressroom_core::language::Localized;
use serde::Deserialize;

use super::Item;

/// Largest file read, in bytes: a translation's body is at most 200,000 characters.
const MAX_FILE_BYTES: u64 = 4 << 20;

/// The front matter of one file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    kind: Option<String>,
    lang: String,
    /// Groups the translations of one release; the file name without `.LANG.md` otherwise.
    release: Option<String>,
    /// The source id; `markdown:` + the release key otherwise.
    id: Option<String>,
    number: Option<i64>,
    year: Option<i16>,
    date: String,
    title: String,
    #[serde(default)]
    lead: String,
    slug: Option<String>,
    #[serde(default)]
    topics: Vec<String>,
    spokesperson: Option<String>,
    banner: Option<String>,
    banner_alt: Option<String>,
    #[serde(default)]
    attachments: Vec<String>,
    old_url: Option<String>,
    #[serde(default)]
    old_urls: Vec<String>,
}

/// A folder of Markdown files, grouped into releases.
pub(crate) struct MarkdownDir {
    dir: PathBuf,
    /// Release key → its files, in name order.
    groups: BTreeMap<String, Vec<PathBuf>>,
    default_kind: String,
    tz: TimeZone,
}

impl MarkdownDir {
    /// Reads every file's front matter under `dir` (recursively, `*.md`), grouping them.
    /// Files whose front matter cannot be read are named all at once.
    pub(crate) fn open(dir: &Path, default_kind: &str, tz: TimeZone) -> anyhow::Result<Self> {
        if !dir.is_dir() {
            bail!(
                "{} is not a folder; give the folder that holds the Markdown files",
                dir.display()
            );
        }
        let mut files = Vec::new();
        collect(dir, &mut files)?;
        files.sort();
        if files.is_empty() {
            bail!("{} holds no `.md` file", dir.display());
        }
        let mut groups: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        let mut problems = Vec::new();
        for file in files {
            match read(&file) {
                Ok((front, _)) => {
                    let key = front
                        .release
                        .clone()
                        .unwrap_or_else(|| release_key(&file, &front.lang));
                    groups.entry(key).or_default().push(file);
                }
                Err(e) => problems.push(format!("{}: {e:#}", file.display())),
            }
        }
        if !problems.is_empty() {
            bail!(
                "nothing was imported; fix these files and run the import again:\n  {}",
                problems.join("\n  ")
            );
        }
        Ok(Self {
            dir: dir.to_owned(),
            groups,
            default_kind: default_kind.to_owned(),
            tz,
        })
    }

    /// How many releases the folder holds.
    pub(crate) fn len(&self) -> usize {
        self.groups.len()
    }

    /// The folder relative paths of files are read from.
    pub(crate) fn base(&self) -> &Path {
        &self.dir
    }

    /// The releases, one by one, in key order.
    pub(crate) fn items(&self) -> impl Iterator<Item = anyhow::Result<Item>> + '_ {
        self.groups
            .iter()
            .map(|(key, files)| self.release(key, files))
    }

    fn release(&self, key: &str, files: &[PathBuf]) -> anyhow::Result<Item> {
        let origin = files
            .iter()
            .map(|f| f.strip_prefix(&self.dir).unwrap_or(f).display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let mut release: Option<ImportRelease> = None;
        let mut warnings = Vec::new();
        for file in files {
            let (front, body) = read(file)?;
            let at = file
                .strip_prefix(&self.dir)
                .unwrap_or(file)
                .display()
                .to_string();
            let published_at =
                instant(&front.date, &self.tz).with_context(|| format!("{at}: `date`"))?;
            let mut old_urls = front.old_urls.clone();
            old_urls.extend(front.old_url.clone());
            let translation = ImportTranslation {
                lang: front.lang.clone(),
                title: front.title.clone(),
                lead: front.lead.clone(),
                body,
                slug: front.slug.clone(),
                old_urls,
            };
            match &mut release {
                None => {
                    let mut alt = Localized::new();
                    if let Some(text) = &front.banner_alt {
                        alt.insert(front.lang.clone(), text.clone());
                    }
                    release = Some(ImportRelease {
                        source_id: front
                            .id
                            .clone()
                            .unwrap_or_else(|| format!("markdown:{key}")),
                        kind: front
                            .kind
                            .clone()
                            .unwrap_or_else(|| self.default_kind.clone()),
                        number: front.number,
                        number_year: front.year,
                        published_at,
                        topics: front.topics.clone(),
                        spokesperson: front.spokesperson.clone(),
                        banner: front.banner.clone().map(|file| ImportFile {
                            file,
                            data: None,
                            name: None,
                            alt,
                        }),
                        attachments: front
                            .attachments
                            .iter()
                            .map(|file| ImportFile {
                                file: file.clone(),
                                data: None,
                                name: None,
                                alt: Localized::new(),
                            })
                            .collect(),
                        translations: vec![translation],
                    });
                }
                Some(r) => {
                    // The first file (by name) speaks for the release; a later one that
                    // disagrees is named rather than silently overruled.
                    if front.number.is_some() && front.number != r.number {
                        warnings.push(format!("{at}: number {:?} differs from the first file's {:?}; the first is kept", front.number, r.number));
                    }
                    if let (Some(b), Some(text)) = (&mut r.banner, &front.banner_alt) {
                        b.alt.insert(front.lang.clone(), text.clone());
                    }
                    r.translations.push(translation);
                }
            }
        }
        let release = release.ok_or_else(|| anyhow::anyhow!("release {key} has no file"))?;
        Ok(Item {
            release,
            origin,
            warnings,
        })
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder {}", dir.display()))?
    {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect(&path, out)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
    Ok(())
}

/// `367-21.en.md` → `367-21`; `367-21.md` → `367-21`.
fn release_key(file: &Path, lang: &str) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    stem.strip_suffix(&format!(".{lang}"))
        .map(str::to_owned)
        .unwrap_or(stem)
}

/// Splits a file into its front matter and its body.
fn read(file: &Path) -> anyhow::Result<(FrontMatter, String)> {
    let size = std::fs::metadata(file)?.len();
    if size > MAX_FILE_BYTES {
        bail!("the file is {size} bytes; a translation is at most {MAX_FILE_BYTES}");
    }
    let text = std::fs::read_to_string(file).context("not a UTF-8 text file")?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let (fence, toml) = if text.starts_with("+++") {
        ("+++", true)
    } else if text.starts_with("---") {
        ("---", false)
    } else {
        bail!("the file does not start with front matter (`+++` for TOML or `---` for YAML)");
    };
    let rest = &text[fence.len()..];
    let rest = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))
        .ok_or_else(|| anyhow::anyhow!("the front matter's first line must be `{fence}` alone"))?;
    let end = rest
        .match_indices(fence)
        .find(|(i, _)| *i == 0 || rest[..*i].ends_with('\n'))
        .map(|(i, _)| i)
        .ok_or_else(|| anyhow::anyhow!("the front matter is not closed by a `{fence}` line"))?;
    let matter = &rest[..end];
    let body = rest[end + fence.len()..]
        .trim_start_matches(['\r', '\n'])
        .trim_end()
        .to_owned();
    let front: FrontMatter = if toml {
        let mut table: toml::Table = toml::from_str(matter).context("the TOML front matter")?;
        // An unquoted TOML date is a datetime value; read it like the quoted text.
        if let Some(toml::Value::Datetime(d)) = table.get("date") {
            let text = d.to_string();
            table.insert("date".into(), toml::Value::String(text));
        }
        table.try_into().context("the TOML front matter")?
    } else {
        serde_saphyr::from_str(matter).map_err(|e| anyhow::anyhow!("the YAML front matter: {e}"))?
    };
    Ok((front, body))
}

/// A front matter date: RFC 3339 with an offset, a local date and time (in the site's time
/// zone), or a date alone (noon there, so the day never shifts).
fn instant(text: &str, tz: &TimeZone) -> anyhow::Result<Timestamp> {
    let text = text.trim();
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    // A date alone first: a date-time parser would read it as midnight.
    if let Some(d) = (text.len() == 10)
        .then(|| text.parse::<Date>().ok())
        .flatten()
    {
        return Ok(d.at(12, 0, 0, 0).to_zoned_datetime(tz.clone())?.timestamp());
    }
    if let Ok(dt) = text.replace(' ', "T").parse::<DateTime>() {
        return Ok(dt.to_zoned_datetime(tz.clone())?.timestamp());
    }
    bail!(
        "`{text}` is not a date: write 2021-10-04, 2021-10-04T13:30:00 or 2021-10-04T13:30:00+04:00"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn translations_of_one_release_are_grouped_from_toml_and_yaml() {
        let dir = folder(&[
            (
                "2021/367-21.en.md",
                "+++\nkind = \"press-release\"\nlang = \"en\"\nnumber = 367\ndate = 2021-10-04T13:30:00+04:00\ntitle = \"Answer\"\ntopics = [\"Foreign policy\"]\nbanner = \"b.jpg\"\nbanner_alt = \"Building\"\n+++\nThe body.\n",
            ),
            (
                "2021/367-21.ru.md",
                "---\nlang: ru\ntitle: Ответ\ndate: 2021-10-04\nbanner_alt: Здание\n---\nТекст.\n",
            ),
        ]);
        let md = MarkdownDir::open(dir.path(), "statement", TimeZone::UTC).unwrap();
        assert_eq!(md.len(), 1);
        let items: Vec<Item> = md.items().collect::<anyhow::Result<_>>().unwrap();
        let r = &items[0].release;
        assert_eq!(r.source_id, "markdown:367-21");
        assert_eq!(r.number, Some(367));
        assert_eq!(r.published_at.to_string(), "2021-10-04T09:30:00Z");
        assert_eq!(r.translations.len(), 2);
        assert_eq!(r.translations[1].body, "Текст.");
        let banner = r.banner.as_ref().unwrap();
        assert_eq!(banner.alt.get("ru").map(String::as_str), Some("Здание"));
    }

    #[test]
    fn bad_files_are_all_named() {
        let dir = folder(&[
            ("a.md", "no front matter"),
            ("b.md", "+++\nlang = \"en\"\n+++\nmissing title and date"),
            (
                "c.md",
                "---\nlang: en\ntitle: T\ndate: 2021-01-01\nunknown: 1\n---\n",
            ),
            (
                "d.md",
                "+++\nlang = \"en\"\ntitle = \"T\"\ndate = \"2021-01-01\"\n",
            ),
        ]);
        let err = MarkdownDir::open(dir.path(), "statement", TimeZone::UTC)
            .err()
            .unwrap()
            .to_string();
        for name in ["a.md", "b.md", "c.md", "d.md"] {
            assert!(err.contains(name), "{name}: {err}");
        }
        assert!(err.contains("not closed"), "{err}");
    }

    #[test]
    fn dates_are_read_in_the_site_time_zone() {
        let baku = TimeZone::get("Asia/Baku").unwrap();
        assert_eq!(
            instant("2021-10-04", &baku).unwrap().to_string(),
            "2021-10-04T08:00:00Z"
        );
        assert_eq!(
            instant("2021-10-04 13:30", &baku).unwrap().to_string(),
            "2021-10-04T09:30:00Z"
        );
        assert!(
            instant("4 October", &baku)
                .unwrap_err()
                .to_string()
                .contains("not a date")
        );
    }
}
