//! The index lifecycle: open (reusing what is on disk), incremental update, full rebuild.
//!
//! Each document carries its article's `source_hash`, so [`SearchIndex::update`] compares
//! hashes per slug and re-indexes only what changed. The schema version sits in a file next to
//! tantivy's; a different version (or an unreadable index) is wiped and rebuilt.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context;
use tantivy::directory::MmapDirectory;
use tantivy::indexer::NoMergePolicy;
use tantivy::schema::Facet;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::content::{Article, Library};

use super::schema::{self, Fields, SCHEMA_VERSION};
use super::tokenize;

const VERSION_FILE: &str = "fixkb-schema-version";
/// Writer memory for small updates (tantivy's minimum is 15 MB per thread).
const SMALL_BUDGET: usize = 32_000_000;
/// Writer memory per thread for large (re)builds.
const LARGE_BUDGET_PER_THREAD: usize = 128_000_000;
/// Articles in one update above which the writer uses every core.
pub(super) const LARGE_UPDATE: usize = 2_000;

/// The search index plus what it knows about the articles in it.
pub struct SearchIndex {
    pub(super) index: Index,
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    /// slug → source hash of what is indexed; the lock also serialises writers.
    indexed: Mutex<HashMap<String, String>>,
    pub(super) synonyms: super::synonyms::SynonymCache,
    /// Per-segment product and tag tables (see `search/facets.rs`).
    pub(super) facet_tables: super::facets::FacetTables,
    /// Recent answers (see `search/cache.rs`).
    pub(super) answers: super::cache::ResultCache,
    /// Words the first pass scored (see `search/first_pass/scored.rs`).
    pub(super) scored_words: super::first_pass::ScoredWords,
    /// Hits' slugs by segment and document (see `search/slugs.rs`).
    pub(super) slugs: super::slugs::SlugCache,
    /// What snippets keep across searches (see `search/snippet/kept.rs`).
    pub(super) snippets: super::snippet::Kept,
    dir: Option<PathBuf>,
}

/// What an update did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateStats {
    /// Articles new to the index.
    pub added: usize,
    /// Articles whose source changed.
    pub updated: usize,
    /// Articles no longer in the library.
    pub removed: usize,
    /// Articles left alone.
    pub unchanged: usize,
    /// Wall time.
    pub took: Duration,
}

impl UpdateStats {
    /// True when the index was written to.
    pub fn changed(&self) -> bool {
        self.added + self.updated + self.removed > 0
    }
}

impl std::fmt::Display for UpdateStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} added, {} updated, {} removed, {} unchanged in {:.2?}",
            self.added, self.updated, self.removed, self.unchanged, self.took
        )
    }
}

/// Every term of a fast-field dictionary in ordinal order (a macro: the dictionary's type
/// parameter is not exported by tantivy).
macro_rules! all_terms {
    ($dictionary:expr) => {{
        let dictionary = $dictionary;
        let mut terms = Vec::with_capacity(dictionary.num_terms());
        let mut stream = dictionary.stream()?;
        while stream.advance() {
            terms.push(String::from_utf8_lossy(stream.key()).into_owned());
        }
        terms
    }};
}

impl SearchIndex {
    /// Opens the index under `dir` (created if missing), rebuilding it when its schema version
    /// differs, then brings it up to date with `library`.
    pub fn open(dir: &Path, library: &Library) -> anyhow::Result<SearchIndex> {
        let this = Self::open_dir(dir)?;
        let stats = this.update(library)?;
        tracing::info!(dir = %dir.display(), %stats, "search index ready");
        Ok(this)
    }

