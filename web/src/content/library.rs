//! The library: an immutable snapshot of the whole content folder, with lookups (loading is in
//! `library/load.rs`).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use crate::fixes::Fix;

use super::{Article, Diagnostic, Synonyms};

mod load;

/// A value of a facet (product or tag) and how many articles carry it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Facet {
    /// The product or tag as written.
    pub value: String,
    /// Number of articles.
    pub count: usize,
}

/// Everything loaded from one content folder at one moment.
#[derive(Debug, Default)]
pub struct Library {
    /// Articles sorted by slug.
    pub articles: Vec<Arc<Article>>,
    /// Fixes by id.
    pub fixes: BTreeMap<String, Arc<Fix>>,
    /// Search synonyms.
    pub synonyms: Synonyms,
    /// Problems found while loading, sorted by file and line.
    pub diagnostics: Vec<Diagnostic>,
    /// Short hash of every loaded file: identifies this version of the content.
    pub revision: String,
    by_id: HashMap<u32, usize>,
    /// Hash of each slug → its position (see `position`).
    by_slug_hash: HashMap<u64, usize>,
    aliases: HashMap<String, usize>,
    /// Where bodies were spilled (`None`: kept in memory); a reload spills there too.
    spill_dir: Option<PathBuf>,
    // Derived once per snapshot so no request walks every article (see `index_derived`).
    products: Vec<Facet>,
    tags: Vec<Facet>,
    /// Article indices, most recently reviewed first.
    recent: Vec<usize>,
    /// Fix id → the first article (by slug) that offers it.
    fix_articles: HashMap<String, usize>,
    /// Tag and product → articles carrying it, for related articles.
    by_facet: HashMap<(bool, String), Vec<usize>>,
    /// Related articles per article, computed on first view and kept for the snapshot's life.
    related: Vec<std::sync::OnceLock<Vec<usize>>>,
}

/// How many related articles are worked out per article.
const RELATED_MAX: usize = 5;

