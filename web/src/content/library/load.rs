//! Loading a content folder into a [`Library`]: read every file's front matter, assign slugs,
//! reject duplicates, then render each article (resolving its links) and store its body.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use crate::content::article::Draft;
use crate::content::bodies::Spill;
use crate::content::{Article, Diagnostic, Synonyms};
use crate::fixes::{self, Fix};
use crate::markdown::LinkTarget;

use super::Library;

impl Library {
    /// Loads `root`, keeping article bodies in memory (tests, command-line tools). `previous`
    /// (on reload) supplies the last good version of files that are now broken, so a bad edit
    /// never takes an article offline.
    pub fn load(root: &Path, previous: Option<&Library>) -> Library {
        Self::load_with(root, previous, None)
    }

    /// Like [`Library::load`], but writes article bodies to an unlinked file in `spill_dir`
    /// (the server's data folder), so that only metadata stays in memory: see
    /// [`super::bodies`]. Bodies that did not change since `previous` keep its handles. If the
    /// file cannot be written the bodies stay in memory and the error is logged.
    pub fn load_spilled(root: &Path, previous: Option<&Library>, spill_dir: &Path) -> Library {
        Self::load_with(root, previous, Some(spill_dir))
    }

    /// The reload for this snapshot: spilled to the same folder if this one was.
    pub fn reload(&self, root: &Path) -> Library {
        Self::load_with(root, Some(self), self.spill_dir.as_deref())
    }

    fn load_with(root: &Path, previous: Option<&Library>, spill_dir: Option<&Path>) -> Library {
        let previous_by_path: HashMap<&str, &Arc<Article>> = previous
            .into_iter()
            .flat_map(|p| &p.articles)
            .map(|a| (a.path.as_str(), a))
            .collect();
        let mut diagnostics = Vec::new();
        // Each file's path and SHA-256; the sources themselves are let go as soon as their
        // front matter is read (see `Draft::release`), so a large folder is never in memory
        // at once.
        let mut revision_input: Vec<(String, [u8; 32])> = Vec::new();
        let mut drafts = Vec::new();
        for path in markdown_files(root, &mut diagnostics) {
            let rel = relative(root, &path);
            let source: Arc<str> = match std::fs::read_to_string(&path) {
                Ok(s) => s.into(),
                Err(e) => {
                    diagnostics.push(Diagnostic::error(&rel, None, format!("cannot read file: {e}")));
                    continue;
                }
            };
            let sha = digest(&source);
            match Draft::parse(&rel, source) {
                Ok(mut draft) => {
                    draft.release(path, sha);
                    revision_input.push((rel.clone(), sha));
                    drafts.push(draft);
                }
                Err(e) => {
                    let kept = previous_by_path
                        .get(rel.as_str())
                        .and_then(|old| last_good_source(old))
                        .and_then(|old| Some((digest(&old), Draft::parse(&rel, old).ok()?)));
                    let suffix = if kept.is_some() {
                        "; serving the last good version"
                    } else {
                        "; the article is skipped"
                    };
                    diagnostics.push(Diagnostic::error(
                        &rel,
                        Some(e.line),
                        format!("{}{suffix}", e.message),
                    ));
                    if let Some((old_digest, draft)) = kept {
                        revision_input.push((rel.clone(), old_digest));
                        drafts.push(draft);
                    }
                }
            }
        }
        let (fixes, fix_diagnostics, fix_sources) = fixes::load_dir(&root.join("fixes"));
        diagnostics.extend(fix_diagnostics);
        revision_input.extend(fix_sources.into_iter().map(|(path, text)| (path, digest(&text))));
        let synonyms = load_synonyms(root, &mut diagnostics, &mut revision_input);
        let revision = revision(revision_input);
        let spill = spill_dir.and_then(|dir| {
            Spill::create_in(dir)
                .map_err(|e| {
                    tracing::error!(
                        "cannot create a spill file in {}: {e}; article bodies stay in memory",
                        dir.display()
                    );
                })
                .ok()
        });
        let mut library = build(drafts, fixes, synonyms, diagnostics, &previous_by_path, spill);
        library.revision = revision;
        library.spill_dir = spill_dir.map(Path::to_owned);
        library
    }
}

