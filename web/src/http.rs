//! HTTP: the router (every URL in one function), handlers per concept, page views and the
//! error type that owns status codes and error pages.

pub mod admin;
pub mod articles;
pub mod assets;
pub mod error;
pub mod extract;
pub mod feedback;
pub mod fixes;
pub mod home;
pub mod meta;
pub mod pages;
pub mod receipts;
mod router;
pub mod search;
pub mod views;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

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
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("cannot create data folder {}", config.data.display()))?;
    let (content, data) = (config.content.clone(), config.data.clone());
    // Bodies go to the data folder: a tmpfs /tmp would keep them in memory after all.
    let library =
        crate::util::on_own_thread("fixkb-load", move || Library::load_spilled(&content, None, &data))
            .await?
            .context("loading the content panicked")?;
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
    let bind = config.bind;
    let data = config.data.clone();
    let options = crate::store::StoreOptions::from_config(&config);
    let store = tokio::task::spawn_blocking(move || crate::store::Store::open_with(&data, options)).await??;
    let index_dir = config.data.join("index");
    let cache_bytes = config.search_cache_mb.saturating_mul(1024 * 1024);
    let word_bytes = config.word_cache_mb.saturating_mul(1024 * 1024);
    let (library, search) = crate::util::on_own_thread("fixkb-index", move || {
        let search = crate::search::SearchIndex::open(&index_dir, &library).map(|mut search| {
            search.set_answer_cache(cache_bytes);
            search.set_word_cache(word_bytes);
            search
        });
        (library, search)
    })
    .await?
    .context("opening the search index panicked")?;
    let state = AppState(Arc::new(App::with_parts(config, library, store.clone(), search?)));
    let _watcher = crate::content::watch::spawn(state.0.clone())
        .map_err(|e| tracing::warn!("hot reload is off: {e:#}"))
        .ok();
    let listener = TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!("serving on http://{}", listener.local_addr()?);
    serve_connections(listener, app(state.clone())).await;
    store.shutdown().await?;
    tracing::info!("shut down");
    Ok(())
}

/// How long a client may take to send a request's headers, which is also how long a kept-alive
/// connection may sit idle before its next request. Without it a client that drips its headers a
/// byte at a time (slowloris) holds a connection, and a file descriptor, for ever.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts connections until SIGINT/SIGTERM, then lets the requests in flight finish.
///
/// hyper's HTTP/1 builder rather than `axum::serve`: axum's builder has no timer, and without
/// one hyper's header read timeout never fires.
async fn serve_connections(listener: TcpListener, router: Router) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Only fails on a socket already closed by the peer, which hyper then notices itself.
        let _ = stream.set_nodelay(true);
        // Peer addresses feed the feedback rate limit (as salted hashes only).
        let service = router.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let connection =
            graceful.watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("connection from a client ended: {e}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Out of file descriptors and the like: say so and give connections a moment to close instead
/// of spinning. A client that left before its connection was accepted is not worth a word.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!("cannot accept a connection: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
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
