//! `fixes/<id>/fix.toml`: the file format (DESIGN §3), and turning it into a checked [`Fix`].
//!
//! Everything an author can get wrong is caught here, with the file and line: unknown keys,
//! bad names, defaults that fail their own type, templates that print values where the
//! language forbids it, a state-changing fix without a revert. [`super::load_dir`] then
//! renders each fix once with its defaults, so a fix that loads also renders.

use std::collections::BTreeSet;
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior};
use regex::Regex;
use serde::Deserialize;

use super::lang::{self, Language};
use super::params::{ChoiceOption, Kind, Param};
use super::{Fix, Rule, Templates};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixToml {
    title: String,
    summary: String,
    language: Language,
    template: String,
    revert: Option<String>,
    filename: String,
    revert_filename: Option<String>,
    version: u32,
    #[serde(default)]
    requires_admin: bool,
    changes_state: Option<bool>,
    irreversible: Option<String>,
    powershell_version: Option<String>,
    #[serde(default)]
    applies_to: Vec<String>,
    #[serde(default)]
    params: Vec<ParamToml>,
    #[serde(default)]
    rules: Vec<RuleToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamToml {
    name: String,
    label: String,
    #[serde(rename = "type")]
    kind: Kind,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    help: String,
    default: Option<toml::Value>,
    example: Option<toml::Value>,
    min: Option<i64>,
    max: Option<i64>,
    max_length: Option<usize>,
    pattern: Option<String>,
    #[serde(default)]
    options: Vec<ChoiceOption>,
    #[serde(default)]
    inner: Vec<Language>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    check: String,
    message: String,
    param: Option<String>,
}

/// A problem in one fix: message and 1-based line in `fix.toml` (or in a template).
#[derive(Debug)]
pub struct LoadError {
    /// File name inside the fix folder (`fix.toml`, `fix.ps1`).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// Parses `fix.toml` text; `read` loads a template file of the fix folder by name.
pub fn parse(
    id: &str,
    text: &str,
    read: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Fix, LoadError> {
    let toml_err = |line, message: String| LoadError {
        file: "fix.toml".into(),
        line,
        message,
    };
    let at = |needle: &str| line_of(text, needle);
    if !valid_id(id) {
        return Err(toml_err(
            None,
            format!("fix id `{id}` must be lower-case letters, digits and -"),
        ));
    }
    let def: FixToml = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        toml_err(line, e.message().to_owned())
    })?;
    for (key, value) in [("title", &def.title), ("summary", &def.summary)] {
        if value.trim().is_empty() || value.chars().any(char::is_control) {
            return Err(toml_err(at(key), format!("`{key}` must be one non-empty line")));
        }
    }
    let lang = def.language;
    for (key, name) in [
        ("filename", Some(&def.filename)),
        ("revert_filename", def.revert_filename.as_ref()),
    ] {
        let Some(name) = name else { continue };
        let ext_ok = name
            .rsplit_once('.')
            .is_some_and(|(_, ext)| lang.extensions().contains(&ext.to_ascii_lowercase().as_str()));
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            || !ext_ok
        {
            return Err(toml_err(
                at(key),
                format!(
                    "`{key}` must be letters, digits, . _ - and end in .{}",
                    lang.extensions().join(" or .")
                ),
            ));
        }
    }
    let changes_state = def.changes_state.unwrap_or(def.revert.is_some());
    if changes_state && def.revert.is_none() && def.irreversible.is_none() {
        return Err(toml_err(
            at("changes_state"),
            "a fix that changes state needs a `revert` template (or `irreversible = \"why it cannot be undone\"`)".into(),
        ));
    }
    let ps_version = def
        .powershell_version
        .as_deref()
        .map(parse_version)
        .transpose()
        .map_err(|m| toml_err(at("powershell_version"), m))?;
    if ps_version.is_some() && lang != Language::Powershell {
        return Err(toml_err(
            at("powershell_version"),
            "`powershell_version` is for powershell fixes only".into(),
        ));
    }
    let mut params = Vec::new();
    let mut names = BTreeSet::new();
    for p in def.params {
        let line = at(&format!("\"{}\"", p.name));
        let param = build_param(p, lang).map_err(|m| toml_err(line, m))?;
        if !names.insert(param.name.clone()) {
            return Err(toml_err(
                line,
                format!("parameter `{}` is declared twice", param.name),
            ));
        }
        params.push(param);
    }
    let mut rules = Vec::new();
    for r in def.rules {
        let line = at(&r.check);
        let param = match r.param {
            Some(p) if names.contains(&p) => p,
            Some(p) => return Err(toml_err(line, format!("rule names unknown parameter `{p}`"))),
            None => match words(&r.check).find(|w| names.contains(*w)) {
                Some(p) => p.to_owned(),
                None => return Err(toml_err(line, "rule does not mention any parameter".into())),
            },
        };
        rules.push(Rule {
            check: r.check,
            message: r.message,
            param,
        });
    }
    let mut env = environment(lang);
    for (key, file) in [("template", Some(&def.template)), ("revert", def.revert.as_ref())] {
        let Some(file) = file else { continue };
        if file.contains(['/', '\\']) || file.starts_with('.') {
            return Err(toml_err(
                at(key),
                format!("`{key}` must be a file name in the fix folder"),
            ));
        }
        let source = read(file).map_err(|m| toml_err(at(key), format!("cannot read {file}: {m}")))?;
        check_template(lang, &source).map_err(|(line, message)| LoadError {
            file: file.clone(),
            line,
            message,
        })?;
        env.add_template_owned(file.clone(), source)
            .map_err(|e| LoadError {
                file: file.clone(),
                line: e.line(),
                message: e.to_string(),
            })?;
    }
    for rule in &rules {
        env.compile_expression(&rule.check)
            .map_err(|e| toml_err(at(&rule.check), format!("rule `{}`: {e}", rule.check)))?;
    }
    let revert_filename = def.revert.as_ref().map(|_| {
        def.revert_filename
            .clone()
            .unwrap_or_else(|| match def.filename.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}-Revert.{ext}"),
                None => format!("{}-Revert", def.filename),
            })
    });
    Ok(Fix {
        id: id.to_owned(),
        title: def.title,
        summary: def.summary,
        language: lang,
        filename: def.filename,
        revert_filename,
        version: def.version,
        requires_admin: def.requires_admin,
        changes_state,
        irreversible: def.irreversible,
        powershell_version: ps_version,
        applies_to: def.applies_to,
        params,
        rules,
        templates: Arc::new(Templates {
            env,
            fix: def.template,
            revert: def.revert,
        }),
    })
}