    /// Opens (or creates) the index under `dir` without touching its contents.
    pub fn open_dir(dir: &Path) -> anyhow::Result<SearchIndex> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the index folder {}", dir.display()))?;
        let version_path = dir.join(VERSION_FILE);
        let on_disk = std::fs::read_to_string(&version_path)
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok());
        let (schema, fields) = schema::build();
        let existing = match on_disk {
            Some(v) if v == SCHEMA_VERSION => match Index::open_in_dir(dir) {
                Ok(index) if index.schema() == schema => Some(index),
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), error = %e, "search index unreadable; rebuilding");
                    None
                }
            },
            _ => None,
        };
        let index = match existing {
            Some(index) => index,
            None => {
                if on_disk.is_some_and(|v| v != SCHEMA_VERSION) {
                    tracing::info!(from = ?on_disk, to = SCHEMA_VERSION, "search schema changed; rebuilding the index");
                }
                clear_dir(dir)?;
                let mmap =
                    MmapDirectory::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
                let index = Index::create(mmap, schema, tantivy::IndexSettings::default())
                    .with_context(|| format!("cannot create a search index in {}", dir.display()))?;
                std::fs::write(&version_path, format!("{SCHEMA_VERSION}\n"))
                    .with_context(|| format!("cannot write {}", version_path.display()))?;
                index
            }
        };
        Self::from_index(index, fields, Some(dir.to_owned()))
    }

    /// An index in memory holding `library` (tests, tools).
    pub fn in_memory(library: &Library) -> anyhow::Result<SearchIndex> {
        let (schema, fields) = schema::build();
        let this = Self::from_index(Index::create_in_ram(schema), fields, None)?;
        this.update(library)?;
        Ok(this)
    }

    fn from_index(index: Index, fields: Fields, dir: Option<PathBuf>) -> anyhow::Result<SearchIndex> {
        schema::register(&index);
        // We reload after our own commits; another process writing the same folder (`fixkb
        // index` next to a running server) is picked up by the file watcher.
        let policy = if dir.is_some() {
            ReloadPolicy::OnCommitWithDelay
        } else {
            ReloadPolicy::Manual
        };
        let reader = index
            .reader_builder()
            .reload_policy(policy)
            .try_into()
            .context("cannot open the search index reader")?;
        let this = SearchIndex {
            index,
            reader,
            fields,
            indexed: Mutex::new(HashMap::new()),
            synonyms: Default::default(),
            facet_tables: Default::default(),
            answers: Default::default(),
            scored_words: Default::default(),
            snippets: Default::default(),
            slugs: Default::default(),
            dir,
        };
        *this.lock_indexed() = this.read_indexed()?;
        Ok(this)
    }

    /// Brings the index in line with `library`: adds new articles, re-indexes changed ones,
    /// removes deleted ones. Does nothing (and writes nothing) when nothing changed.
    pub fn update(&self, library: &Library) -> anyhow::Result<UpdateStats> {
        let started = Instant::now();
        let mut indexed = self.lock_indexed();
        let mut stats = UpdateStats::default();
        let mut to_add: Vec<&Arc<Article>> = Vec::new();
        let mut to_delete: Vec<&str> = Vec::new();
        for article in &library.articles {
            match indexed.get(&article.slug) {
                Some(hash) if *hash == article.source_hash => stats.unchanged += 1,
                Some(_) => {
                    stats.updated += 1;
                    to_delete.push(&article.slug);
                    to_add.push(article);
                }
                None => {
                    stats.added += 1;
                    to_add.push(article);
                }
            }
        }
        let live: std::collections::HashSet<&str> =
            library.articles.iter().map(|a| a.slug.as_str()).collect();
        let gone: Vec<String> = indexed
            .keys()
            .filter(|s| !live.contains(s.as_str()))
            .cloned()
            .collect();
        stats.removed = gone.len();
        if stats.changed() {
            let writer = self.writer(to_add.len())?;
            for slug in to_delete.iter().copied().chain(gone.iter().map(String::as_str)) {
                writer.delete_term(Term::from_field_text(self.fields.slug, slug));
            }
            for article in &to_add {
                writer.add_document(document(&self.fields, article)?)?;
            }
            self.finish(writer, to_add.len() >= LARGE_UPDATE)?;
            for slug in &gone {
                indexed.remove(slug);
            }
            for article in &to_add {
                indexed.insert(article.slug.clone(), article.source_hash.clone());
            }
        }
        stats.took = started.elapsed();
        Ok(stats)
    }

    /// Re-indexes every article from scratch; `progress(done, total)` is called as it goes.
    pub fn rebuild(
        &self,
        library: &Library,
        progress: &mut dyn FnMut(usize, usize),
    ) -> anyhow::Result<UpdateStats> {
        let started = Instant::now();
        let mut indexed = self.lock_indexed();
        let writer = self.writer(library.articles.len())?;
        writer.delete_all_documents()?;
        let total = library.articles.len();
        for (i, article) in library.articles.iter().enumerate() {
            writer.add_document(document(&self.fields, article)?)?;
            if i % 256 == 0 {
                progress(i, total);
            }
        }
        progress(total, total);
        self.finish(writer, total >= LARGE_UPDATE)?;
        let removed = indexed.keys().filter(|s| library.article(s).is_none()).count();
        *indexed = library
            .articles
            .iter()
            .map(|a| (a.slug.clone(), a.source_hash.clone()))
            .collect();
        Ok(UpdateStats {
            added: total,
            removed,
            took: started.elapsed(),
            ..UpdateStats::default()
        })
    }

    /// Number of articles in the index.
    pub fn len(&self) -> usize {
        self.lock_indexed().len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The folder the index lives in (`None` in memory).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    fn lock_indexed(&self) -> MutexGuard<'_, HashMap<String, String>> {
        // Poisoning means an update panicked midway; the map still names what was committed
        // before, and the next update re-checks every hash anyway.
        self.indexed.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn writer(&self, docs: usize) -> anyhow::Result<IndexWriter> {
        let threads = if docs >= LARGE_UPDATE {
            std::thread::available_parallelism().map_or(1, |n| n.get()).min(4)
        } else {
            1
        };
        let budget = if docs >= LARGE_UPDATE {
            LARGE_BUDGET_PER_THREAD * threads
        } else {
            SMALL_BUDGET
        };
        let writer: IndexWriter =
            self.index
                .writer_with_num_threads(threads, budget)
                .map_err(|e| match e {
                    tantivy::TantivyError::LockFailure(..) => {
                        anyhow::anyhow!(
                            "the search index is being written by another process (is `fixkb index` running?)"
                        )
                    }
                    e => anyhow::Error::new(e).context("cannot open the search index for writing"),
                })?;
        if docs >= LARGE_UPDATE {
            // `finish` merges everything into one segment instead (background merges would
            // hold segments it needs).
            writer.set_merge_policy(Box::new(NoMergePolicy));
        }
        Ok(writer)
    }

    /// Commits, then merges: after a large update everything becomes one segment (each
    /// segment repeats a search's per-segment work: at 100,000 articles four segments cost
    /// 17% more per search than one), otherwise tantivy's merge policy decides.
    fn finish(&self, mut writer: IndexWriter, large: bool) -> anyhow::Result<()> {
        writer.commit().context("cannot commit the search index")?;
        if large {
            let segments = self.index.searchable_segment_ids()?;
            if segments.len() > 1 {
                writer
                    .merge(&segments)
                    .wait()
                    .context("cannot merge the search index")?;
            }
        }
        // Waiting for merges keeps the segment count (and so query time) low.
        writer
            .wait_merging_threads()
            .context("search index merge failed")?;
        self.reader.reload().context("cannot reload the search index")?;
        Ok(())
    }

    /// slug → source hash of every live document, read from fast fields. Each column's
    /// dictionary is read once in order (looking ords up one by one is far slower).
    fn read_indexed(&self) -> anyhow::Result<HashMap<String, String>> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::new();
        for segment in searcher.segment_readers() {
            let fast = segment.fast_fields();
            let (Some(slugs), Some(hashes)) =
                (fast.str(schema::names::SLUG)?, fast.str(schema::names::HASH)?)
            else {
                continue;
            };
            let slug_terms = all_terms!(slugs.dictionary());
            let hash_terms = all_terms!(hashes.dictionary());
            for doc in segment.doc_ids_alive() {
                let slug = slugs
                    .term_ords(doc)
                    .next()
                    .and_then(|o| slug_terms.get(usize::try_from(o).ok()?));
                let hash = hashes
                    .term_ords(doc)
                    .next()
                    .and_then(|o| hash_terms.get(usize::try_from(o).ok()?));
                if let (Some(slug), Some(hash)) = (slug, hash) {
                    out.insert(slug.clone(), hash.clone());
                }
            }
        }
        Ok(out)
    }
}

