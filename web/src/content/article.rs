//! One article: its front matter, rendered body and the text the search index needs.

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
    pub source: std::sync::Arc<str>,
    pub front: FrontMatter,
    pub body_offset: usize,
    pub body_line: usize,
    pub warnings: Vec<FieldError>,
}

impl Draft {
    /// Splits and reads the front matter of `source` (a file at `path`).
    pub fn parse(path: &str, source: std::sync::Arc<str>) -> Result<Self, FieldError> {
        let split = frontmatter::split(&source)?;
        let (front, warnings) = frontmatter::parse(split.yaml)?;
        let body_offset = source.len() - split.body.len();
        let body_line = split.body_line;
        Ok(Self {
            path: path.to_owned(),
            front,
            body_offset,
            body_line,
            warnings,
            source,
        })
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
    pub fn render(&self, resolve: &dyn Fn(&str) -> LinkTarget) -> (Article, Vec<BrokenLink>) {
        let body = &self.source[self.body_offset..];
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
                source: self.source.clone(),
            }),
            source_hash: crate::util::short_hash(self.source.as_bytes()),
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

    #[test]
    fn slug_comes_from_path_unless_front_matter_says() {
        assert_eq!(draft("Net/My Article.md", "# x").slug(), "net/my-article");
        assert_eq!(draft("a.md", "---\nslug: Custom\n---\n").slug(), "custom");
    }

    #[test]
    fn title_falls_back_to_h1_then_file_name() {
        let (a, _) = draft("x.md", "# From H1\n\nBody.").render(&|_| LinkTarget::Keep);
        assert_eq!(a.title, "From H1");
        let html = a.body.html().unwrap();
        assert!(!html.contains("From H1"), "leading H1 is the page title: {html}");
        let (b, _) = draft("my-file.md", "Body.").render(&|_| LinkTarget::Keep);
        assert_eq!(b.title, "my file");
    }

    #[test]
    fn summary_falls_back_to_first_paragraph() {
        let long = "word ".repeat(100);
        let (a, _) = draft("x.md", &long).render(&|_| LinkTarget::Keep);
        assert!(a.summary.ends_with('…') && a.summary.chars().count() <= 201);
    }

    #[test]
    fn broken_link_lines_count_from_file_start() {
        let d = draft("x.md", "---\ntitle: T\n---\n\n[a](gone.md)\n");
        let (_, broken) = d.render(&|_| LinkTarget::Broken);
        assert_eq!(broken[0].line, 5);
    }
}
