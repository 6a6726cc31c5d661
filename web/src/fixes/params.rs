//! Typed parameters: each type parses, normalises and validates its own values, and says what
//! is wrong in words a helpdesk user understands, naming the field.
//!
//! Every value is NFC-normalised first, then checked for the always-rejected characters
//! ([`super::chars`]), then parsed by its type into a canonical [`Value`]. Integers are parsed
//! and re-printed, never echoed. The target language may reject more (cmd's allow-list); that
//! check lives in [`super::lang`].

use std::net::{Ipv4Addr, Ipv6Addr};

use regex::Regex;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::chars;
use super::lang::Language;

/// The longest value any parameter accepts, whatever its own limit says.
pub const HARD_MAX_LENGTH: usize = 4096;

/// A parameter type from DESIGN §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One line of free text (TAB allowed), `max_length`, optional `pattern`.
    Text,
    /// A whole number within `min`..=`max`.
    Integer,
    /// Yes or no.
    Boolean,
    /// One of `options`.
    Choice,
    /// Any subset of `options` (comma-separated in a query string).
    Choices,
    /// A TCP/UDP port, 1–65535.
    Port,
    /// A DNS host name (RFC 1123), lower-cased.
    Hostname,
    /// A dotted-quad IPv4 address.
    Ipv4,
    /// An IPv6 address, printed in its compressed form.
    Ipv6,
    /// An absolute Windows path: `C:\…` or `\\server\share\…`.
    WindowsPath,
    /// An absolute POSIX path.
    PosixPath,
    /// A network adapter name as `Get-NetAdapter` shows it; no wildcards.
    AdapterName,
    /// Letters, digits and `_`, not starting with a digit.
    Identifier,
    /// A Microsoft KB / hotfix number, printed as `KB1234567`.
    KbNumber,
    /// A GUID, printed lower-case without braces.
    Guid,
}

impl Kind {
    /// True for types whose value is a string in every language.
    pub fn is_textual(self) -> bool {
        !matches!(self, Kind::Integer | Kind::Port | Kind::Boolean | Kind::Choices)
    }

    /// The longest value this type accepts when the fix sets no `max_length`.
    pub fn default_max_length(self) -> usize {
        match self {
            Kind::Text | Kind::AdapterName => 256,
            Kind::WindowsPath => 259,
            Kind::PosixPath => HARD_MAX_LENGTH,
            Kind::Hostname => 253,
            Kind::Identifier => 64,
            Kind::Ipv6 => 45,
            Kind::Guid => 38,
            _ => 64,
        }
    }
}

/// One option of a `choice` or `choices` parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// The value scripts see: letters, digits, `_ . -`.
    pub value: String,
    /// What the form shows.
    pub label: String,
}

/// A parameter of a fix, as declared in `fix.toml` and checked at load time.
#[derive(Debug, Clone)]
pub struct Param {
    /// Identifier: `[a-z][a-z0-9_]*`. Becomes `$Adapter` / `"$adapter"` / `%ADAPTER%`.
    pub name: String,
    /// Form label; also names the field in error messages.
    pub label: String,
    /// The type.
    pub kind: Kind,
    /// Whether an empty value is an error.
    pub required: bool,
    /// Help shown under the field.
    pub help: String,
    /// Canonical default, used when the parameter is not given.
    pub default: Option<String>,
    /// Example value for forms and docs (also the benign value for `fixkb check`).
    pub example: Option<String>,
    /// Smallest integer accepted.
    pub min: Option<i64>,
    /// Largest integer accepted.
    pub max: Option<i64>,
    /// Longest value accepted, in characters.
    pub max_length: usize,
    /// Regular expression the whole value must match (`text` only), as written.
    pub pattern: Option<String>,
    /// Compiled `^(?:pattern)$`.
    pub(crate) pattern_regex: Option<Regex>,
    /// Options of `choice`/`choices`.
    pub options: Vec<ChoiceOption>,
    /// Languages the value is also embedded in inside the file (a cmd line written by
    /// PowerShell, a command line in XML): their rules apply too.
    pub inner: Vec<Language>,
}

/// A validated, canonical parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An optional parameter left empty.
    Empty,
    /// Any textual type.
    Text(String),
    /// `integer` and `port`.
    Integer(i64),
    /// `boolean`.
    Boolean(bool),
    /// `choices`, in the order of the options.
    List(Vec<String>),
}