/// The minijinja environment for templates of `lang`: no builtins (so no `safe`, no
/// `escape`), strict undefined, the language's formatter and the inner-language filters.
fn environment(lang: Language) -> Environment<'static> {
    let mut env = Environment::empty();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_formatter(move |out, _state, value| lang::format_value(lang, out, value));
    env.add_filter("cmd", lang::cmd_filter);
    env.add_filter("powershell", lang::powershell_filter);
    env.add_filter("dword", lang::dword_filter);
    env
}

/// Checks a template's text before it is compiled.
fn check_template(lang: Language, source: &str) -> Result<(), (Option<usize>, String)> {
    for (i, line) in source.lines().enumerate() {
        if let Some(c) = line.chars().find(|c| c.is_control() && *c != '\t' && *c != '\r') {
            return Err((
                Some(i + 1),
                format!("contains the control character U+{:04X}", c as u32),
            ));
        }
        if lang == Language::Cmd && !line.is_ascii() {
            return Err((Some(i + 1), "cmd templates must be ASCII".into()));
        }
    }
    let first = source.lines().next().unwrap_or("").trim();
    let engine_owned = match lang {
        Language::Sh => first.starts_with("#!").then_some("the #!/bin/sh line"),
        Language::Cmd => first
            .eq_ignore_ascii_case("@echo off")
            .then_some("@echo off and setlocal"),
        Language::Reg => first
            .starts_with("Windows Registry Editor")
            .then_some("the signature line"),
        Language::Xml => first.starts_with("<?xml").then_some("the XML declaration"),
        Language::Powershell => {
            let lower = source.to_ascii_lowercase();
            (lower.contains("param(") || lower.contains("[cmdletbinding"))
                .then_some("the param() block and [CmdletBinding()]")
        }
    };
    if let Some(what) = engine_owned {
        return Err((
            Some(1),
            format!("the engine writes {what}; remove it from the template"),
        ));
    }
    Ok(())
}

