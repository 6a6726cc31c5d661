//! Target languages. Each submodule is the only place that quotes values for its language:
//! [`powershell`], [`posix`] (sh), [`cmd`], [`reg`] and [`xml`].
//!
//! How a value reaches a script depends on the language (DESIGN §4):
//! - PowerShell, sh and cmd templates never print values. The engine writes a preamble (a
//!   `param()` block, assignments, `set` lines) and the body refers to variables. Their
//!   templates render with a formatter that fails on any `{{ … }}`, so raw interpolation is
//!   impossible rather than merely discouraged, and a template that tries fails at load time.
//! - reg and xml templates print values with `{{ value }}`; the formatter escapes every printed
//!   value for the file's language, ignoring minijinja's "safe" marking, so neither `|safe`
//!   nor `{% autoescape false %}` can bypass it.
//! - A value inside another language inside the file goes through that language's filter
//!   first (`{{ args | cmd }}`, `{{ path | powershell }}`), then the file's own escaping.

pub mod cmd;
pub mod posix;
pub mod powershell;
pub mod reg;
pub mod xml;

use std::fmt::Write as _;

use minijinja::{Error, ErrorKind, Output, State, Value as JinjaValue};
use serde::{Deserialize, Serialize};

/// The language of a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Windows PowerShell `.ps1`: UTF-8 with BOM, CRLF.
    Powershell,
    /// POSIX sh: UTF-8 without BOM, LF.
    Sh,
    /// cmd.exe batch `.cmd`: ASCII, CRLF.
    Cmd,
    /// Registry editor `.reg`: UTF-16LE with BOM, CRLF.
    Reg,
    /// XML: UTF-8 with declaration, CRLF.
    Xml,
}

impl Language {
    /// Name as written in `fix.toml` and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Powershell => "powershell",
            Language::Sh => "sh",
            Language::Cmd => "cmd",
            Language::Reg => "reg",
            Language::Xml => "xml",
        }
    }

    /// File extensions a fix of this language may use for its `filename`.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Language::Powershell => &["ps1"],
            Language::Sh => &["sh"],
            Language::Cmd => &["cmd", "bat"],
            Language::Reg => &["reg"],
            Language::Xml => &["xml", "csdef"],
        }
    }

    /// True when templates print values inline (with escaping) instead of using variables.
    pub fn prints_values(self) -> bool {
        matches!(self, Language::Reg | Language::Xml)
    }

    /// Rules this language adds to the always-rejected characters, for a value that lands in
    /// it (as the file's language or as an inner language). The message completes a sentence
    /// starting with the field's label.
    pub fn check_value(self, value: &str) -> Result<(), String> {
        match self {
            Language::Cmd => cmd::check(value),
            // The shared rules (chars.rs) already reject what these cannot hold.
            Language::Powershell | Language::Sh | Language::Reg | Language::Xml => Ok(()),
        }
    }

    /// Turns the finished text (LF line endings, values already free of CR/LF) into the file's
    /// bytes: encoding, byte order mark and line endings per DESIGN §4.
    pub fn encode(self, text: &str) -> Vec<u8> {
        let crlf = || text.replace('\n', "\r\n");
        match self {
            Language::Powershell => {
                let mut bytes = vec![0xEF, 0xBB, 0xBF];
                bytes.extend_from_slice(crlf().as_bytes());
                bytes
            }
            Language::Sh => text.as_bytes().to_vec(),
            // Values are ASCII (cmd's allow-list) and templates are checked at load time.
            Language::Cmd => crlf().into_bytes(),
            Language::Reg => {
                let mut bytes = vec![0xFF, 0xFE];
                for unit in crlf().encode_utf16() {
                    bytes.extend_from_slice(&unit.to_le_bytes());
                }
                bytes
            }
            Language::Xml => crlf().into_bytes(),
        }
    }

    /// The lines the engine writes before the header (shebang, `@echo off`, signatures).
    pub fn prologue(self) -> &'static str {
        match self {
            Language::Powershell => "",
            Language::Sh => "#!/bin/sh\n",
            Language::Cmd => "@echo off\nsetlocal EnableExtensions DisableDelayedExpansion\n",
            Language::Reg => "Windows Registry Editor Version 5.00\n\n",
            Language::Xml => "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
        }
    }

    /// `lines` (trusted text) as a comment block in this language.
    pub fn comment(self, lines: &[String]) -> String {
        let mut out = String::new();
        let clean = |l: &str| l.chars().filter(|c| !c.is_control()).collect::<String>();
        match self {
            Language::Powershell | Language::Sh => lines.iter().for_each(|l| {
                let _ = writeln!(out, "# {}", clean(l));
            }),
            Language::Cmd => lines.iter().for_each(|l| {
                // `rem` lines still go through %-expansion in a batch file.
                let _ = writeln!(out, "rem {}", cmd::comment_text(&clean(l)));
            }),
            Language::Reg => lines.iter().for_each(|l| {
                let _ = writeln!(out, "; {}", clean(l));
            }),
            Language::Xml => {
                out.push_str("<!--\n");
                for l in lines {
                    let _ = writeln!(out, "  {}", xml::comment_text(&clean(l)));
                }
                out.push_str("-->\n");
            }
        }
        out
    }
}

/// The minijinja formatter for templates of `lang`: escapes every printed value, or refuses to
/// print at all where values must be variables.
pub fn format_value(lang: Language, out: &mut Output, value: &JinjaValue) -> Result<(), Error> {
    if !lang.prints_values() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "{} templates cannot print values with {{{{ … }}}}: the engine declares every parameter at the top of the script; use the variable ({})",
                lang.as_str(),
                match lang {
                    Language::Powershell => "$Name",
                    Language::Sh => "\"$name\"",
                    _ => "\"%NAME%\"",
                }
            ),
        ));
    }
    if value.is_undefined() || value.is_none() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "an empty optional value was printed; wrap it in {% if name %}…{% endif %}",
        ));
    }
    let text = match value.kind() {
        minijinja::value::ValueKind::String
        | minijinja::value::ValueKind::Number
        | minijinja::value::ValueKind::Bool => value.to_string(),
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "only single values can be printed; loop over lists",
            ));
        }
    };
    let escaped = match lang {
        Language::Reg => reg::escape(&text),
        _ => xml::escape(&text),
    };
    out.write_str(&escaped).map_err(Error::from)
}

/// `{{ value | cmd }}`: a value inside a cmd.exe command line. cmd has no quoting that is safe
/// for every value, so this checks the allow-list and returns the value unchanged.
pub fn cmd_filter(_state: &State, value: JinjaValue) -> Result<String, Error> {
    let text = value.to_string();
    cmd::check(&text)
        .map_err(|why| Error::new(ErrorKind::InvalidOperation, format!("value for a cmd line {why}")))?;
    Ok(text)
}

/// `{{ value | powershell }}`: a value inside a PowerShell command line, as a single-quoted
/// literal.
pub fn powershell_filter(value: JinjaValue) -> String {
    powershell::quote(&value.to_string())
}

/// `{{ number | dword }}`: a typed integer as a `.reg` DWORD, `dword:0000002a`.
pub fn dword_filter(value: JinjaValue) -> Result<String, Error> {
    let n = i64::try_from(value.clone())
        .ok()
        .and_then(|n| u32::try_from(n).ok());
    n.map(reg::dword).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("{value} is not a DWORD (0 to 4294967295)"),
        )
    })
}
