//! HTTP: the router (every URL in one function), handlers per concept, page views and the
//! error type that owns status codes and error pages.

pub mod admin;
pub mod articles;
pub mod assets;
pub mod error;
pub mod extract;
pub mod feedback;
pub mod home;
pub mod meta;
pub mod receipts;
mod router;
pub mod views;

use std::sync::Arc;

use anyhow::Context;
use axum::Router;

use crate::config::Config;
use crate::content::Library;
use crate::state::{App, AppState};

pub use error::{AppError, AppResult};

/// The whole application as a router; tests drive it without a socket.
pub fn app(state: AppState) -> Router {
    router::router(state)
}

/// Loads the content, builds the state and serves until SIGINT/SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let content = config.content.clone();
    let library = tokio::task::spawn_blocking(move || Library::load(&content, None)).await?;
    for d in &library.diagnostics {
        tracing::warn!("{d}");
    }
    tracing::info!(
        articles = library.articles.len(),
        fixes = library.fixes.len(),
        revision = %library.revision,
        "content loaded from {}",
        config.content.display()
    );
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("cannot create data folder {}", config.data.display()))?;
    let bind = config.bind;
    let data = config.data.clone();
    let options = crate::store::StoreOptions::from_config(&config);
    let store = tokio::task::spawn_blocking(move || crate::store::Store::open_with(&data, options)).await??;
    let state = AppState(Arc::new(App::with_store(config, library, store.clone())));
    let _watcher = crate::content::watch::spawn(state.0.clone())
        .map_err(|e| tracing::warn!("hot reload is off: {e:#}"))
        .ok();
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!("serving on http://{}", listener.local_addr()?);
    // Peer addresses feed the feedback rate limit (as salted hashes only).
    let service = app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    store.shutdown().await?;
    tracing::info!("shut down");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for ctrl-c: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing requests in flight");
}