fn build_param(p: ParamToml, lang: Language) -> Result<Param, String> {
    let name_ok = p.name.len() <= 32
        && p.name.starts_with(|c: char| c.is_ascii_lowercase())
        && p.name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !name_ok {
        return Err(format!(
            "parameter name `{}` must be lower-case letters, digits and _ (at most 32)",
            p.name
        ));
    }
    let reserved = match lang {
        Language::Powershell => lang::powershell::reserved(&p.name),
        Language::Sh => lang::posix::reserved(&p.name),
        Language::Cmd => lang::cmd::reserved(&p.name),
        Language::Reg | Language::Xml => None,
    };
    if let Some(why) = reserved {
        return Err(why);
    }
    if p.label.trim().is_empty() || p.label.chars().any(char::is_control) {
        return Err(format!("parameter `{}` needs a one-line `label`", p.name));
    }
    let has_options = matches!(p.kind, Kind::Choice | Kind::Choices);
    if has_options == p.options.is_empty() {
        return Err(format!(
            "parameter `{}`: `options` go with type choice or choices, and those need options",
            p.name
        ));
    }
    for o in &p.options {
        if o.value.is_empty()
            || !o
                .value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        {
            return Err(format!(
                "option `{}` of `{}` must be letters, digits, _ . -",
                o.value, p.name
            ));
        }
    }
    if p.kind == Kind::Choices && matches!(lang, Language::Sh | Language::Cmd | Language::Reg) {
        return Err(format!(
            "type choices is not available in {} fixes",
            lang.as_str()
        ));
    }
    if (p.min.is_some() || p.max.is_some()) && p.kind != Kind::Integer {
        return Err(format!(
            "`min`/`max` only apply to integer parameters (`{}`)",
            p.name
        ));
    }
    if let (Some(min), Some(max)) = (p.min, p.max)
        && min > max
    {
        return Err(format!("`{}`: min is larger than max", p.name));
    }
    if p.pattern.is_some() && p.kind != Kind::Text {
        return Err(format!(
            "`pattern` only applies to text parameters (`{}`)",
            p.name
        ));
    }
    let pattern_regex = p
        .pattern
        .as_deref()
        .map(|pat| Regex::new(&format!("^(?:{pat})$")).map_err(|e| format!("`{}`: bad pattern: {e}", p.name)))
        .transpose()?;
    let max_length = p.max_length.unwrap_or(p.kind.default_max_length());
    if max_length == 0 || max_length > super::params::HARD_MAX_LENGTH {
        return Err(format!(
            "`{}`: max_length must be 1 to {}",
            p.name,
            super::params::HARD_MAX_LENGTH
        ));
    }
    if p.inner
        .iter()
        .any(|l| !matches!(l, Language::Cmd | Language::Powershell))
    {
        return Err(format!("`{}`: inner languages can be cmd or powershell", p.name));
    }
    let mut param = Param {
        name: p.name,
        label: p.label,
        kind: p.kind,
        required: p.required,
        help: p.help,
        default: None,
        example: None,
        min: p.min,
        max: p.max,
        max_length,
        pattern: p.pattern,
        pattern_regex,
        options: p.options,
        inner: p.inner,
    };
    let is_scalar_only = matches!(lang, Language::Powershell | Language::Sh | Language::Cmd);
    if !p.required
        && p.default.is_none()
        && is_scalar_only
        && matches!(param.kind, Kind::Integer | Kind::Port)
    {
        return Err(format!(
            "`{}`: an optional number needs a `default` in {} fixes",
            param.name,
            lang.as_str()
        ));
    }
    for (key, raw, slot) in [("default", p.default, 0), ("example", p.example, 1)] {
        let Some(raw) = raw else { continue };
        let text = toml_to_text(&raw).ok_or_else(|| {
            format!(
                "`{}`: `{key}` must be a string, number, boolean or list",
                param.name
            )
        })?;
        let value = param
            .parse(Some(&text), lang)
            .map_err(|m| format!("`{}`: {key} is not valid: {m}", param.name))?;
        let canonical = Some(value.canonical());
        if slot == 0 {
            param.default = canonical
        } else {
            param.example = canonical
        }
    }
    if param.required && param.default.is_none() && param.example.is_none() {
        return Err(format!(
            "required parameter `{}` needs a `default` or an `example`",
            param.name
        ));
    }
    Ok(param)
}

fn toml_to_text(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(n) => Some(n.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Array(items) => items
            .iter()
            .map(toml_to_text)
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(",")),
        _ => None,
    }
}

fn parse_version(v: &str) -> Result<(u32, u32), String> {
    let (major, minor) = v.split_once('.').unwrap_or((v, "0"));
    match (major.parse(), minor.parse()) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        _ => Err(format!("`powershell_version` must look like \"5.1\", not `{v}`")),
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

fn words(expr: &str) -> impl Iterator<Item = &str> {
    expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

/// 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}