/// Removes a previous index from `dir` (only files tantivy or we wrote there).
fn clear_dir(dir: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name == VERSION_FILE
            || name == "meta.json"
            || name == ".managed.json"
            || name.starts_with(".tantivy")
            || is_segment_file(&name);
        if ours && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Segment files are `<32 hex digits>.<component>`.
fn is_segment_file(name: &str) -> bool {
    name.split_once('.')
        .is_some_and(|(id, _)| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Internal links above which a page counts as a hub that lists other pages.
const HUB_LINKS: usize = 6;

/// The rank multiplier of an article with this body HTML: hub pages, whose text is mostly
/// other articles' summaries, must not outrank the articles themselves.
pub fn rank(html: &str) -> f64 {
    let links = html.matches("href=\"/kb/").count();
    if links >= HUB_LINKS { 0.5 } else { 1.0 }
}

/// The tantivy document for an article; fails only when its body cannot be read.
pub fn document(f: &Fields, a: &Article) -> anyhow::Result<TantivyDocument> {
    let read = |e| anyhow::Error::new(e).context(format!("cannot read the body of {}", a.path));
    let (html, text, code, headings) = (
        a.body.html().map_err(read)?,
        a.body.text().map_err(read)?,
        a.body.code().map_err(read)?,
        a.body.headings().map_err(read)?,
    );
    let mut doc = TantivyDocument::new();
    doc.add_text(f.slug, &a.slug);
    doc.add_text(f.hash, &a.source_hash);
    doc.add_f64(f.rank, rank(&html));
    if let Some(id) = a.id {
        doc.add_text(f.kb, id.to_string());
        doc.add_text(f.kb, format!("kb{id}"));
    }
    doc.add_text(f.title, &a.title);
    doc.add_text(f.title_words, &a.title);
    doc.add_text(f.summary, &a.summary);
    for s in &a.symptoms {
        doc.add_text(f.symptoms, s);
    }
    for h in headings.iter() {
        doc.add_text(f.headings, h);
    }
    doc.add_text(f.body, &text);
    let meta: Vec<&str> = a.products.iter().chain(&a.tags).map(String::as_str).collect();
    doc.add_text(f.meta, meta.join(" \n "));
    doc.add_text(f.code, &code);
    let mut identifiers = String::new();
    for text in [a.title.as_str(), a.summary.as_str(), &text]
        .into_iter()
        .chain(a.symptoms.iter().map(String::as_str))
        .chain(headings.iter().map(String::as_str))
    {
        for (_, chunk) in tokenize::chunks(text).filter(|(_, c)| tokenize::is_compound(c)) {
            identifiers.push_str(chunk);
            identifiers.push(' ');
        }
    }
    doc.add_text(f.code, identifiers);
    for text in [a.title.as_str(), a.summary.as_str(), &text]
        .into_iter()
        .chain(a.symptoms.iter().map(String::as_str))
        .chain(headings.iter().map(String::as_str))
    {
        doc.add_text(f.spell, text);
    }
    for p in a.products.iter().filter(|p| !p.trim().is_empty()) {
        doc.add_facet(f.products, Facet::from_path([p.as_str()]));
    }
    for t in a.tags.iter().filter(|t| !t.trim().is_empty()) {
        doc.add_facet(f.tags, Facet::from_path([t.as_str()]));
    }
    Ok(doc)
}