fn markdown_files(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let walker = WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            // Hidden folders (.git) and the fixes folder are not articles.
            let hidden = e.depth() > 0 && name.starts_with('.');
            let fixes = e.depth() == 1 && name == "fixes";
            !hidden && !fixes
        });
    for entry in walker {
        match entry {
            Ok(e)
                if e.file_type().is_file()
                    && e.path().extension().is_some_and(|x| x.eq_ignore_ascii_case("md")) =>
            {
                files.push(e.into_path());
            }
            Ok(_) => {}
            Err(e) => {
                let rel = e.path().map(|p| relative(root, p)).unwrap_or_default();
                diagnostics.push(Diagnostic::error(rel, None, format!("cannot read: {e}")));
            }
        }
    }
    files
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

fn load_synonyms(
    root: &Path,
    diagnostics: &mut Vec<Diagnostic>,
    revision: &mut Vec<(String, [u8; 32])>,
) -> Synonyms {
    let path = root.join("synonyms.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Synonyms::default();
    };
    revision.push(("synonyms.toml".into(), digest(&text)));
    Synonyms::parse("synonyms.toml", &text).unwrap_or_else(|d| {
        diagnostics.push(d);
        Synonyms::default()
    })
}

/// SHA-256 of a file's text.
fn digest(text: &str) -> [u8; 32] {
    crate::util::sha256(text.as_bytes())
}

/// Short hash of every loaded file's path and digest, in path order.
fn revision(mut files: Vec<(String, [u8; 32])>) -> String {
    files.sort();
    let mut hasher = Sha256::new();
    for (path, digest) in &files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(digest);
    }
    let mut hex = format!("{:x}", hasher.finalize());
    hex.truncate(12);
    hex
}

/// The source `article` was rendered from, if it can still be read.
fn last_good_source(article: &Article) -> Option<Arc<str>> {
    article
        .body
        .source()
        .map_err(|e| tracing::error!("cannot read the last good version of {}: {e}", article.path))
        .ok()
}

