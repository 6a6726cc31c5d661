//! The proof `fixkb check` runs, and the structural readers it uses.
//!
//! Every fix is rendered with its defaults and with the adversarial [`corpus`] through every
//! parameter. Each result must be a validation error naming the field, or a script whose
//! structure is identical to the benign one. "Structure" is read by an independent parser per
//! language: tree-sitter for PowerShell and sh (no error nodes; every value exactly one
//! literal, checked against a lexer of PowerShell's own quoting rules, which treat
//! U+2018–U+201B as quotes where tree-sitter does not), a line reader for cmd, a `.reg`
//! reader, and roxmltree for XML. Byte-level rules (BOM, encoding, line endings) are checked
//! on the way.
//!
//! [`corpus`]: super::corpus

pub(crate) mod readers;

pub use readers::powershell_verbatim;

use readers::{inspect_cmd, inspect_powershell, inspect_reg, inspect_sh, inspect_xml};

use super::{Fix, Language, RenderContext, RenderError, Script, ScriptKind, corpus, render};
use crate::content::{Diagnostic, Library};

/// At most this many problems are reported per fix and script kind.
const MAX_PROBLEMS: usize = 5;

/// Checks every fix of `library` with its defaults and with the adversarial corpus.
pub fn check_library(library: &Library) -> Vec<Diagnostic> {
    let corpus = corpus::values();
    let mut out = Vec::new();
    for fix in library.fixes.values() {
        for problem in check_fix(fix, &corpus) {
            out.push(Diagnostic::error(
                format!("fixes/{}/fix.toml", fix.id),
                None,
                problem,
            ));
        }
    }
    out
}

/// Renders `fix` (and its revert) with its benign values and with each corpus value in each
/// parameter; returns what went wrong.
pub fn check_fix(fix: &Fix, corpus: &[String]) -> Vec<String> {
    let ctx = RenderContext {
        base_url: "https://kb.example".into(),
        article_url: Some("https://kb.example/kb/check".into()),
        revision: "check".into(),
    };
    let benign = fix.benign_values();
    let mut problems = Vec::new();
    let kinds: &[ScriptKind] = if fix.has_revert() {
        &[ScriptKind::Fix, ScriptKind::Revert]
    } else {
        &[ScriptKind::Fix]
    };
    for &kind in kinds {
        let mut found = Vec::new();
        let base = match render(fix, &benign, &ctx, kind) {
            Ok(s) => s,
            Err(e) => {
                problems.push(format!("{kind:?} script does not render with its defaults: {e}"));
                continue;
            }
        };
        let base_shape = match inspect(fix, &base) {
            Ok(shape) => shape,
            Err(why) => {
                problems.push(format!("{kind:?} script with its defaults: {why}"));
                continue;
            }
        };
        'params: for param in &fix.params {
            for value in corpus {
                let mut raw = benign.clone();
                raw.insert(param.name.clone(), value.clone());
                let problem = match render(fix, &raw, &ctx, kind) {
                    Err(RenderError::Invalid(errors)) if errors.iter().any(|e| e.param == param.name) => None,
                    Err(e) => Some(format!("failed without naming the field: {e}")),
                    Ok(script) => match inspect(fix, &script) {
                        Ok(shape) if shape == base_shape => None,
                        Ok(_) => Some("changes the structure of the script".to_owned()),
                        Err(why) => Some(why),
                    },
                };
                if let Some(p) = problem {
                    found.push(format!(
                        "{kind:?} script, parameter `{}` = {value:?}: {p}",
                        param.name
                    ));
                    if found.len() >= MAX_PROBLEMS {
                        break 'params;
                    }
                }
            }
        }
        problems.extend(found);
    }
    problems
}

/// Reads `script` with the structural reader of its language and returns its shape (a string
/// that ignores literal contents), or what is wrong with it.
pub fn inspect(fix: &Fix, script: &Script) -> Result<String, String> {
    let expected: Vec<(String, String)> = fix
        .params
        .iter()
        .filter_map(|p| {
            let value = script.canonical_params.get(&p.name)?.clone();
            let wanted = match fix.language {
                Language::Powershell => p.kind.is_textual(),
                Language::Sh | Language::Cmd => true,
                Language::Reg | Language::Xml => false,
            };
            wanted.then(|| (p.name.clone(), value))
        })
        .collect();
    match script.language {
        Language::Powershell => inspect_powershell(&script.bytes, &expected),
        Language::Sh => inspect_sh(&script.bytes, &expected),
        Language::Cmd => inspect_cmd(&script.bytes, &expected),
        Language::Reg => inspect_reg(&script.bytes),
        Language::Xml => inspect_xml(&script.bytes),
    }
}

/// Reads a `.ps1` file's bytes as [`inspect`] does; `expected` is (parameter name, value).
pub fn inspect_powershell_bytes(bytes: &[u8], expected: &[(String, String)]) -> Result<String, String> {
    inspect_powershell(bytes, expected)
}
