//! Hot reload: watch the content folder, rebuild the library on change, swap it in.
//!
//! Events are debounced (a save often touches a file several times); the rebuild runs on a
//! thread of its own with the previous library as fallback for files that are now broken.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};

use crate::state::App;

/// How long the folder must be quiet before a reload.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// Keeps the watcher alive; dropping it stops hot reload.
pub struct Watcher(
    #[expect(dead_code, reason = "held only to keep the watcher running")]
    Debouncer<notify::RecommendedWatcher, RecommendedCache>,
);

/// Starts watching `app.config.content`. Must be called inside a tokio runtime.
pub fn spawn(app: Arc<App>) -> anyhow::Result<Watcher> {
    let root = app.config.content.clone();
    let runtime = tokio::runtime::Handle::current();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| match result {
        Ok(events) if events.iter().any(|e| !e.kind.is_access()) => {
            // A full channel means a reload is already queued; it will see this change too.
            let _ = tx.try_send(());
        }
        Ok(_) => {}
        Err(errors) => {
            for e in errors {
                tracing::warn!("content watcher: {e}");
            }
        }
    })
    .context("cannot start the content watcher")?;
    debouncer
        .watch(&root, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", root.display()))?;
    runtime.spawn(async move {
        while rx.recv().await.is_some() {
            let app = app.clone();
            // A thread of its own, so what the reload frees goes back to the system.
            match crate::util::on_own_thread("fixkb-reload", move || app.reload()).await {
                Ok(Some(())) => {}
                Ok(None) => tracing::error!("content reload panicked"),
                Err(e) => tracing::error!("cannot start the content reload: {e}"),
            }
        }
    });
    Ok(Watcher(debouncer))
}
