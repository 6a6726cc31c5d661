//! The snippet of a hit: the passage that matches the most query terms, HTML-escaped, with
//! each match in `<mark>`.

use std::ops::Range;

use foldhash::HashSet;
use memchr::memmem::Finder;

pub use self::kept::Kept;
use self::kept::Prepared;
use crate::content::Article;
use crate::highlight::escape_html as escape;

mod kept;

/// Terms to mark, as the analyzers produce them.
#[derive(Debug, Clone, Default)]
pub struct Highlight {
    /// Stemmed prose terms.
    pub prose: HashSet<String>,
    /// Whole identifiers (code analyzer).
    pub code: HashSet<String>,
}

/// Longest snippet, in characters, before it is cut around its first match.
const MAX_CHARS: usize = 240;
/// A passage with its score and the byte spans to mark.
type Scored<'a> = (usize, Vec<(usize, usize)>, &'a str);

/// Passages analysed per hit, after the cheap pre-ranking.
const ANALYSED: usize = 3;
/// Characters kept before the first match when cutting.
const LEAD_CHARS: usize = 60;

/// Snippets for one search's hits: its terms, and what snippets keep across searches.
pub struct Snippeter<'h> {
    highlight: &'h Highlight,
    needles: Needles,
    kept: &'h Kept,
}

impl<'h> Snippeter<'h> {
    /// Snippets marking `highlight`, reading and keeping articles' passages in `kept`.
    pub fn new(highlight: &'h Highlight, kept: &'h Kept) -> Self {
        Self {
            highlight,
            needles: Needles::new(&highlight.needles()),
            kept,
        }
    }

    /// The best passage of `article` (its summary when nothing matches).
    pub fn snippet(&mut self, article: &Article) -> String {
        let needles = &self.needles;
        let prepared = self.kept.text(article);
        // Analysing passages is the slow part of a snippet: rank them first by how many terms
        // they may contain (substring tests on a lower-case copy), then analyse the best few
        // that could still beat the best so far.
        let short = article
            .symptoms
            .iter()
            .chain(std::iter::once(&article.summary))
            .zip(&prepared.short)
            .filter(|(p, _)| !p.trim().is_empty())
            .map(|(p, lower)| (p.as_str(), needles.terms_within(lower)));
        let mut candidates: Vec<(usize, usize, &str)> = short
            .chain(body_passages(&prepared, needles))
            .enumerate()
            .map(|(i, (p, terms))| (terms, i, p))
            .filter(|(n, _, _)| *n > 0)
            .collect();
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut best: Option<Scored<'_>> = None;
        for (terms, _, passage) in candidates.into_iter().take(ANALYSED) {
            if best
                .as_ref()
                .is_some_and(|(s, _, _)| score_of(terms, MAX_SPANS) <= *s)
            {
                break;
            }
            let (score, spans) = self.matches(passage);
            if score > 0 && best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                best = Some((score, spans, passage));
            }
        }
        match best {
            Some((_, spans, passage)) => render(passage, &spans),
            None => escape(&cut(&article.summary, 0)),
        }
    }

    /// Score (distinct terms matter most) and byte spans of matches in `passage`.
    fn matches(&self, passage: &str) -> (usize, Vec<(usize, usize)>) {
        let highlight = self.highlight;
        let words = self.kept.words(passage);
        let mut spans = Vec::new();
        // Distinct terms matched: a handful, so a list beats a set.
        let mut distinct: Vec<&str> = Vec::new();
        for token in &words.tokens {
            let word = words.word(token);
            let terms = if token.code {
                &highlight.code
            } else {
                &highlight.prose
            };
            if terms.contains(word) {
                spans.push((token.from as usize, token.to as usize));
                if !distinct.contains(&word) {
                    distinct.push(word);
                }
            }
        }
        spans.sort_unstable();
        (score_of(distinct.len(), spans.len()), spans)
    }
}

