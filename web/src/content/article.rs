//! One article: its front matter, rendered body and the text the search index needs.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::markdown::{self, BrokenLink, LinkTarget};

use super::bodies::{Body, BodyParts};
use super::frontmatter::{self, FieldError, FrontMatter};

/// A parsed, rendered article. Immutable once built.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// URL name: `/kb/{slug}`.
    pub slug: String,
    /// Permanent KB number, if any.
    pub id: Option<u32>,
    /// File path relative to the content root, `/`-separated.
    pub path: String,
    /// Page title.
    pub title: String,
    /// One-sentence summary (front matter, else the first paragraph).
    pub summary: String,
    /// Products it applies to.
    pub products: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Symptoms as users report them.
    pub symptoms: Vec<String>,
    /// First publication date.
    pub published: Option<NaiveDate>,
    /// Last technical review.
    pub reviewed: Option<NaiveDate>,
    /// Old slugs that redirect here.
    pub aliases: Vec<String>,
    /// Ids of the fixes it offers.
    pub fixes: Vec<String>,
    /// The large parts (HTML, table of contents, search text, code, headings, source), in
    /// memory or spilled to disk: read them through its accessors.
    pub body: Body,
    /// Hash of the source file, so the search index re-indexes only what changed.
    pub source_hash: String,
}

/// The first stage of parsing: front matter read, body not yet rendered (links need the
/// whole library to resolve).
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub path: String,
    text: Text,
    pub front: FrontMatter,
    pub body_offset: usize,
    pub body_line: usize,
    pub warnings: Vec<FieldError>,
    /// Lines of the front-matter keys that diagnostics point at ([`KEYS`]).
    key_lines: [Option<usize>; KEYS.len()],
}

/// Front-matter keys whose line [`Draft::line_of`] knows.
const KEYS: [&str; 3] = ["id", "aliases", "fixes"];

/// The text a draft renders from.
#[derive(Debug, Clone)]
enum Text {
    /// In memory.
    Held(Arc<str>),
    /// Read again from `file` when rendered, so that a whole folder's sources are never in
    /// memory at once; it must still hash to `digest`, the text the front matter came from.
    File { file: PathBuf, digest: [u8; 32] },
}

impl Draft {
    /// Splits and reads the front matter of `source` (a file at `path`).
    pub fn parse(path: &str, source: Arc<str>) -> Result<Self, FieldError> {
        let split = frontmatter::split(&source)?;
        let (front, warnings) = frontmatter::parse(split.yaml)?;
        let body_offset = source.len() - split.body.len();
        let body_line = split.body_line;
        let header = &source[..body_offset];
        let key_lines = KEYS.map(|key| {
            header
                .lines()
                .position(|l| {
                    l.strip_prefix(key)
                        .is_some_and(|r| r.trim_start().starts_with(':'))
                })
                .map(|i| i + 1)
        });
        Ok(Self {
            path: path.to_owned(),
            front,
            body_offset,
            body_line,
            warnings,
            key_lines,
            text: Text::Held(source),
        })
    }

    /// Lets go of the text: [`Draft::render`] reads `file` again, which must still hash to
    /// `digest` (the SHA-256 of the text this draft was parsed from).
    pub fn release(&mut self, file: PathBuf, digest: [u8; 32]) {
        self.text = Text::File { file, digest };
    }

    /// The line of front-matter key `key` (one of [`KEYS`]), if the file has it.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        KEYS.iter()
            .position(|k| *k == key)
            .and_then(|i| self.key_lines[i])
    }

    /// The text the front matter was read from; an error if the file has changed or gone
    /// since (the watcher then loads the folder again).
    pub fn text(&self) -> io::Result<Arc<str>> {
        match &self.text {
            Text::Held(text) => Ok(text.clone()),
            Text::File { file, digest } => {
                let text = std::fs::read_to_string(file)?;
                if crate::util::sha256(text.as_bytes()) != *digest {
                    return Err(io::Error::other("the file changed while the folder was loading"));
                }
                Ok(text.into())
            }
        }
    }

    /// The article's slug: front matter `slug`, else derived from the path.
    pub fn slug(&self) -> String {
        self.front
            .slug
            .as_deref()
            .map(|s| s.trim_matches('/').to_lowercase().replace(' ', "-"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| slug_from_path(&self.path))
    }

    /// Renders the body; returns the article and the links that point nowhere (lines are
    /// relative to the whole file).
    /// `source` is [`Draft::text`].
    pub fn render(
        &self,
        source: Arc<str>,
        resolve: &dyn Fn(&str) -> LinkTarget,
    ) -> (Article, Vec<BrokenLink>) {
        let body = &source[self.body_offset..];
        let rendered = markdown::render(body, resolve);
        let fm = &self.front;
        let title = fm
            .title
            .clone()
            .or_else(|| rendered.h1.clone())
            .unwrap_or_else(|| file_stem(&self.path));
        let summary = fm
            .summary
            .clone()
            .unwrap_or_else(|| first_sentences(&rendered.first_paragraph, 200));
        let broken = rendered
            .broken_links
            .iter()
            .map(|b| BrokenLink {
                line: b.line + self.body_line - 1,
                dest: b.dest.clone(),
            })
            .collect();
        let article = Article {
            slug: self.slug(),
            id: fm.id,
            path: self.path.clone(),
            title,
            summary,
            products: fm.products.clone(),
            tags: fm.tags.clone(),
            symptoms: fm.symptoms.clone(),
            published: fm.published,
            reviewed: fm.reviewed,
            aliases: fm
                .aliases
                .iter()
                .map(|a| a.trim_matches('/').to_lowercase())
                .collect(),
            fixes: fm.fixes.clone(),
            body: Body::new(BodyParts {
                html: rendered.html,
                toc: rendered.toc,
                text: rendered.text,
                code: rendered.code,
                headings: rendered.headings,
                source: source.clone(),
            }),
            source_hash: crate::util::short_hash(source.as_bytes()),
        };
        (article, broken)
    }
}