impl Value {
    /// The canonical text: what receipts hash and prefilled links carry.
    pub fn canonical(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(s) => s.clone(),
            Value::Integer(i) => i.to_string(),
            Value::Boolean(b) => b.to_string(),
            Value::List(items) => items.join(","),
        }
    }

    /// The value as the string a script variable holds, if it is one.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl Param {
    /// Validates `raw` (`None`: not given) into a canonical value for a fix written in `file`.
    /// The error message names the field by its label.
    pub fn parse(&self, raw: Option<&str>, file: Language) -> Result<Value, String> {
        let raw = match raw {
            Some(r) => r,
            None => match &self.default {
                Some(d) => d.as_str(),
                None => "",
            },
        };
        let normalised: String = raw.nfc().collect();
        let value = if self.kind == Kind::Text {
            normalised.as_str()
        } else {
            normalised.trim_matches(' ')
        };
        if value.is_empty() {
            return if self.required {
                Err(format!("{} is required.", self.label))
            } else {
                Ok(Value::Empty)
            };
        }
        if let Some((position, name)) = chars::first_forbidden(value, self.kind == Kind::Text) {
            return Err(format!(
                "{} contains {name} at position {position}. Type the value again instead of pasting it.",
                self.label
            ));
        }
        let length = value.chars().count();
        if length > self.max_length.min(HARD_MAX_LENGTH) {
            return Err(format!(
                "{} is too long: {length} characters, at most {}.",
                self.label, self.max_length
            ));
        }
        let parsed = self
            .parse_kind(value)
            .map_err(|why| format!("{} {why}", self.label))?;
        if let Value::Text(text) = &parsed {
            for lang in std::iter::once(file).chain(self.inner.iter().copied()) {
                lang.check_value(text)
                    .map_err(|why| format!("{} {why}", self.label))?;
            }
        }
        Ok(parsed)
    }

    fn parse_kind(&self, v: &str) -> Result<Value, String> {
        let text = |s: &str| Ok(Value::Text(s.to_owned()));
        match self.kind {
            Kind::Text => match &self.pattern_regex {
                Some(re) if !re.is_match(v) => Err(format!(
                    "does not have the expected form (it must match `{}`).",
                    self.pattern.as_deref().unwrap_or("")
                )),
                _ => text(v),
            },
            Kind::Integer => {
                let n = parse_integer(v)
                    .ok_or("must be a whole number, like 42, without a sign + or leading zeros.")?;
                match (self.min, self.max) {
                    (Some(min), Some(max)) if n < min || n > max => {
                        Err(format!("must be between {min} and {max}."))
                    }
                    (Some(min), None) if n < min => Err(format!("must be at least {min}.")),
                    (None, Some(max)) if n > max => Err(format!("must be at most {max}.")),
                    _ => Ok(Value::Integer(n)),
                }
            }
            Kind::Port => match parse_integer(v) {
                Some(n @ 1..=65535) if !v.starts_with('-') => Ok(Value::Integer(n)),
                _ => Err(
                    "must be a port number from 1 to 65535, written without a sign or leading zeros.".into(),
                ),
            },
            Kind::Boolean => match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Ok(Value::Boolean(true)),
                "false" | "no" | "off" | "0" => Ok(Value::Boolean(false)),
                _ => Err("must be yes or no.".into()),
            },
            Kind::Choice => match self.option(v) {
                Some(o) => Ok(Value::Text(o.value.clone())),
                None => Err(format!("must be one of: {}.", self.option_list())),
            },
            Kind::Choices => {
                let mut picked = Vec::new();
                for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let Some(o) = self.option(item) else {
                        return Err(format!("can only contain: {}.", self.option_list()));
                    };
                    picked.push(o.value.clone());
                }
                let list: Vec<String> = self
                    .options
                    .iter()
                    .map(|o| o.value.clone())
                    .filter(|o| picked.contains(o))
                    .collect();
                if list.is_empty() && self.required {
                    return Err("needs at least one choice.".into());
                }
                Ok(if list.is_empty() {
                    Value::Empty
                } else {
                    Value::List(list)
                })
            }
            Kind::Hostname => parse_hostname(v).map(Value::Text),
            Kind::Ipv4 => parse_ipv4(v).map(|a| Value::Text(a.to_string())),
            Kind::Ipv6 => match v.parse::<Ipv6Addr>() {
                Ok(a) => Ok(Value::Text(a.to_string())),
                Err(_) => Err("must be an IPv6 address like fe80::1 (without a zone such as %12).".into()),
            },
            Kind::WindowsPath => parse_windows_path(v).map(|()| Value::Text(v.to_owned())),
            Kind::PosixPath => parse_posix_path(v).map(|()| Value::Text(v.to_owned())),
            Kind::AdapterName => match v.chars().find(|c| matches!(c, '*' | '?' | '[' | ']')) {
                Some(c) => Err(format!(
                    "cannot contain “{c}”: the NetAdapter cmdlets treat it as a wildcard, which could select more than one adapter."
                )),
                None => text(v),
            },
            Kind::Identifier => {
                let mut cs = v.chars();
                let ok = cs.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && cs.all(|c| c.is_ascii_alphanumeric() || c == '_');
                if ok {
                    text(v)
                } else {
                    Err("can only contain letters A–Z, digits and _, and must not start with a digit.".into())
                }
            }
            Kind::KbNumber => {
                let digits = v
                    .strip_prefix("KB")
                    .or_else(|| v.strip_prefix("kb"))
                    .or_else(|| v.strip_prefix("Kb"))
                    .unwrap_or(v)
                    .trim_start();
                let ok = (4..=8).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && !digits.starts_with('0');
                if ok {
                    Ok(Value::Text(format!("KB{digits}")))
                } else {
                    Err("must be a KB number like KB2479943 (4 to 8 digits).".into())
                }
            }
            Kind::Guid => parse_guid(v).map(Value::Text),
        }
    }

    fn option(&self, v: &str) -> Option<&ChoiceOption> {
        self.options.iter().find(|o| o.value.eq_ignore_ascii_case(v))
    }

    fn option_list(&self) -> String {
        self.options
            .iter()
            .map(|o| o.value.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `-?(0|[1-9][0-9]*)` as an i64: no `+`, no leading zeros, no spaces inside.
fn parse_integer(v: &str) -> Option<i64> {
    let digits = v.strip_prefix('-').unwrap_or(v);
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    if v == "-0" {
        return None;
    }
    v.parse().ok()
}

fn parse_hostname(v: &str) -> Result<String, String> {
    let lower = v.strip_suffix('.').unwrap_or(v).to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if lower.len() <= 253 && lower.split('.').all(label_ok) {
        Ok(lower)
    } else {
        Err("must be a host name like server01 or web.example.com (letters, digits, - and dots).".into())
    }
}

fn parse_ipv4(v: &str) -> Result<Ipv4Addr, String> {
    let msg =
        || "must be an IPv4 address like 192.168.1.10 (four numbers 0–255, no leading zeros).".to_string();
    let parts: Vec<&str> = v.split('.').collect();
    if parts.len() != 4 || parts.iter().any(|p| p.len() > 1 && p.starts_with('0')) {
        return Err(msg());
    }
    v.parse().map_err(|_| msg())
}

fn parse_guid(v: &str) -> Result<String, String> {
    let inner = v.strip_prefix('{').and_then(|s| s.strip_suffix('}')).unwrap_or(v);
    let ok = inner.len() == 36
        && inner.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    if ok {
        Ok(inner.to_ascii_lowercase())
    } else {
        Err("must be a GUID like 3f2504e0-4f89-11d3-9a0c-0305e82c3301.".into())
    }
}

const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
    "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

fn parse_windows_path(v: &str) -> Result<(), String> {
    if v.contains('/') {
        return Err(r"must use backslashes (\), not slashes.".into());
    }
    let rest = if let Some(unc) = v.strip_prefix(r"\\") {
        unc
    } else {
        let b = v.as_bytes();
        if b.len() < 3 || !b[0].is_ascii_alphabetic() || b[1] != b':' || b[2] != b'\\' {
            return Err(
                r"must be a full Windows path such as C:\Temp\setup.log or \\server\share\file.".into(),
            );
        }
        &v[3..]
    };
    if let Some(c) = rest
        .chars()
        .find(|c| matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
    {
        return Err(format!(
            "cannot contain “{c}”: Windows does not allow it in file names."
        ));
    }
    let parts: Vec<&str> = rest.split('\\').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if *part == "." || *part == ".." {
            return Err("must not contain . or .. folders: give the full path.".into());
        }
        if part.is_empty() && !last {
            return Err(r"contains an empty folder name (\\ in the middle).".into());
        }
        if part.ends_with(' ') || part.ends_with('.') && !part.is_empty() {
            return Err("has a name ending in a space or a dot, which Windows silently drops.".into());
        }
        let stem = part.split('.').next().unwrap_or("").to_ascii_uppercase();
        if WINDOWS_RESERVED.contains(&stem.as_str()) {
            return Err(format!("uses the reserved device name {stem}."));
        }
    }
    Ok(())
}

fn parse_posix_path(v: &str) -> Result<(), String> {
    if !v.starts_with('/') {
        return Err("must be an absolute path starting with /, such as /tmp/pack.iso.".into());
    }
    if v.split('/').any(|p| p == "." || p == "..") {
        return Err("must not contain . or .. folders: give the full path.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
