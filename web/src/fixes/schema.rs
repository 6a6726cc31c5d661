//! The JSON shape of a fix for `/api/fixes` and `/api/fixes/{fix}`: parameter names, types and
//! the constraints the server enforces, so a client can build the same form.

use serde::Serialize;

use super::params::{ChoiceOption, Kind, Param};
use super::{Fix, Language};

/// A fix as `/api/fixes/{fix}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct FixSchema {
    /// Fix id.
    pub id: String,
    /// Title.
    pub title: String,
    /// One-line summary.
    pub summary: String,
    /// Language of the generated file.
    pub language: Language,
    /// Download file name.
    pub filename: String,
    /// Download file name of the revert script, if any.
    pub revert_filename: Option<String>,
    /// Definition version.
    pub version: u32,
    /// Must run elevated.
    pub requires_admin: bool,
    /// Changes the system.
    pub changes_state: bool,
    /// Why it cannot be reverted, for state-changing fixes without a revert.
    pub irreversible: Option<String>,
    /// Platforms.
    pub applies_to: Vec<String>,
    /// Parameters in form order.
    pub params: Vec<ParamSchema>,
    /// Cross-field rules (their messages; the expressions are internal).
    pub rules: Vec<RuleSchema>,
}

/// One parameter.
#[derive(Debug, Clone, Serialize)]
pub struct ParamSchema {
    /// Name used in query strings and JSON.
    pub name: String,
    /// Form label.
    pub label: String,
    /// Type (DESIGN §3).
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Whether an empty value is refused.
    pub required: bool,
    /// Help text.
    pub help: String,
    /// Canonical default.
    pub default: Option<String>,
    /// Example value.
    pub example: Option<String>,
    /// What the server checks.
    pub constraints: Constraints,
}

/// Constraints of a parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Constraints {
    /// Smallest integer.
    pub min: Option<i64>,
    /// Largest integer.
    pub max: Option<i64>,
    /// Longest value, in characters.
    pub max_length: usize,
    /// Regular expression the whole value must match.
    pub pattern: Option<String>,
    /// Options of choice/choices.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<ChoiceOption>,
    /// Inner languages whose rules also apply (e.g. `cmd`: only letters, digits, space and
    /// `. _ - : \ / @ + #`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inner: Vec<Language>,
}

/// A cross-field rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSchema {
    /// The field it is reported on.
    pub param: String,
    /// The message shown when it fails.
    pub message: String,
}

/// The schema of `fix`.
pub fn of(fix: &Fix) -> FixSchema {
    FixSchema {
        id: fix.id.clone(),
        title: fix.title.clone(),
        summary: fix.summary.clone(),
        language: fix.language,
        filename: fix.filename.clone(),
        revert_filename: fix.revert_filename.clone(),
        version: fix.version,
        requires_admin: fix.requires_admin,
        changes_state: fix.changes_state,
        irreversible: fix.irreversible.clone(),
        applies_to: fix.applies_to.clone(),
        params: fix.params.iter().map(param).collect(),
        rules: fix
            .rules
            .iter()
            .map(|r| RuleSchema {
                param: r.param.clone(),
                message: r.message.clone(),
            })
            .collect(),
    }
}

fn param(p: &Param) -> ParamSchema {
    let (min, max) = match p.kind {
        Kind::Port => (Some(1), Some(65535)),
        _ => (p.min, p.max),
    };
    ParamSchema {
        name: p.name.clone(),
        label: p.label.clone(),
        kind: p.kind,
        required: p.required,
        help: p.help.clone(),
        default: p.default.clone(),
        example: p.example.clone(),
        constraints: Constraints {
            min,
            max,
            max_length: p.max_length,
            pattern: p.pattern.clone(),
            options: p.options.clone(),
            inner: p.inner.clone(),
        },
    }
}