/// Where a request for a slug should go.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<'a> {
    /// The canonical slug: serve this article.
    Found(&'a Arc<Article>),
    /// An id or alias: redirect to this article's canonical URL.
    Redirect(&'a Arc<Article>),
    /// Nothing by that name.
    Missing,
}

impl Library {
    /// Finds an article by slug, KB number (`1001`, `kb1001`) or alias.
    pub fn lookup(&self, key: &str) -> Lookup<'_> {
        let key = key.trim_matches('/').to_lowercase();
        if let Some(i) = self.position(&key) {
            return Lookup::Found(&self.articles[i]);
        }
        if let Some(&i) = parse_kb_number(&key).and_then(|id| self.by_id.get(&id)) {
            return Lookup::Redirect(&self.articles[i]);
        }
        match self.aliases.get(&key) {
            Some(&i) => Lookup::Redirect(&self.articles[i]),
            None => Lookup::Missing,
        }
    }

    /// Where the article with this slug sits in `articles`. A map from each slug's hash rather
    /// than from the slug, which would hold a second copy of every slug; a binary search (they
    /// are sorted by slug) answers when the hash is unknown or names another article. The map
    /// matters to search: at 100,000 articles, binary searches took 8% of a search's time
    /// finding its ten hits, nearly all of it waiting on memory.
    fn position(&self, slug: &str) -> Option<usize> {
        if let Some(&i) = self.by_slug_hash.get(&slug_hash(slug))
            && self.articles[i].slug == slug
        {
            return Some(i);
        }
        self.articles.binary_search_by(|a| a.slug.as_str().cmp(slug)).ok()
    }

    /// The article with this canonical slug.
    pub fn article(&self, slug: &str) -> Option<&Arc<Article>> {
        self.position(slug).map(|i| &self.articles[i])
    }

    /// The article with this KB number.
    pub fn by_id(&self, id: u32) -> Option<&Arc<Article>> {
        self.by_id.get(&id).map(|&i| &self.articles[i])
    }

    /// Products with article counts, most common first.
    pub fn products(&self) -> Vec<Facet> {
        self.products.clone()
    }

    /// Tags with article counts, most common first.
    pub fn tags(&self) -> Vec<Facet> {
        self.tags.clone()
    }

    /// Up to `limit` (at most 5) articles sharing the most tags (worth 2) and products (1)
    /// with `article`, best first, ties by title.
    pub fn related(&self, article: &Article, limit: usize) -> Vec<&Arc<Article>> {
        let Some(index) = self.position(&article.slug) else {
            return Vec::new();
        };
        let related = self.related[index].get_or_init(|| self.compute_related(index));
        related.iter().take(limit).map(|&i| &self.articles[i]).collect()
    }

    fn compute_related(&self, index: usize) -> Vec<usize> {
        let article = &self.articles[index];
        let mut scores: HashMap<usize, usize> = HashMap::new();
        let keys = article
            .tags
            .iter()
            .map(|t| ((true, t.clone()), 2))
            .chain(article.products.iter().map(|p| ((false, p.clone()), 1)));
        for (key, weight) in keys {
            for &other in self.by_facet.get(&key).into_iter().flatten() {
                if other != index {
                    *scores.entry(other).or_default() += weight;
                }
            }
        }
        let mut scored: Vec<(usize, usize)> = scores.into_iter().collect();
        let by_rank = |a: &(usize, usize), b: &(usize, usize)| {
            b.1.cmp(&a.1)
                .then_with(|| self.articles[a.0].title.cmp(&self.articles[b.0].title))
        };
        if scored.len() > RELATED_MAX {
            scored.select_nth_unstable_by(RELATED_MAX - 1, by_rank);
            scored.truncate(RELATED_MAX);
        }
        scored.sort_by(by_rank);
        scored.into_iter().map(|(i, _)| i).collect()
    }

    /// Articles most recently reviewed (or published), newest first.
    pub fn recently_reviewed(&self, limit: usize) -> Vec<&Arc<Article>> {
        self.recent
            .iter()
            .take(limit)
            .map(|&i| &self.articles[i])
            .collect()
    }

    /// The first article (by slug) that offers `fix_id`: where its scripts link back to.
    pub fn article_for_fix(&self, fix_id: &str) -> Option<&Arc<Article>> {
        self.fix_articles.get(fix_id).map(|&i| &self.articles[i])
    }

    /// Works out the facets, orderings and maps that requests read.
    fn index_derived(&mut self) {
        self.products = facet(self.articles.iter().flat_map(|a| a.products.iter()));
        self.tags = facet(self.articles.iter().flat_map(|a| a.tags.iter()));
        let mut recent: Vec<usize> = (0..self.articles.len()).collect();
        recent.sort_by(|&a, &b| {
            let (a, b) = (&self.articles[a], &self.articles[b]);
            b.reviewed
                .or(b.published)
                .cmp(&a.reviewed.or(a.published))
                .then_with(|| a.title.cmp(&b.title))
        });
        self.recent = recent;
        for (i, a) in self.articles.iter().enumerate() {
            self.by_slug_hash.insert(slug_hash(&a.slug), i);
            for fix in &a.fixes {
                self.fix_articles.entry(fix.clone()).or_insert(i);
            }
            for t in &a.tags {
                self.by_facet.entry((true, t.clone())).or_default().push(i);
            }
            for p in &a.products {
                self.by_facet.entry((false, p.clone())).or_default().push(i);
            }
        }
        self.related = (0..self.articles.len())
            .map(|_| std::sync::OnceLock::new())
            .collect();
    }

    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The key of [`Library::position`]'s map.
fn slug_hash(slug: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(slug)
}

/// `1001`, `kb1001`, `KB 1001`, `Kb1001` → 1001.
pub fn parse_kb_number(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = match t.get(..2) {
        Some(prefix) if prefix.eq_ignore_ascii_case("kb") => t[2..].trim(),
        _ => t,
    };
    if t.is_empty() || t.len() > 9 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

fn facet<'a>(values: impl Iterator<Item = &'a String>) -> Vec<Facet> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut out: Vec<Facet> = counts
        .into_iter()
        .map(|(value, count)| Facet {
            value: value.to_owned(),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}

#[cfg(test)]
mod tests;
