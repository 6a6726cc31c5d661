//! The `fixkb` command line: parse, set up logging, dispatch.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fixkb::config::Config;

// glibc's malloc keeps most of what loading and a full index build free (fragmented arenas it
// never returns): at 100k articles that is hundreds of MB of idle RSS. mimalloc gives free
// pages back to the system. Its features are chosen in Cargo.toml (no transparent huge pages).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A self-hosted knowledge base with executable fixes.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the knowledge base (the default).
    Serve,
    /// Validate the content folder; prints `file:line: message`, exits 1 on errors.
    Check,
    /// Render a fix script: the same bytes as its download, to standard output or FILE.
    Render {
        /// Fix id (the folder name under fixes/).
        fix: String,
        /// A parameter value as name=value; repeat for more.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// Render the revert script instead.
        #[arg(long)]
        revert: bool,
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Rebuild the search index under the data folder (progress bar and summary).
    Index,
    /// Copy the database to FILE with SQLite's online backup API (safe while serving).
    Backup {
        /// Where to write the copy (replaced if it exists).
        file: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "fixkb=info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => run_server(cli.config),
        Command::Check => return fixkb::content::check::run(&cli.config.content),
        Command::Render {
            fix,
            set,
            revert,
            output,
        } => fixkb::fixes::cli::run(&cli.config, &fix, &set, revert, output.as_deref()),
        Command::Index => fixkb::search::cli::run(&cli.config),
        Command::Backup { file } => fixkb::store::backup_database(&cli.config.data, &file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_server(config: Config) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(fixkb::serve(config))
}
