//! Hot reload: watch the content folder, rebuild the library on change, swap it in.
//!
//! Changes are debounced (a save often touches a file several times): the reload waits until
//! the folder has been quiet for [`DEBOUNCE`], then runs on a thread of its own with the
//! previous library as fallback for files that are now broken.
//!
//! Events that only read the folder (a file opened, by the server or a backup or a `grep -r`)
//! are dropped as they arrive. The inotify backend reports every open, and a debouncer that
//! kept them hashed and sorted one path per file opened: about 800 million instructions when
//! another process read the 100,000 articles of the load corpus.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::state::App;

/// How long the folder must be quiet before a reload.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// Keeps the watcher alive; dropping it stops hot reload.
pub struct Watcher(#[expect(dead_code, reason = "held only to keep the watcher running")] RecommendedWatcher);

/// Starts watching `app.config.content`. Must be called inside a tokio runtime.
pub fn spawn(app: Arc<App>) -> anyhow::Result<Watcher> {
    let root = app.config.content.clone();
    let runtime = tokio::runtime::Handle::current();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    let mut watcher =
        notify::recommended_watcher(move |result: notify::Result<notify::Event>| match result {
            Ok(event) if !event.kind.is_access() => {
                // A full channel means a change is already waiting; the reload will see this too.
                let _ = tx.try_send(());
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("content watcher: {e}"),
        })
        .context("cannot start the content watcher")?;
    watcher
        .watch(&root, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", root.display()))?;
    runtime.spawn(async move {
        while rx.recv().await.is_some() {
            // Until the folder has been quiet for DEBOUNCE.
            loop {
                match tokio::time::timeout(DEBOUNCE, rx.recv()).await {
                    Ok(Some(())) => {}
                    Ok(None) => return,
                    Err(_quiet) => break,
                }
            }
            let app = app.clone();
            // A thread of its own, so what the reload frees goes back to the system.
            match crate::util::on_own_thread("fixkb-reload", move || app.reload()).await {
                Ok(Some(())) => {}
                Ok(None) => tracing::error!("content reload panicked"),
                Err(e) => tracing::error!("cannot start the content reload: {e}"),
            }
        }
    });
    Ok(Watcher(watcher))
}