/// Assigns slugs, rejects duplicates, resolves links and checks fix references. Bodies equal to
/// those of `previous` (by path) keep the previous handle; the rest go to `spill` if given.
fn build(
    drafts: Vec<Draft>,
    fixes: BTreeMap<String, Arc<Fix>>,
    synonyms: Synonyms,
    mut diagnostics: Vec<Diagnostic>,
    previous: &HashMap<&str, &Arc<Article>>,
    mut spill: Option<Spill>,
) -> Library {
    let mut by_slug: HashMap<String, String> = HashMap::new(); // slug → path
    let mut by_id: HashMap<u32, String> = HashMap::new();
    let mut alias_owner: HashMap<String, String> = HashMap::new();
    let mut accepted = Vec::new();
    for draft in drafts {
        let slug = draft.slug();
        if let Some(other) = by_slug.get(&slug) {
            diagnostics.push(Diagnostic::error(
                &draft.path,
                Some(1),
                format!("slug `{slug}` is already used by {other}; this article is skipped"),
            ));
            continue;
        }
        if let Some(id) = draft.front.id {
            if let Some(other) = by_id.get(&id) {
                diagnostics.push(Diagnostic::error(
                    &draft.path,
                    draft.line_of("id"),
                    format!("id {id} is already used by {other}; this article is skipped"),
                ));
                continue;
            }
            by_id.insert(id, draft.path.clone());
        }
        by_slug.insert(slug, draft.path.clone());
        accepted.push(draft);
    }
    for draft in &accepted {
        for alias in &draft.front.aliases {
            let alias = alias.trim_matches('/').to_lowercase();
            if let Some(owner) = by_slug
                .get(&alias)
                .filter(|o| **o != draft.path)
                .or_else(|| alias_owner.get(&alias))
            {
                diagnostics.push(Diagnostic::error(
                    &draft.path,
                    draft.line_of("aliases"),
                    format!("alias `{alias}` is already used by {owner}; ignored"),
                ));
            } else {
                alias_owner.insert(alias, draft.path.clone());
            }
        }
    }
    let path_to_slug: HashMap<String, String> = accepted.iter().map(|d| (d.path.clone(), d.slug())).collect();
    let mut library = Library {
        fixes,
        synonyms,
        ..Library::default()
    };
    // By value: each draft's source is dropped once its body is stored.
    for draft in accepted {
        for w in &draft.warnings {
            diagnostics.push(Diagnostic::warning(&draft.path, Some(w.line), w.message.clone()));
        }
        let source = match draft.text() {
            Ok(source) => source,
            Err(e) => {
                // Changed or removed since its front matter was read: the watcher loads the
                // folder again. Until then the previous version stands, if there is one.
                let kept = previous
                    .get(draft.path.as_str())
                    .filter(|old| old.slug == draft.slug());
                let suffix = if kept.is_some() {
                    "serving the previous version"
                } else {
                    "the article is skipped"
                };
                diagnostics.push(Diagnostic::error(&draft.path, None, format!("{e}; {suffix}")));
                if let Some(old) = kept {
                    library.articles.push(Arc::clone(old));
                }
                continue;
            }
        };
        let resolve = |dest: &str| resolve_link(&draft.path, dest, &path_to_slug);
        let (mut article, broken) = draft.render(source, &resolve);
        for b in broken {
            diagnostics.push(Diagnostic::warning(
                &draft.path,
                Some(b.line),
                format!("link to `{}` points to no article", b.dest),
            ));
        }
        for fix in &article.fixes {
            if !library.fixes.contains_key(fix) {
                diagnostics.push(Diagnostic::error(
                    &draft.path,
                    draft.line_of("fixes"),
                    format!("fix `{fix}` does not exist (expected fixes/{fix}/fix.toml)"),
                ));
            }
        }
        if let Some(old) = previous
            .get(draft.path.as_str())
            .filter(|old| old.body == article.body)
        {
            article.body = old.body.clone();
        }
        if let Some(s) = spill.as_mut() {
            match s.put(&article.body) {
                Ok(body) => article.body = body,
                Err(e) => {
                    tracing::error!(
                        "cannot write article bodies to the spill file: {e}; the rest stay in memory"
                    );
                    spill = None;
                }
            }
        }
        library.articles.push(Arc::new(article));
    }
    library.articles.sort_by(|a, b| a.slug.cmp(&b.slug));
    for (i, a) in library.articles.iter().enumerate() {
        if let Some(id) = a.id {
            library.by_id.insert(id, i);
        }
    }
    for (alias, path) in alias_owner {
        if let Some(i) = path_to_slug.get(path.as_str()).and_then(|s| library.position(s)) {
            library.aliases.insert(alias, i);
        }
    }
    library.index_derived();
    diagnostics.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
    library.diagnostics = diagnostics;
    library
}

/// Decides what a link in the article at `from` becomes.
fn resolve_link(from: &str, dest: &str, path_to_slug: &HashMap<String, String>) -> LinkTarget {
    let (path_part, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (dest, None),
    };
    let path_part = path_part.split('?').next().unwrap_or("");
    let is_external = path_part.contains(':') || path_part.starts_with('/') || path_part.starts_with("//");
    if path_part.is_empty() || is_external || !path_part.to_ascii_lowercase().ends_with(".md") {
        return LinkTarget::Keep;
    }
    let decoded = path_part.replace("%20", " ");
    let base = Path::new(from).parent().unwrap_or(Path::new(""));
    let mut parts: Vec<String> = Vec::new();
    for c in base.join(&decoded).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::ParentDir if parts.pop().is_none() => return LinkTarget::Broken,
            _ => {}
        }
    }
    match path_to_slug.get(parts.join("/").as_str()) {
        Some(slug) => {
            let frag = fragment.map(|f| format!("#{f}")).unwrap_or_default();
            LinkTarget::Rewrite(format!("/kb/{slug}{frag}"))
        }
        None => LinkTarget::Broken,
    }
}
