//! Validating a set of raw values and rendering a fix (or its revert) into exact bytes.
//!
//! Output is deterministic: the same fix version, content revision and canonical values give
//! the same bytes, so the SHA-256 identifies a script and the receipt id names the values.

use std::collections::BTreeMap;
use std::fmt;

use minijinja::Value as Jinja;
use serde::Serialize;

use super::header;
use super::lang::{Language, cmd, posix, powershell};
use super::params::Value;
use super::{Fix, Param};

/// Where a script is generated: what the header may link to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderContext {
    /// Public base URL of this knowledge base, without a trailing `/`.
    pub base_url: String,
    /// The article offering the fix, when there is one.
    pub article_url: Option<String>,
    /// Content revision (`Library::revision`).
    pub revision: String,
}

impl RenderContext {
    /// The context for `fix` in `library`: its article is the first one listing it.
    pub fn for_fix(library: &crate::content::Library, fix_id: &str, base_url: &str) -> Self {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let article_url = library
            .article_for_fix(fix_id)
            .map(|a| format!("{base_url}/kb/{}", a.slug));
        RenderContext {
            base_url,
            article_url,
            revision: library.revision.clone(),
        }
    }
}

/// Which of a fix's two scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScriptKind {
    /// The fix itself.
    Fix,
    /// The script that undoes it.
    Revert,
}

/// A generated script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Script {
    /// Download file name.
    pub filename: String,
    /// Language of the file.
    pub language: Language,
    /// The exact file bytes (encoding, BOM and line endings applied).
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// The same content as text with `\n` line endings, for previews.
    pub text: String,
    /// Lower-case hex SHA-256 of `bytes`.
    pub sha256: String,
    /// Receipt id: short hash of fix id, version, revision and canonical values.
    pub receipt: String,
    /// Every parameter's canonical value ("" for an empty optional one).
    pub canonical_params: BTreeMap<String, String>,
}

/// A value problem, attached to the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamError {
    /// Parameter name.
    pub param: String,
    /// What is wrong, naming the field by its label.
    pub message: String,
}

/// Why a script was not generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// The values are not valid (HTTP 422).
    Invalid(Vec<ParamError>),
    /// A revert script was asked for a fix without one (HTTP 404).
    NoRevert,
    /// The template failed: a content bug, reported by `fixkb check` (HTTP 500).
    Template(String),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::Invalid(errors) => {
                let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
                write!(f, "{}", messages.join(" "))
            }
            RenderError::NoRevert => write!(f, "this fix has no revert script"),
            RenderError::Template(m) => write!(f, "template error: {m}"),
        }
    }
}

impl std::error::Error for RenderError {}

