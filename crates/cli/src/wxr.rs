//! WordPress exports (WXR 1.1/1.2, Tools → Export) as [`ImportRelease`]s, for
//! `pressroom import wxr FILE`. The file is read twice, as a stream: the first pass keeps only
//! small maps (attachments, Polylang translation groups, counts), the second yields one
//! release at a time, so a 1 GB export never sits in memory. Posts of one Polylang group
//! become one release with a translation per language; a group is held only until its last
//! member has been read.

mod html;
mod post;
mod scan;
#[cfg(test)]
mod tests;
mod tokens;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

use pressroom_core::import::{ImportRelease, NumberPattern};

use self::post::{Member, merge};
use self::scan::{Item, Node, Scanner, php_string_int_map};

/// What the export itself does not say.
#[derive(Debug, Clone)]
pub struct WxrOptions {
    /// The language of posts the export gives none for (no Polylang).
    pub lang: String,
    /// The kind every post becomes (`press-release`).
    pub kind: String,
    /// How the old headlines carry their numbers.
    pub pattern: NumberPattern,
    /// A local copy of `wp-content/uploads`: files are read from it instead of the old site.
    pub uploads: Option<PathBuf>,
}

/// Why an export cannot be read. Each message names the place and what to do.
#[derive(Debug, thiserror::Error)]
pub enum WxrError {
    /// The file cannot be opened or read.
    #[error("cannot read {path}: {source}")]
    Open {
        /// The export.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The XML is broken.
    #[error(
        "{path} is not valid XML at line {line} (byte {offset}): {message}. Export it again from WordPress (Tools → Export), or repair that line"
    )]
    Xml {
        /// The export.
        path: PathBuf,
        /// Line of the error, from 1.
        line: u64,
        /// Byte offset of the error.
        offset: u64,
        /// The parser's words.
        message: String,
    },
    /// The file stops in the middle.
    #[error(
        "{path} ends at line {line} (byte {offset}) inside <{element}> opened at line {opened}: the file was cut short (an interrupted download or copy). Export it again, or copy the whole file"
    )]
    Truncated {
        /// The export.
        path: PathBuf,
        /// Its last line.
        line: u64,
        /// Its length.
        offset: u64,
        /// The element left open.
        element: String,
        /// Where that element opened.
        opened: u64,
    },
    /// An XML file, but not a WordPress export.
    #[error(
        "{path} is not a WordPress export (WXR): {found}. In WordPress, use Tools → Export → All content and give that file"
    )]
    NotWxr {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        found: String,
    },
    /// The export is not in UTF-8.
    #[error(
        "{path} is encoded in {encoding}; Pressroom reads UTF-8 exports. Convert it first: iconv -f {encoding} -t UTF-8 FILE > FILE.utf8.xml (and change the encoding in its first line)"
    )]
    Encoding {
        /// The export.
        path: PathBuf,
        /// The encoding its XML declaration names.
        encoding: String,
    },
    /// One post cannot become a release; the others still can.
    #[error("{origin}: {message}")]
    Post {
        /// `post 123 (line 456)`.
        origin: String,
        /// What is wrong and what to do.
        message: String,
    },
}

impl WxrError {
    /// Whether reading stops here: every error but one post's.
    pub fn is_fatal(&self) -> bool {
        !matches!(self, WxrError::Post { .. })
    }
}

/// One release read from the export.
#[derive(Debug)]
pub struct WxrRead {
    /// The release, ready for the store.
    pub release: ImportRelease,
    /// Where it came from, for messages: `post 123 (line 456)`.
    pub origin: String,
    /// What was changed or left out on the way, for the import's report.
    pub warnings: Vec<String>,
}