/// The slug for a file path: without `.md`, lower-cased, spaces to `-`, folders kept.
pub fn slug_from_path(path: &str) -> String {
    let stem = path
        .strip_suffix(".md")
        .or_else(|| path.strip_suffix(".MD"))
        .unwrap_or(path);
    stem.replace('\\', "/").to_lowercase().replace(' ', "-")
}

fn file_stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".md").unwrap_or(name).replace(['-', '_'], " ")
}

/// The first sentences of `text` up to about `max` characters, cut at a word boundary.
fn first_sentences(text: &str, max: usize) -> String {
    let para = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    if para.chars().count() <= max {
        return para.to_owned();
    }
    let cut: String = para.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(path: &str, src: &str) -> Draft {
        Draft::parse(path, src.into()).unwrap()
    }

    fn render(d: &Draft, resolve: &dyn Fn(&str) -> LinkTarget) -> (Article, Vec<BrokenLink>) {
        d.render(d.text().unwrap(), resolve)
    }

    #[test]
    fn slug_comes_from_path_unless_front_matter_says() {
        assert_eq!(draft("Net/My Article.md", "# x").slug(), "net/my-article");
        assert_eq!(draft("a.md", "---\nslug: Custom\n---\n").slug(), "custom");
    }

    #[test]
    fn title_falls_back_to_h1_then_file_name() {
        let (a, _) = render(&draft("x.md", "# From H1\n\nBody."), &|_| LinkTarget::Keep);
        assert_eq!(a.title, "From H1");
        let html = a.body.html().unwrap();
        assert!(!html.contains("From H1"), "leading H1 is the page title: {html}");
        let (b, _) = render(&draft("my-file.md", "Body."), &|_| LinkTarget::Keep);
        assert_eq!(b.title, "my file");
    }

    #[test]
    fn summary_falls_back_to_first_paragraph() {
        let long = "word ".repeat(100);
        let (a, _) = render(&draft("x.md", &long), &|_| LinkTarget::Keep);
        assert!(a.summary.ends_with('…') && a.summary.chars().count() <= 201);
    }

    #[test]
    fn broken_link_lines_count_from_file_start() {
        let d = draft("x.md", "---\ntitle: T\n---\n\n[a](gone.md)\n");
        let (_, broken) = render(&d, &|_| LinkTarget::Broken);
        assert_eq!(broken[0].line, 5);
    }

    #[test]
    fn a_released_draft_reads_its_file_again_and_notices_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.md");
        let text = "---\ntitle: T\nid: 7\n---\nFirst version.\n";
        std::fs::write(&file, text).unwrap();
        let mut d = draft("x.md", text);
        assert_eq!(d.line_of("id"), Some(3));
        assert_eq!(d.line_of("fixes"), None);
        d.release(file.clone(), crate::util::sha256(text.as_bytes()));
        let (a, _) = render(&d, &|_| LinkTarget::Keep);
        assert!(a.body.html().unwrap().contains("First version."));
        std::fs::write(&file, text.replace("First", "Second")).unwrap();
        let e = d.text().unwrap_err();
        assert!(
            e.to_string().contains("changed while the folder was loading"),
            "{e}"
        );
        std::fs::remove_file(&file).unwrap();
        assert_eq!(d.text().unwrap_err().kind(), io::ErrorKind::NotFound);
    }
}
