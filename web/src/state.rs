//! The shared application state handed to every handler.

use std::sync::{Arc, RwLock};

use crate::config::Config;
use crate::content::Library;

/// Everything a request may need. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

/// The application: configuration plus the current content snapshot.
pub struct App {
    /// Runtime configuration.
    pub config: Config,
    library: RwLock<Arc<Library>>,
}

impl App {
    /// Wraps a loaded library.
    pub fn new(config: Config, library: Library) -> Self {
        Self {
            config,
            library: RwLock::new(Arc::new(library)),
        }
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
        let next = Library::load(&self.config.content, Some(&previous));
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
        *self.library.write().unwrap_or_else(|e| e.into_inner()) = library;
    }
}
