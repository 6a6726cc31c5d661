//! PowerShell: the only place values are quoted for `.ps1` files.
//!
//! Values appear only in the generated `param()` block, as defaults of typed parameters with
//! validation attributes built from the schema, so an edited value is checked again when the
//! script runs. Strings are single-quoted (verbatim: no `$`, backtick or `$(…)` expansion),
//! and every quote PowerShell recognises — `'` and U+2018–U+201B — is doubled.

use std::fmt::Write as _;

use crate::fixes::params::{Kind, Param, Value};

use super::Language;

/// Characters PowerShell treats as a single quote.
pub const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// `s` as a PowerShell verbatim string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if SINGLE_QUOTES.contains(&c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// `min_seconds` → `MinSeconds` (used as `$MinSeconds` and `-MinSeconds`).
pub fn var_name(param: &str) -> String {
    param
        .split('_')
        .map(|part| {
            let mut cs = part.chars();
            cs.next()
                .map(|c| c.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Automatic variables and common parameters a parameter must not shadow (compared
/// case-insensitively, as PowerShell does).
const RESERVED: &[&str] = &[
    "args",
    "input",
    "this",
    "host",
    "error",
    "matches",
    "myinvocation",
    "pscmdlet",
    "psitem",
    "pwd",
    "home",
    "pid",
    "profile",
    "psboundparameters",
    "pshome",
    "shellid",
    "stacktrace",
    "true",
    "false",
    "null",
    "event",
    "eventargs",
    "sender",
    "executioncontext",
    "foreach",
    "lastexitcode",
    "nestedpromptlevel",
    "ofs",
    "psculture",
    "psuiculture",
    "psversiontable",
    "psscriptroot",
    "pscommandpath",
    "switch",
    "verbose",
    "debug",
    "erroraction",
    "warningaction",
    "informationaction",
    "progressaction",
    "errorvariable",
    "warningvariable",
    "informationvariable",
    "outvariable",
    "outbuffer",
    "pipelinevariable",
    "whatif",
    "confirm",
    "psedition",
    "iswindows",
    "islinux",
    "ismacos",
    "iscoreclr",
];

/// Why `param` cannot be a PowerShell parameter name, if it cannot.
pub fn reserved(param: &str) -> Option<String> {
    let name = var_name(param);
    RESERVED
        .contains(&name.to_ascii_lowercase().as_str())
        .then(|| format!("`{param}` would become ${name}, which PowerShell reserves"))
}

/// How the engine opens a PowerShell script.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// `[CmdletBinding()]` (PowerShell 2.0 and later).
    pub cmdlet_binding: bool,
    /// `SupportsShouldProcess`: `-WhatIf` and `-Confirm` (the fix changes state).
    pub should_process: bool,
    /// The script must run elevated.
    pub requires_admin: bool,
    /// The oldest PowerShell it must run on is 4.0 or later, so `#Requires -RunAsAdministrator`
    /// can say so; older targets get an explicit check after the parameters instead.
    pub requires_line: bool,
}

/// The elevation check for PowerShell before 4.0, which has no `#Requires -RunAsAdministrator`.
const ADMIN_CHECK: &str = "\n# Stop unless elevated: PowerShell before 4.0 cannot require it with #Requires.
$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'Run this script as administrator.'
}
";

/// The `#Requires` line, `[CmdletBinding]` and `param()` block holding `values` as defaults,
/// then the re-check of those defaults.
pub fn preamble(params: &[Param], values: &[Value], options: Options) -> String {
    let mut out = String::new();
    if options.requires_admin && options.requires_line {
        out.push_str("#Requires -RunAsAdministrator\n\n");
    }
    if options.should_process {
        out.push_str("[CmdletBinding(SupportsShouldProcess)]\n");
    } else if options.cmdlet_binding {
        out.push_str("[CmdletBinding()]\n");
    }
    out.push_str("param(");
    for (i, (param, value)) in params.iter().zip(values).enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n\n" });
        for attribute in attributes(param) {
            let _ = writeln!(out, "    {attribute}");
        }
        let _ = write!(
            out,
            "    [{}]${} = {}",
            type_name(param),
            var_name(&param.name),
            literal(param, value)
        );
    }
    out.push_str(if params.is_empty() { ")\n" } else { "\n)\n" });
    if !params.is_empty() {
        out.push_str(
            "\n# PowerShell validates arguments but not defaults: assigning re-runs the checks above.\n",
        );
        for param in params {
            let name = var_name(&param.name);
            let _ = writeln!(out, "${name} = ${name}");
        }
    }
    if options.requires_admin && !options.requires_line {
        out.push_str(ADMIN_CHECK);
    }
    out
}

fn type_name(param: &Param) -> &'static str {
    match param.kind {
        Kind::Integer | Kind::Port => {
            let fits = |n: Option<i64>| n.is_some_and(|n| i32::try_from(n).is_ok());
            if param.kind == Kind::Port || (fits(param.min) && fits(param.max)) {
                "int"
            } else {
                "long"
            }
        }
        Kind::Boolean => "bool",
        Kind::Choices => "string[]",
        _ => "string",
    }
}

fn literal(param: &Param, value: &Value) -> String {
    match value {
        Value::Text(s) => quote(s),
        Value::Integer(n) => n.to_string(),
        Value::Boolean(b) => if *b { "$true" } else { "$false" }.to_owned(),
        Value::List(items) => format!(
            "@({})",
            items.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
        ),
        Value::Empty => match param.kind {
            Kind::Choices => "@()".to_owned(),
            Kind::Boolean => "$false".to_owned(),
            _ => "''".to_owned(),
        },
    }
}

/// Validation attributes mirroring the server's checks.
fn attributes(param: &Param) -> Vec<String> {
    let mut out = Vec::new();
    match param.kind {
        Kind::Integer => match (param.min, param.max) {
            (Some(min), Some(max)) => out.push(format!("[ValidateRange({min}, {max})]")),
            (Some(min), None) => out.push(format!("[ValidateRange({min}, {})]", i64::MAX)),
            (None, Some(max)) => out.push(format!("[ValidateRange({}, {max})]", i64::MIN)),
            (None, None) => {}
        },
        Kind::Port => out.push("[ValidateRange(1, 65535)]".to_owned()),
        Kind::Boolean => {}
        Kind::Choice | Kind::Choices => {
            let options: Vec<String> = param.options.iter().map(|o| quote(&o.value)).collect();
            let empty = if param.required { "" } else { ", ''" };
            if param.kind == Kind::Choice {
                out.push(format!("[ValidateSet({}{empty})]", options.join(", ")));
            } else {
                out.push(format!("[ValidateSet({})]", options.join(", ")));
            }
        }
        _ => {
            let min = usize::from(param.required);
            out.push(format!("[ValidateLength({min}, {})]", param.max_length));
            out.push(format!("[ValidatePattern({})]", quote(&pattern(param))));
        }
    }
    out
}

/// Characters no textual value may contain (.NET regex class body), as in `chars.rs`.
const FORBIDDEN_CLASS: &str = r"\x00-\x08\x0A-\x1F\x7F-\x9F\p{Cf}\p{Zl}\p{Zp}";
const FORBIDDEN_WITH_TAB: &str = r"\x00-\x1F\x7F-\x9F\p{Cf}\p{Zl}\p{Zp}";

/// The .NET regular expression for `[ValidatePattern]`: the type's shape, the forbidden
/// characters, and the rules of inner languages. Anchored with `\A` and `\z` (not `^` and `$`,
/// which .NET lets match before a final newline). Written in the subset .NET and the `regex`
/// crate share, so tests can check that every value the server accepts passes it too (except
/// the inner-language lookaheads, which `regex` lacks). PowerShell matches case-insensitively.
pub fn pattern(param: &Param) -> String {
    let no = if param.kind == Kind::Text {
        FORBIDDEN_CLASS
    } else {
        FORBIDDEN_WITH_TAB
    };
    let body = match param.kind {
        Kind::Text => match &param.pattern {
            Some(p) => format!(r"(?=[^{no}]*\z)(?:{p})"),
            None => format!("[^{no}]*"),
        },
        Kind::AdapterName => format!(r"[^*?\[\]{no}]+"),
        Kind::WindowsPath => format!(r#"(?:[A-Za-z]:\\|\\\\)[^<>:"|?*/{no}]*"#),
        Kind::PosixPath => format!("/[^{no}]*"),
        Kind::Hostname => r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?".to_owned(),
        Kind::Ipv4 => r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])".to_owned(),
        Kind::Ipv6 => r"[0-9A-Fa-f:.]+".to_owned(),
        Kind::Identifier => r"[A-Za-z_][A-Za-z0-9_]*".to_owned(),
        Kind::KbNumber => r"KB[1-9][0-9]{3,7}".to_owned(),
        Kind::Guid => r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".to_owned(),
        Kind::Integer | Kind::Port | Kind::Boolean | Kind::Choice | Kind::Choices => ".*".to_owned(),
    };
    let mut inner = String::new();
    if param.inner.contains(&Language::Cmd) {
        inner.push_str(&format!(r"(?=[{}]*\z)(?![\s\S]*\\\z)", super::cmd::ALLOWED_CLASS));
    }
    if param.required {
        format!(r"\A{inner}(?:{body})\z")
    } else {
        format!(r"\A{inner}(?:(?:{body})|)\z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixes::check::readers::powershell_verbatim as unquote;
    use proptest::prelude::*;

    #[test]
    fn doubles_every_kind_of_single_quote() {
        assert_eq!(quote("it's"), "'it''s'");
        assert_eq!(
            quote("a\u{2018}b\u{2019}c\u{201A}d\u{201B}"),
            "'a\u{2018}\u{2018}b\u{2019}\u{2019}c\u{201A}\u{201A}d\u{201B}\u{201B}'"
        );
        assert_eq!(quote("$(calc) `n \"x\""), "'$(calc) `n \"x\"'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn names_become_pascal_case_and_reserved_ones_are_refused() {
        assert_eq!(var_name("min_seconds"), "MinSeconds");
        assert_eq!(var_name("adapter"), "Adapter");
        assert!(reserved("args").is_some());
        assert!(reserved("what_if").is_some());
        assert!(reserved("adapter").is_none());
    }

    proptest! {
        #[test]
        fn quote_then_powershell_unquote_gives_back_the_string(s in "\\PC*") {
            let q = quote(&s);
            let (back, end) = unquote(&q).ok_or_else(|| TestCaseError::fail("unterminated"))?;
            prop_assert_eq!(back, s);
            prop_assert_eq!(end, q.len());
        }

        #[test]
        fn quote_survives_strings_made_of_quotes(s in "['‘’‚‛a$`\"]{0,12}") {
            let q = quote(&s);
            prop_assert_eq!(unquote(&q), Some((s, q.len())));
        }
    }
}