/// Validates `raw` (parameter name → text; missing names take their defaults) into one value
/// per parameter, in declaration order. Unknown names are errors, so a typo never silently
/// falls back to a default.
pub fn validate(fix: &Fix, raw: &BTreeMap<String, String>) -> Result<Vec<Value>, Vec<ParamError>> {
    let mut errors: Vec<ParamError> = raw
        .keys()
        .filter(|k| fix.param(k).is_none())
        .map(|k| ParamError {
            param: k.clone(),
            message: format!("This fix has no parameter called “{k}”."),
        })
        .collect();
    let mut values = Vec::with_capacity(fix.params.len());
    for param in &fix.params {
        match param.parse(raw.get(&param.name).map(String::as_str), fix.language) {
            Ok(v) => values.push(v),
            Err(message) => errors.push(ParamError {
                param: param.name.clone(),
                message,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let context = typed_context(&fix.params, &values);
    for rule in &fix.rules {
        let holds = fix
            .templates
            .env
            .compile_expression(&rule.check)
            .and_then(|expr| expr.eval(&context))
            .is_ok_and(|v| v.is_true());
        if !holds {
            errors.push(ParamError {
                param: rule.param.clone(),
                message: rule.message.clone(),
            });
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// Renders `kind` of `fix` with `raw` values.
pub fn render(
    fix: &Fix,
    raw: &BTreeMap<String, String>,
    ctx: &RenderContext,
    kind: ScriptKind,
) -> Result<Script, RenderError> {
    let (template, filename) = match kind {
        ScriptKind::Fix => (&fix.templates.fix, &fix.filename),
        ScriptKind::Revert => match (&fix.templates.revert, &fix.revert_filename) {
            (Some(t), Some(f)) => (t, f),
            _ => return Err(RenderError::NoRevert),
        },
    };
    let values = validate(fix, raw).map_err(RenderError::Invalid)?;
    let canonical_params: BTreeMap<String, String> = fix
        .params
        .iter()
        .zip(&values)
        .map(|(p, v)| (p.name.clone(), v.canonical()))
        .collect();
    let receipt = receipt_id(fix, &ctx.revision, &canonical_params);
    let lang = fix.language;
    let context = if lang.prints_values() {
        typed_context(&fix.params, &values)
    } else {
        Jinja::from(BTreeMap::<String, Jinja>::new())
    };
    let body = fix
        .templates
        .env
        .get_template(template)
        .and_then(|t| t.render(context))
        .map_err(|e| RenderError::Template(describe_template_error(&e)))?;
    let mut text = String::from(lang.prologue());
    text.push_str(&lang.comment(&header::lines(fix, ctx, kind, &receipt)));
    text.push('\n');
    let preamble = match lang {
        Language::Powershell => {
            let (major, _) = fix.powershell_version.unwrap_or((5, 1));
            let options = powershell::Options {
                cmdlet_binding: major >= 2,
                should_process: fix.changes_state && major >= 2,
                requires_admin: fix.requires_admin,
                requires_line: major >= 4,
            };
            powershell::preamble(&fix.params, &values, options)
        }
        Language::Sh => posix::preamble(&fix.params, &values),
        Language::Cmd => cmd::preamble(&fix.params, &values),
        Language::Reg | Language::Xml => String::new(),
    };
    if !preamble.is_empty() {
        text.push_str(&preamble);
        text.push('\n');
    }
    let body = body.replace("\r\n", "\n");
    text.push_str(body.trim_start_matches('\n').trim_end());
    text.push('\n');
    let bytes = lang.encode(&text);
    Ok(Script {
        filename: filename.clone(),
        language: lang,
        sha256: crate::util::sha256_hex(&bytes),
        bytes,
        text,
        receipt,
        canonical_params,
    })
}

/// Short hash of (fix id, version, revision, canonical values).
fn receipt_id(fix: &Fix, revision: &str, canonical: &BTreeMap<String, String>) -> String {
    let mut input = format!("fixkb-receipt\0{}\0{}\0{revision}\0", fix.id, fix.version);
    for (name, value) in canonical {
        input.push_str(name);
        input.push('=');
        input.push_str(value);
        input.push('\0');
    }
    crate::util::short_hash(input.as_bytes())
}

/// Typed values for rules and for templates that print values.
fn typed_context(params: &[Param], values: &[Value]) -> Jinja {
    let map: BTreeMap<String, Jinja> = params
        .iter()
        .zip(values)
        .map(|(p, v)| {
            let value = match v {
                Value::Empty => Jinja::from(()),
                Value::Text(s) => Jinja::from(s.as_str()),
                Value::Integer(n) => Jinja::from(*n),
                Value::Boolean(b) => Jinja::from(*b),
                Value::List(items) => Jinja::from(items.clone()),
            };
            (p.name.clone(), value)
        })
        .collect();
    Jinja::from(map)
}

fn describe_template_error(e: &minijinja::Error) -> String {
    let mut message = e.to_string();
    if e.kind() == minijinja::ErrorKind::UndefinedError {
        message.push_str(
            " (PowerShell, sh and cmd templates see no values: use the variables the engine declares)",
        );
    }
    message
}