impl Highlight {
    /// Lower-case substrings every match contains: a stem without its last letter (stems
    /// end differently from the word: `happi`/`happy`, `lose`/`losing`), or a whole identifier.
    /// Each with the number of terms it stands for (stems can share one).
    fn needles(&self) -> Vec<(String, usize)> {
        let stems = self.prose.iter().map(|t| {
            let keep = if t.chars().count() >= 4 {
                t.chars().count() - 1
            } else {
                t.chars().count()
            };
            t.chars().take(keep.min(6)).collect::<String>()
        });
        let mut needles: Vec<String> = stems
            .chain(self.code.iter().cloned())
            .filter(|n| !n.is_empty())
            .collect();
        needles.sort();
        let mut counted: Vec<(String, usize)> = Vec::new();
        for needle in needles {
            match counted.last_mut() {
                Some((last, n)) if *last == needle => *n += 1,
                _ => counted.push((needle, 1)),
            }
        }
        counted
    }
}

/// The passages of a body (see [`Prepared`]) that may contain a highlight term, each with the
/// most it can contain ([`Needles::terms_within`] of its lower-case form). When the text is
/// ASCII, lower-casing keeps every byte offset: the needles are then found in one pass over the
/// whole body, and each passage counts those within it.
fn body_passages<'p>(prepared: &'p Prepared, needles: &Needles) -> Vec<(&'p str, usize)> {
    let mut out = Vec::new();
    match &prepared.lower {
        Some(lower) => {
            // Every needle's every occurrence, in order of where it starts.
            let found = needles.occurrences(lower);
            let mut first = 0;
            for range in &prepared.passages {
                let (from, to) = (range.start as usize, range.end as usize);
                while found.get(first).is_some_and(|f| f.0 < from) {
                    first += 1;
                }
                let within = found[first..]
                    .iter()
                    .take_while(|f| f.0 < to)
                    .filter(|f| f.1 <= to);
                let terms = needles.terms_of(within.map(|f| f.2));
                if terms > 0 {
                    out.push((prepared.passage(range), terms));
                }
            }
        }
        None => {
            for (range, lower) in prepared.passages.iter().zip(&prepared.lowers) {
                let terms = needles.terms_within(lower);
                if terms > 0 {
                    out.push((prepared.passage(range), terms));
                }
            }
        }
    }
    out
}