/// What the export held besides the releases, for the import's summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WxrCounts {
    /// Published posts (several in one translation group count once in [`Wxr::len`]).
    pub posts: usize,
    /// Posts not published: drafts, pending, private, scheduled.
    pub unpublished: usize,
    /// Posts in the trash.
    pub trash: usize,
    /// Revisions.
    pub revisions: usize,
    /// Navigation menu items.
    pub menu_items: usize,
    /// Pages, which Pressroom has no import for yet.
    pub pages: usize,
    /// Attachments (files), used as banners and attachments.
    pub attachments: usize,
    /// Any other post type (custom types, reusable blocks, templates).
    pub other: usize,
}

/// An attachment item: what a post's banner or attachments need from it.
#[derive(Debug)]
struct Attachment {
    url: String,
    alt: String,
    parent: u64,
    title: String,
}

/// A Polylang translation group: its publishable members, by post id.
#[derive(Debug, Default)]
struct Group {
    members: Vec<u64>,
}

/// The reader. [`open`] does the first pass; iterating does the second.
pub struct Wxr {
    scanner: Scanner,
    options: WxrOptions,
    links: html::Links,
    attachments: HashMap<u64, Attachment>,
    children: HashMap<u64, Vec<u64>>,
    /// Post id → its group's key, for posts in a group of two or more.
    group_of: HashMap<u64, String>,
    groups: HashMap<String, Group>,
    /// Post id → language, from Polylang's group descriptions.
    lang_of: HashMap<u64, String>,
    pending: HashMap<String, Vec<Member>>,
    ready: VecDeque<Result<WxrRead, WxrError>>,
    releases: usize,
    counts: WxrCounts,
    done: bool,
}

/// Opens an export and reads it once for its maps and counts.
pub fn open(path: &Path, options: WxrOptions) -> Result<Wxr, WxrError> {
    let mut first = Scanner::open(path)?;
    let mut counts = WxrCounts::default();
    let mut attachments = HashMap::new();
    let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut base = None;
    let mut descriptions: Vec<(String, String)> = Vec::new();
    let mut post_groups: Vec<(u64, Option<String>)> = Vec::new();
    while let Some(node) = first.next_node()? {
        match node {
            Node::BaseUrl(url) => base = url::Url::parse(&url).ok(),
            Node::Term(t) if t.taxonomy == "post_translations" => {
                descriptions.push((t.slug, t.description));
            }
            Node::Term(_) => {}
            Node::Item(item) => match classify(&item) {
                Class::Release => {
                    counts.posts += 1;
                    post_groups.push((item.post_id, category(&item, "post_translations")));
                }
                Class::Attachment => {
                    counts.attachments += 1;
                    children
                        .entry(item.post_parent)
                        .or_default()
                        .push(item.post_id);
                    attachments.insert(
                        item.post_id,
                        Attachment {
                            url: item.attachment_url.clone(),
                            alt: tokens::plain(
                                item.meta("_wp_attachment_image_alt").unwrap_or_default(),
                            ),
                            parent: item.post_parent,
                            title: item.title.trim().to_owned(),
                        },
                    );
                }
                Class::Unpublished => counts.unpublished += 1,
                Class::Trash => counts.trash += 1,
                Class::Revision => counts.revisions += 1,
                Class::MenuItem => counts.menu_items += 1,
                Class::Page => counts.pages += 1,
                Class::Other => counts.other += 1,
            },
        }
    }
    // Polylang's group term lists its members as a PHP array (`a:2:{s:2:"en";i:12;…}`); a
    // post without its group category is found through it.
    let mut lang_of = HashMap::new();
    let mut listed: HashMap<u64, String> = HashMap::new();
    for (slug, description) in descriptions {
        for (lang, id) in php_string_int_map(&description).unwrap_or_default() {
            lang_of.insert(id, lang);
            listed.insert(id, slug.clone());
        }
    }
    let mut groups: HashMap<String, Group> = HashMap::new();
    for (id, group) in &post_groups {
        if let Some(g) = group.clone().or_else(|| listed.get(id).cloned()) {
            groups.entry(g).or_default().members.push(*id);
        }
    }
    groups.retain(|_, g| g.members.len() > 1);
    let mut group_of = HashMap::new();
    for (key, g) in &groups {
        for id in &g.members {
            group_of.insert(*id, key.clone());
        }
    }
    let releases = counts.posts - groups.values().map(|g| g.members.len() - 1).sum::<usize>();
    let mut scanner = Scanner::open(path)?;
    scanner.want_text = true;
    Ok(Wxr {
        scanner,
        options,
        links: html::Links {
            base_host: base.and_then(|b| b.host_str().map(str::to_owned)),
        },
        attachments,
        children,
        group_of,
        groups,
        lang_of,
        pending: HashMap::new(),
        ready: VecDeque::new(),
        releases,
        counts,
        done: false,
    })
}

