//! `fixkb render <fix> --set name=value … [--revert] [-o FILE]`: the same bytes as the download
//! from a server with the same content folder and public URL.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, bail};

use super::{RenderContext, RenderError, ScriptKind, render};
use crate::config::Config;
use crate::content::Library;

/// Renders `fix_id` with `set` (`name=value` pairs) and writes it to `output` or stdout.
pub fn run(
    config: &Config,
    fix_id: &str,
    set: &[String],
    revert: bool,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let library = Library::load(&config.content, None);
    let Some(fix) = library.fixes.get(fix_id) else {
        let known: Vec<&str> = library.fixes.keys().map(String::as_str).collect();
        bail!(
            "no fix `{fix_id}` in {}; known fixes: {}",
            config.content.display(),
            known.join(", ")
        );
    };
    let mut raw = BTreeMap::new();
    for pair in set {
        let Some((name, value)) = pair.split_once('=') else {
            bail!("--set takes name=value, not `{pair}`");
        };
        raw.insert(name.trim().to_owned(), value.to_owned());
    }
    let ctx = RenderContext::for_fix(&library, fix_id, &config.base_url());
    let kind = if revert {
        ScriptKind::Revert
    } else {
        ScriptKind::Fix
    };
    let script = match render(fix, &raw, &ctx, kind) {
        Ok(s) => s,
        Err(RenderError::Invalid(errors)) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| format!("  {}: {}", e.param, e.message))
                .collect();
            bail!("the values are not valid:\n{}", lines.join("\n"));
        }
        Err(e) => bail!("{fix_id}: {e}"),
    };
    match output {
        Some(path) => {
            std::fs::write(path, &script.bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "wrote {} ({} bytes, sha256 {}, receipt {})",
                path.display(),
                script.bytes.len(),
                script.sha256,
                script.receipt
            );
        }
        None => std::io::stdout()
            .write_all(&script.bytes)
            .context("cannot write to standard output")?,
    }
    Ok(())
}
