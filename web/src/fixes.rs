//! Executable fixes: typed parameters rendered into scripts no value can change the shape of.
//!
//! A fix is `fixes/<id>/fix.toml` plus minijinja templates (DESIGN §3). The pipeline:
//! raw strings → [`params`] (NFC, always-rejected characters, type parsing, canonical form) →
//! the target language's rules ([`lang`]) → cross-field [`Rule`]s → [`render`]: the engine
//! writes the prologue, a header from trusted content only ([`header`]), the language's
//! preamble holding the values, then the template body, and encodes the file.
//!
//! Templates cannot bypass escaping: PowerShell, sh and cmd templates cannot print values at
//! all (their formatter fails, so a template that tries fails at load time) and refer to the
//! variables the engine declares; reg and xml templates print values through a formatter that
//! escapes every value for the file's language and ignores minijinja's "safe" marking. See
//! [`lang`] for the per-language rules and [`check`] for the proof `fixkb check` runs.

pub mod chars;
pub mod check;
pub mod cli;
pub mod corpus;
mod definition;
mod header;
pub mod lang;
pub mod params;
mod render;
pub mod schema;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use minijinja::Environment;

use crate::content::Diagnostic;

pub use check::check_library;
pub use lang::Language;
pub use params::{Kind, Param, Value};
pub use render::{ParamError, RenderContext, RenderError, Script, ScriptKind, render, validate};

/// A loaded, checked fix definition.
#[derive(Debug, Clone)]
pub struct Fix {
    /// Folder name under `fixes/`.
    pub id: String,
    /// Title shown in lists and in the script header.
    pub title: String,
    /// One-line summary.
    pub summary: String,
    /// Language of the generated file (and of the revert script).
    pub language: Language,
    /// Download file name.
    pub filename: String,
    /// Download file name of the revert script, when there is one.
    pub revert_filename: Option<String>,
    /// Bumped when the script's behaviour changes; part of the receipt.
    pub version: u32,
    /// The script must run elevated.
    pub requires_admin: bool,
    /// The script changes the system (so it supports `-WhatIf` and has a revert).
    pub changes_state: bool,
    /// Why a state-changing fix has no revert script.
    pub irreversible: Option<String>,
    /// Oldest PowerShell the script must run on, as (major, minor); `None`: 5.1.
    pub powershell_version: Option<(u32, u32)>,
    /// Platforms, in words.
    pub applies_to: Vec<String>,
    /// Parameters in form order.
    pub params: Vec<Param>,
    /// Cross-field checks.
    pub rules: Vec<Rule>,
    templates: Arc<Templates>,
}

impl Fix {
    /// True when there is a revert script.
    pub fn has_revert(&self) -> bool {
        self.templates.revert.is_some()
    }

    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The parameter values `fixkb check` and examples use: defaults, else examples.
    pub fn benign_values(&self) -> BTreeMap<String, String> {
        self.params
            .iter()
            .filter_map(|p| {
                p.default
                    .clone()
                    .or_else(|| p.example.clone())
                    .map(|v| (p.name.clone(), v))
            })
            .collect()
    }
}

/// A cross-field check from `[[rules]]`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// minijinja expression over the typed values; must be true.
    pub check: String,
    /// Shown when it is false.
    pub message: String,
    /// The field the message is attached to.
    pub param: String,
}

/// The compiled templates of one fix.
struct Templates {
    env: Environment<'static>,
    fix: String,
    revert: Option<String>,
}

impl fmt::Debug for Templates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Templates")
            .field("fix", &self.fix)
            .field("revert", &self.revert)
            .finish_non_exhaustive()
    }
}

/// What [`load_dir`] returns: fixes by id, their problems, and (path relative to the content
/// root, text) of every file read.
pub type Loaded = (
    BTreeMap<String, Arc<Fix>>,
    Vec<Diagnostic>,
    Vec<(String, Arc<str>)>,
);

/// Loads every `<dir>/<id>/fix.toml` with its templates. Returns the fixes that load and
/// render with their defaults, a diagnostic for each one that does not (it is skipped), and
/// the (path relative to the content root, text) of every file read, for the content revision.
pub fn load_dir(dir: &Path) -> Loaded {
    let mut fixes = BTreeMap::new();
    let mut diagnostics = Vec::new();
    let mut sources = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (fixes, diagnostics, sources);
    };
    let mut folders: Vec<_> = entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.path())
        .collect();
    folders.sort();
    for folder in folders {
        let id = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if id.starts_with('.') {
            continue;
        }
        let rel = |file: &str| format!("fixes/{id}/{file}");
        let text = match std::fs::read_to_string(folder.join("fix.toml")) {
            Ok(t) => t,
            Err(e) => {
                diagnostics.push(Diagnostic::error(
                    rel("fix.toml"),
                    None,
                    format!("cannot read: {e}; the fix is skipped"),
                ));
                continue;
            }
        };
        sources.push((rel("fix.toml"), Arc::<str>::from(text.as_str())));
        let mut read = |file: &str| {
            let body = std::fs::read_to_string(folder.join(file)).map_err(|e| e.to_string())?;
            sources.push((rel(file), Arc::<str>::from(body.as_str())));
            Ok(body)
        };
        match load_one(&id, &text, &mut read) {
            Ok(fix) => {
                fixes.insert(id.clone(), Arc::new(fix));
            }
            Err(e) => diagnostics.push(Diagnostic::error(
                rel(&e.file),
                e.line,
                format!("{}; the fix is skipped", e.message),
            )),
        }
    }
    (fixes, diagnostics, sources)
}

/// Parses one fix and renders it with its defaults (fix and revert), so what loads renders.
fn load_one(
    id: &str,
    text: &str,
    read: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Fix, definition::LoadError> {
    let fix = definition::parse(id, text, read)?;
    let ctx = RenderContext {
        base_url: "https://kb.example".into(),
        article_url: None,
        revision: "0".into(),
    };
    let benign = fix.benign_values();
    for (kind, file) in [
        (ScriptKind::Fix, Some(&fix.templates.fix)),
        (ScriptKind::Revert, fix.templates.revert.as_ref()),
    ] {
        let Some(file) = file else { continue };
        if let Err(e) = render(&fix, &benign, &ctx, kind) {
            let message = match e {
                RenderError::Template(m) => m,
                other => format!("does not render with its defaults: {other}"),
            };
            return Err(definition::LoadError {
                file: file.clone(),
                line: None,
                message,
            });
        }
    }
    Ok(fix)
}

/// Loads one fix from `fix.toml` text and in-memory templates (tests, fixtures).
pub fn parse_fix(id: &str, text: &str, templates: &[(&str, &str)]) -> Result<Fix, String> {
    let mut read = |file: &str| {
        templates
            .iter()
            .find(|(name, _)| *name == file)
            .map(|(_, body)| (*body).to_owned())
            .ok_or_else(|| "no such file".to_owned())
    };
    load_one(id, text, &mut read).map_err(|e| format!("{}:{}: {}", e.file, e.line.unwrap_or(0), e.message))
}

#[cfg(test)]
mod tests;
