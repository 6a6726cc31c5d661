//! Markdown to HTML: the one place pulldown-cmark options live.
//!
//! Besides the HTML, rendering collects what the rest of the site needs from the body: the
//! table of contents (h2/h3), all heading texts, plain text and code for the search index, and
//! the problems with relative links. Headings get GitHub-style ids (`{#id}` wins) and a visible
//! self-link; GitHub alerts become callouts; fenced code is highlighted; raw HTML is sanitized.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use pulldown_cmark::{BlockQuoteKind, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::highlight::{code_block, escape_html};

/// One entry of an article's table of contents.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TocEntry {
    /// 2 or 3.
    pub level: u8,
    /// The heading's id (the fragment to link to).
    pub id: String,
    /// The heading's plain text.
    pub text: String,
}

/// What a relative link points at, as decided by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// Not ours to change (absolute URL, anchor, non-markdown file).
    Keep,
    /// A markdown file that exists: replace the link with this URL.
    Rewrite(String),
    /// A markdown file that does not exist.
    Broken,
}

/// A link to a markdown file that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// 1-based line within the rendered markdown.
    pub line: usize,
    /// The link as written.
    pub dest: String,
}

/// The result of rendering one markdown body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    /// Sanitized HTML.
    pub html: String,
    /// h2 and h3 headings.
    pub toc: Vec<TocEntry>,
    /// The text of the first `# H1`, if any.
    pub h1: Option<String>,
    /// Every heading's text.
    pub headings: Vec<String>,
    /// Plain prose text (no code).
    pub text: String,
    /// The plain text of the first paragraph (a fallback summary).
    pub first_paragraph: String,
    /// The contents of code blocks and inline code.
    pub code: String,
    /// Relative markdown links that point nowhere.
    pub broken_links: Vec<BrokenLink>,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// Renders `src` to HTML. `resolve` decides what each link destination becomes.
pub fn render(src: &str, resolve: &dyn Fn(&str) -> LinkTarget) -> Rendered {
    let mut out = Rendered::default();
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut ids = IdAllocator::default();
    let mut heading: Option<(u8, Option<String>, Vec<Event<'_>>)> = None;
    let mut code: Option<(String, String)> = None;
    // None: no paragraph yet; Some(true): inside the first; Some(false): past it.
    let mut paragraph: Option<bool> = None;
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(src.match_indices('\n').map(|(i, _)| i + 1))
        .collect();

    for (event, range) in Parser::new_ext(src, options()).into_offset_iter() {
        if let Some((lang, buf)) = code.as_mut() {
            match event {
                Event::Text(t) => buf.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    out.code.push_str(buf);
                    out.code.push('\n');
                    events.push(Event::Html(code_block(buf, lang).into()));
                    code = None;
                }
                _ => {}
            }
            continue;
        }
        let event = match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_owned(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
                continue;
            }
            Event::Start(Tag::Heading { level, id, .. }) => {
                heading = Some((level as u8, id.map(|i| i.to_string()), Vec::new()));
                continue;
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, custom, inner)) = heading.take() {
                    // A leading `# H1` is the page title, which the page shows itself.
                    let is_title = level == 1 && out.h1.is_none() && events.is_empty();
                    let html = finish_heading(level, custom, inner, &mut ids, &mut out);
                    if !is_title {
                        events.push(Event::Html(html.into()));
                    }
                }
                continue;
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let (class, title) = alert(kind);
                Event::Html(
                    format!("<div class=\"callout callout-{class}\" role=\"note\"><p class=\"callout-title\">{title}</p>\n").into(),
                )
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => Event::Html("</div>\n".into()),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = match resolve(&dest_url) {
                    LinkTarget::Keep => dest_url,
                    LinkTarget::Rewrite(url) => CowStr::from(url),
                    LinkTarget::Broken => {
                        let line = line_starts.partition_point(|&s| s <= range.start);
                        out.broken_links.push(BrokenLink {
                            line,
                            dest: dest_url.to_string(),
                        });
                        dest_url
                    }
                };
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::Code(ref c) => {
                out.code.push_str(c);
                out.code.push('\n');
                // Inline code is part of the sentence: snippets and summaries need it too.
                out.text.push_str(c);
                if paragraph == Some(true) {
                    out.first_paragraph.push_str(c);
                }
                event
            }
            Event::Text(ref t) => {
                out.text.push_str(t);
                if paragraph == Some(true) {
                    out.first_paragraph.push_str(t);
                }
                event
            }
            Event::Start(Tag::Paragraph) => {
                if paragraph.is_none() {
                    paragraph = Some(true);
                }
                event
            }
            Event::SoftBreak | Event::HardBreak => {
                out.text.push(' ');
                if paragraph == Some(true) {
                    out.first_paragraph.push(' ');
                }
                event
            }
            Event::End(TagEnd::Paragraph) => {
                if paragraph == Some(true) {
                    paragraph = Some(false);
                }
                out.text.push('\n');
                event
            }
            Event::End(TagEnd::Item | TagEnd::TableCell) => {
                out.text.push('\n');
                event
            }
            other => other,
        };
        match heading.as_mut() {
            Some((_, _, inner)) => inner.push(event),
            None => events.push(event),
        }
    }
    let mut html = String::with_capacity(src.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    out.html = sanitizer().clean(&html).to_string();
    out
}

fn alert(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

fn finish_heading(
    level: u8,
    custom: Option<String>,
    inner: Vec<Event<'_>>,
    ids: &mut IdAllocator,
    out: &mut Rendered,
) -> String {
    let text = inner
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect::<String>()
        .trim()
        .to_owned();
    let mut inner_html = String::new();
    pulldown_cmark::html::push_html(&mut inner_html, inner.into_iter());
    out.headings.push(text.clone());
    if level == 1 && out.h1.is_none() {
        out.h1 = Some(text.clone());
    }
    let id = ids.allocate(custom.as_deref(), &text);
    if level == 2 || level == 3 {
        out.toc.push(TocEntry {
            level,
            id: id.clone(),
            text: text.clone(),
        });
    }
    out.text.push('\n');
    let label = escape_html(&format!("Link to this section: {text}"));
    format!(
        "<h{level} id=\"{id}\">{inner_html} <a class=\"heading-link\" href=\"#{id}\" aria-label=\"{label}\">#</a></h{level}>\n",
        id = escape_html(&id),
    )
}

/// Hands out unique heading ids the way GitHub does (`intro`, `intro-1`, …).
#[derive(Default)]
struct IdAllocator {
    used: HashSet<String>,
    counts: HashMap<String, usize>,
}

impl IdAllocator {
    fn allocate(&mut self, custom: Option<&str>, text: &str) -> String {
        if let Some(custom) = custom.filter(|c| !c.is_empty()) {
            self.used.insert(custom.to_owned());
            return custom.to_owned();
        }
        let base = slugify_heading(text);
        let base = if base.is_empty() {
            "section".to_owned()
        } else {
            base
        };
        loop {
            let n = self.counts.entry(base.clone()).or_insert(0);
            let candidate = if *n == 0 {
                base.clone()
            } else {
                format!("{base}-{n}")
            };
            *n += 1;
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

/// GitHub's heading anchor rule: lower-case, drop punctuation except `-` and `_`, spaces to `-`.
pub fn slugify_heading(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_generic_attributes(["class", "id", "role", "aria-label", "data-lang"])
            .add_tags(["input"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .add_tag_attributes("ol", ["start"])
            .link_rel(None);
        b
    })
}

#[cfg(test)]
mod tests;
