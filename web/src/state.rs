//! The shared application state handed to every handler.

use std::sync::{Arc, RwLock};

use crate::config::Config;
use crate::content::Library;
use crate::search::SearchIndex;
use crate::store::Store;

/// Everything a request may need. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

/// The application: configuration, the current content snapshot and the database.
pub struct App {
    /// Runtime configuration.
    pub config: Config,
    /// Feedback, receipts and analytics (SQLite).
    pub store: Store,
    /// The search index; kept in step with the library by [`App::swap_library`].
    pub search: SearchIndex,
    /// Rendered article pages (see `http/pages.rs`).
    pub pages: crate::http::pages::PageCache,
    /// Searches that may be running or waiting for a search thread at once (see
    /// [`App::search_queue`]).
    pub searches: tokio::sync::Semaphore,
    /// The threads searches run on ([`App::search_threads`]), kept for the server's life.
    /// Tokio's blocking pool started a thread whenever all it had were busy or just finishing
    /// (a dozen under load), and each thread's allocator heap kept what its searches had freed:
    /// about 50 MB more at 100k articles with the answer cache off.
    pub searchers: rayon::ThreadPool,
    library: RwLock<Arc<Library>>,
}

impl App {
    /// Wraps a loaded library, with a private in-memory store (tests, embedding).
    pub fn new(config: Config, library: Library) -> Self {
        #[expect(
            clippy::expect_used,
            reason = "an in-memory SQLite database fails to open only when memory runs out"
        )]
        let store = Store::open_in_memory().expect("in-memory store");
        Self::with_store(config, library, store)
    }

    /// Wraps a loaded library and an opened store.
    pub fn with_store(config: Config, library: Library, store: Store) -> Self {
        #[expect(
            clippy::expect_used,
            reason = "an in-memory index fails to build only when memory runs out"
        )]
        let search = SearchIndex::in_memory(&library).expect("in-memory search index");
        Self::with_parts(config, library, store, search)
    }

    /// Wraps a loaded library, an opened store and a search index already holding the library.
    pub fn with_parts(config: Config, library: Library, store: Store, search: SearchIndex) -> Self {
        Self {
            config,
            store,
            search,
            pages: Default::default(),
            searches: tokio::sync::Semaphore::new(Self::search_queue()),
            searchers: search_threads(Self::search_threads()),
            library: RwLock::new(Arc::new(library)),
        }
    }

    /// Searches that run at once: two per core. A search is CPU work, so more at once would not
    /// answer sooner; each one running holds its own buffers (candidate window, facet tables,
    /// snippets), so more threads would only raise memory under load.
    pub fn search_threads() -> usize {
        cores() * 2
    }

    /// Searches that may be running or waiting for a thread: 32 per core. A search thread that
    /// finds nothing waiting goes to sleep, and when only as many searches as threads could be
    /// handed over, each one finished left its thread asleep until its request had answered and
    /// the next one was let in: at 100k articles, 8–18% fewer searches a second than with the
    /// next ones already waiting (`tests/load/compare.sh`, BENCHMARKS.md). A waiting search
    /// holds only its request; past this many, requests wait before being handed over. One whose
    /// request was dropped while it waited is not run (see `http/search.rs`).
    pub fn search_queue() -> usize {
        cores() * 32
    }

    /// The current snapshot. Requests hold on to it, so a reload never changes a page midway.
    pub fn library(&self) -> Arc<Library> {
        // A poisoned lock only means a writer panicked mid-swap; the Arc inside is still whole.
        self.library.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reloads the content folder and swaps the new snapshot in. Broken files keep their last
    /// good version; new problems are logged with file and line.
    pub fn reload(&self) {
        let previous = self.library();
        let next = previous.reload(&self.config.content);
        for d in next
            .diagnostics
            .iter()
            .filter(|d| !previous.diagnostics.contains(d))
        {
            tracing::warn!("{d}");
        }
        tracing::info!(articles = next.articles.len(), revision = %next.revision, "content reloaded");
        self.swap_library(Arc::new(next));
    }

    /// Atomically replaces the snapshot.
    pub fn swap_library(&self, library: Arc<Library>) {
        // Only changed articles are re-indexed. On failure the old index keeps serving.
        match self.search.update(&library) {
            Ok(stats) if stats.changed() => tracing::info!(%stats, "search index updated"),
            Ok(_) => {}
            Err(e) => tracing::error!("search index update failed: {e:#}"),
        }
        *self.library.write().unwrap_or_else(|e| e.into_inner()) = library;
    }
}

/// The machine's cores (2 when it cannot tell).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// A pool of `n` search threads. A search that panics is logged; its request gets an error
/// (the answer's sender is dropped) and the thread goes on.
fn search_threads(n: usize) -> rayon::ThreadPool {
    #[expect(
        clippy::expect_used,
        reason = "threads fail to start only when the system is out of threads or memory"
    )]
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("fixkb-search-{i}"))
        .panic_handler(|_| tracing::error!("a search panicked"))
        .build()
        .expect("search threads")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_thread_that_panics_fails_its_request_and_the_pool_goes_on() {
        let threads = search_threads(2);
        let (answer, answered) = std::sync::mpsc::channel::<u32>();
        threads.spawn(move || {
            let _kept_until_unwound = answer;
            panic!("a search broke");
        });
        assert!(answered.recv().is_err(), "the request hears the search is gone");
        let (answer, answered) = std::sync::mpsc::channel();
        for _ in 0..4 {
            let answer = answer.clone();
            threads.spawn(move || answer.send(7).expect("the test waits"));
        }
        let answers: Vec<u32> = answered.iter().take(4).collect();
        assert_eq!(answers, [7, 7, 7, 7], "the threads still search");
    }
}
