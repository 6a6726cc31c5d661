//! Runtime configuration from CLI flags and `FIXKB_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// Settings shared by every subcommand. Each flag has an environment variable.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Folder with the articles (`*.md`), `fixes/` and `synonyms.toml`.
    #[arg(long, env = "FIXKB_CONTENT", default_value = "content", global = true)]
    pub content: PathBuf,

    /// Folder for the SQLite database and the search index (created if missing).
    #[arg(long, env = "FIXKB_DATA", default_value = "data", global = true)]
    pub data: PathBuf,

    /// Address and port to listen on.
    #[arg(long, env = "FIXKB_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,

    /// The site's public base URL, used in canonical links, feeds, link previews and script
    /// headers (e.g. https://kb.example.com). Defaults to http://<bind>.
    #[arg(long, env = "FIXKB_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Days after the last review when an article is flagged as needing review.
    #[arg(long, env = "FIXKB_REVIEW_EVERY", default_value_t = 365, global = true)]
    pub review_every: u32,

    /// Days to keep the search log before pruning it.
    #[arg(long, env = "FIXKB_SEARCH_LOG_DAYS", default_value_t = 180, global = true)]
    pub search_log_days: u32,

    /// Megabytes of recent search answers kept, so repeated searches skip the index (0 turns
    /// the cache off).
    #[arg(long, env = "FIXKB_SEARCH_CACHE_MB", default_value_t = 32, global = true)]
    pub search_cache_mb: u64,

    /// Megabytes of words the search has scored, kept so that later searches with the same
    /// words add their scores instead of reading them again (0 turns the cache off).
    #[arg(long, env = "FIXKB_WORD_CACHE_MB", default_value_t = 32, global = true)]
    pub word_cache_mb: u64,

    /// Admin token (environment only, never a flag: flags show up in process lists).
    #[arg(skip = std::env::var("FIXKB_ADMIN_TOKEN").ok().filter(|t| !t.is_empty()))]
    pub admin_token: Option<String>,
}

impl Config {
    /// A configuration for tests and embedding: content at `content`, data at `data`.
    pub fn new(content: impl Into<PathBuf>, data: impl Into<PathBuf>) -> Self {
        Self {
            content: content.into(),
            data: data.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            review_every: 365,
            search_log_days: 180,
            search_cache_mb: 32,
            word_cache_mb: 32,
            admin_token: None,
        }
    }

    /// The public base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }
}