impl Wxr {
    /// How many releases the iteration yields (a translation group is one), for a progress
    /// bar. A post that cannot be read is an error item in their place.
    pub fn len(&self) -> usize {
        self.releases
    }

    /// Whether the export holds no release at all.
    pub fn is_empty(&self) -> bool {
        self.releases == 0
    }

    /// What the export held, releases and skipped items alike.
    pub fn counts(&self) -> &WxrCounts {
        &self.counts
    }
}

impl Iterator for Wxr {
    type Item = Result<WxrRead, WxrError>;

    /// The next release. An `Err(WxrError::Post)` concerns one post and the iteration goes
    /// on; any other error ends it.
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(ready) = self.ready.pop_front() {
                return Some(ready);
            }
            if self.done {
                return None;
            }
            match self.scanner.next_node() {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(None) => {
                    self.done = true;
                    // Groups left incomplete (the file changed between the passes) are
                    // given as they are.
                    let mut rest: Vec<Vec<Member>> = self.pending.drain().map(|(_, m)| m).collect();
                    rest.sort_by_key(|m| m.first().map(|m| m.line));
                    for members in rest {
                        self.ready.push_back(Ok(merge(members, &self.options.kind)));
                    }
                }
                Ok(Some(Node::Item(item))) if classify(&item) == Class::Release => {
                    self.take(*item);
                }
                Ok(Some(_)) => {}
            }
        }
    }
}

impl Wxr {
    /// Reads one post and releases it, or holds it until the rest of its group is read. A
    /// member that cannot be read is no longer waited for.
    fn take(&mut self, item: Item) {
        let key = self.group_of.get(&item.post_id).cloned();
        let member = match self.member(&item) {
            Ok(m) => Some(m),
            Err(e) => {
                self.ready.push_back(Err(e));
                None
            }
        };
        let Some(key) = key else {
            if let Some(member) = member {
                self.ready
                    .push_back(Ok(merge(vec![member], &self.options.kind)));
            }
            return;
        };
        let group = self.groups.entry(key.clone()).or_default();
        if member.is_none() {
            group.members.retain(|id| *id != item.post_id);
        }
        let wanted = group.members.len();
        let members = self.pending.entry(key.clone()).or_default();
        members.extend(member);
        if members.len() >= wanted {
            let members = self.pending.remove(&key).unwrap_or_default();
            if !members.is_empty() {
                self.ready.push_back(Ok(merge(members, &self.options.kind)));
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Class {
    Release,
    Attachment,
    Unpublished,
    Trash,
    Revision,
    MenuItem,
    Page,
    Other,
}

fn classify(item: &Item) -> Class {
    match (item.post_type.as_str(), item.status.as_str()) {
        ("post", "publish") => Class::Release,
        ("post", "trash") => Class::Trash,
        ("post", _) => Class::Unpublished,
        ("attachment", _) => Class::Attachment,
        ("revision", _) => Class::Revision,
        ("nav_menu_item", _) => Class::MenuItem,
        ("page", _) => Class::Page,
        _ => Class::Other,
    }
}

fn category(item: &Item, domain: &str) -> Option<String> {
    item.categories
        .iter()
        .find(|c| c.domain == domain && !c.nicename.is_empty())
        .map(|c| c.nicename.clone())
}