/// A search's needles ([`Highlight::needles`]), each with its searcher built once:
/// `str::contains` prepares its search on every call.
struct Needles(Vec<(Finder<'static>, usize)>);

impl Needles {
    fn new(needles: &[(String, usize)]) -> Self {
        Self(
            needles
                .iter()
                .map(|(n, terms)| (Finder::new(n.as_bytes()).into_owned(), *terms))
                .collect(),
        )
    }

    /// The most highlight terms a passage whose lower-case form is `lower` can contain (a
    /// term's needle must be in it).
    fn terms_within(&self, lower: &str) -> usize {
        self.0
            .iter()
            .filter(|(n, _)| n.find(lower.as_bytes()).is_some())
            .map(|(_, terms)| terms)
            .sum()
    }

    /// Every occurrence of every needle in `lower` as (start, end, needle), by start: each
    /// needle searched for once in the whole text (overlapping occurrences included), instead
    /// of in each line and then each sentence (4% of the snippets' instructions on the load mix).
    fn occurrences(&self, lower: &str) -> Vec<(usize, usize, usize)> {
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        let bytes = lower.as_bytes();
        for (i, (needle, _)) in self.0.iter().enumerate() {
            let len = needle.needle().len();
            let mut from = 0;
            while let Some(at) = bytes.get(from..).and_then(|rest| needle.find(rest)) {
                found.push((from + at, from + at + len, i));
                from += at + 1;
            }
        }
        found.sort_unstable();
        found
    }

    /// The terms the distinct needles of `found` (indexes) stand for.
    fn terms_of(&self, found: impl Iterator<Item = usize>) -> usize {
        let mut seen: Vec<usize> = found.collect();
        seen.sort_unstable();
        seen.dedup();
        seen.iter()
            .filter_map(|&i| self.0.get(i))
            .map(|(_, terms)| terms)
            .sum()
    }
}

/// Spans beyond this many add nothing to a passage's score.
const MAX_SPANS: usize = 9;

/// A passage's score: distinct terms matter most, then how many matches.
fn score_of(distinct: usize, spans: usize) -> usize {
    distinct * 10 + spans.min(MAX_SPANS)
}

/// `text` in lower case (ASCII text byte by byte, faster than `to_lowercase`).
fn lowercase(text: &str) -> String {
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.to_lowercase()
    }
}

/// A long line split into passages of whole sentences, each at most about [`MAX_CHARS`].
fn sentences_within(line: &str) -> Vec<Range<usize>> {
    if line.len() <= MAX_CHARS {
        return std::iter::once(0..line.len()).collect();
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut last_end = 0;
    // Bytes, not characters: the ends are ASCII, and decoding characters was a quarter of a
    // snippet's time. Lengths are compared in bytes (shorter passages for non-ASCII text).
    for (i, b) in line.bytes().enumerate() {
        if matches!(b, b'.' | b'!' | b'?' | b';') {
            let end = i + 1;
            if end - start > MAX_CHARS && last_end > start {
                out.push(start..last_end);
                start = last_end;
            }
            last_end = end;
        }
    }
    out.push(start..line.len());
    out
}

/// The passage with spans marked, cut to about [`MAX_CHARS`] around the first match.
fn render(passage: &str, spans: &[(usize, usize)]) -> String {
    let first = spans.first().map_or(0, |s| s.0);
    let (start, end) = window(passage, first);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for &(from, to) in spans {
        if from < at || to > end {
            continue;
        }
        out.push_str(&escape(&passage[at..from]));
        out.push_str("<mark>");
        out.push_str(&escape(&passage[from..to]));
        out.push_str("</mark>");
        at = to;
    }
    out.push_str(&escape(&passage[at..end]));
    if end < passage.len() {
        out.push('…');
    }
    out.trim().to_owned()
}

/// Byte range of at most [`MAX_CHARS`] characters that starts a little before `first`, on
/// word boundaries.
fn window(text: &str, first: usize) -> (usize, usize) {
    if text.chars().count() <= MAX_CHARS {
        return (0, text.len());
    }
    let mut start = first.saturating_sub(LEAD_CHARS);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    if start > 0 {
        start = text[start..first].find(' ').map_or(start, |i| start + i + 1);
    }
    let end = text[start..]
        .char_indices()
        .nth(MAX_CHARS)
        .map_or(text.len(), |(i, _)| start + i);
    let end = if end < text.len() {
        text[start..end].rfind(' ').map_or(end, |i| start + i)
    } else {
        end
    };
    (start, end.max(start))
}

fn cut(text: &str, first: usize) -> String {
    let (start, end) = window(text, first);
    let mut out = text[start..end].to_owned();
    if end < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn analysed_passages_are_kept_stemmed_and_checked_against_their_text() {
        let kept = Kept::default();
        let passage = "Disable TCP offloading on the adapter (netsh int tcp).";
        let words = kept.words(passage);
        assert!(Arc::ptr_eq(&words, &kept.words(passage)), "kept");
        let forms: Vec<(&str, &str, bool)> = words
            .tokens
            .iter()
            .map(|t| (&passage[t.from as usize..t.to as usize], words.word(t), t.code))
            .collect();
        assert!(forms.contains(&("offloading", "offload", false)), "{forms:?}");
        assert!(forms.contains(&("netsh", "netsh", true)), "{forms:?}");
        assert!(
            !forms.iter().any(|f| f.0 == "the" && !f.2),
            "stop words cannot match: {forms:?}"
        );
        // Another passage's words kept under this passage's key (a hash collision) are not
        // taken for its own.
        let other = "Nothing alike here.";
        kept.insert_words(other, words.clone());
        assert_eq!(kept.words(other).passage(), other);
        // Marks are those of a fresh analysis, kept or not.
        let highlight = Highlight {
            prose: ["offload".to_owned()].into_iter().collect(),
            code: ["netsh".to_owned()].into_iter().collect(),
        };
        let off = Kept::new(0, 0);
        let fresh = Snippeter::new(&highlight, &off).matches(passage);
        let again = Snippeter::new(&highlight, &kept).matches(passage);
        assert_eq!(fresh, again);
        assert_eq!(fresh.1.len(), 2, "{fresh:?}");
    }

    #[test]
    fn render_escapes_everything_but_marks() {
        let text = "a <b> & c";
        let html = render(text, &[(2, 5)]);
        assert_eq!(html, "a <mark>&lt;b&gt;</mark> &amp; c");
    }

    #[test]
    fn long_passages_are_cut_around_the_first_match() {
        let text = format!("{} needle {}", "word ".repeat(100), "tail ".repeat(100));
        let at = text.find("needle").unwrap_or(0);
        let html = render(&text, &[(at, at + 6)]);
        assert!(html.starts_with('…') && html.ends_with('…'), "{html}");
        assert!(html.contains("<mark>needle</mark>"));
        assert!(html.chars().count() < MAX_CHARS + 20);
    }

    #[test]
    fn body_passages_keep_the_lines_with_a_needle_and_count_their_terms() {
        let needles = Needles::new(&[("offload".to_owned(), 1), ("tcp".to_owned(), 2)]);
        let prepared = |text: &str| Prepared::new("a".into(), text.into(), Vec::new());
        let text = prepared("First line.\nDisable TCP Offload here.\r\n \nNothing.\nOFFLOAD again");
        assert!(text.lower.is_some());
        let ascii = body_passages(&text, &needles);
        assert_eq!(ascii, [("Disable TCP Offload here.", 3), ("OFFLOAD again", 1)]);
        // A text that is not ASCII is lower-cased passage by passage.
        let text = prepared("Größe.\nÜBER Offload");
        assert!(text.lower.is_none());
        assert_eq!(body_passages(&text, &needles), [("ÜBER Offload", 1)]);
    }

    #[test]
    fn needles_found_in_one_pass_count_as_each_passage_searched_alone() {
        // Needles that overlap, contain each other and repeat, in long lines cut into sentences
        // and short ones: each passage's count must be the count of searching it on its own.
        let needles = Needles::new(&[
            ("offl".to_owned(), 1),
            ("off".to_owned(), 1),
            ("load".to_owned(), 2),
            ("ad".to_owned(), 1),
            ("0x8007".to_owned(), 1),
            // An identifier with a dot, where a long line may be cut into sentences.
            ("d.of".to_owned(), 1),
            // A needle that overlaps itself.
            ("a.a".to_owned(), 1),
        ]);
        let words = [
            "offload",
            "Off",
            "loader",
            "ad",
            "0x80070005",
            "x",
            "road",
            "of",
            "fload",
            "ad.of",
            "a.a.a",
        ];
        let mut seed = 7usize;
        for _ in 0..300 {
            let mut text = String::new();
            for _ in 0..(seed % 200) {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                text.push_str(words[(seed >> 33) % words.len()]);
                // Lines long enough to be cut into sentences, most of the time.
                text.push_str(match (seed >> 20) % 40 {
                    0..=3 => ". ",
                    4 => "\n",
                    5 => "; ",
                    6 => "",
                    _ => " ",
                });
            }
            let prepared = Prepared::new("a".into(), text.clone(), Vec::new());
            let found = body_passages(&prepared, &needles);
            let alone: Vec<(&str, usize)> = text
                .split_inclusive('\n')
                .map(|l| l.trim_end_matches(['\n', '\r']))
                .flat_map(|l| sentences_within(l).into_iter().map(move |r| &l[r]))
                .map(|p| (p, needles.terms_within(&p.to_ascii_lowercase())))
                .filter(|(_, terms)| *terms > 0)
                .collect();
            assert_eq!(found, alone, "{text:?}");
        }
    }
}
