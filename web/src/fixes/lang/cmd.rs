//! cmd.exe: the only place values are placed in `.cmd` files.
//!
//! cmd has no quoting that is safe for every value (`%` expands even inside quotes, `^` and
//! `!` depend on context), so there is no escaping: each value must pass an allow-list
//! (ASCII letters, digits, space and `. _ - : \ / @ + #`) and must not end with `\` (which
//! would escape the closing quote of `"%NAME%"` for the program reading it). The engine
//! writes `@echo off`, `setlocal EnableExtensions DisableDelayedExpansion` and one
//! `set "NAME=value"` line per parameter; the body uses `"%NAME%"`.

use std::fmt::Write as _;

use crate::fixes::chars;
use crate::fixes::params::{Param, Value};

/// The allowed characters as a regular-expression class body (also used by PowerShell's
/// `[ValidatePattern]` for values that end up in a cmd line).
pub const ALLOWED_CLASS: &str = r"A-Za-z0-9 ._\-:\\/@+#";

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-' | ':' | '\\' | '/' | '@' | '+' | '#')
}

/// Checks `value` against the allow-list; the error completes "<label> …".
pub fn check(value: &str) -> Result<(), String> {
    if let Some((i, c)) = value.chars().enumerate().find(|&(_, c)| !allowed(c)) {
        return Err(format!(
            "cannot contain {} (position {}): the value ends up in a cmd.exe command line, where only letters A–Z, digits, spaces and . _ - : \\ / @ + # are safe.",
            chars::describe(c),
            i + 1
        ));
    }
    if value.ends_with('\\') {
        return Err("must not end with \\ in a cmd.exe command line: leave the last backslash off.".into());
    }
    Ok(())
}

/// `adapter` → `ADAPTER` (used as `%ADAPTER%`).
pub fn var_name(param: &str) -> String {
    param.to_ascii_uppercase()
}

/// Variables Windows or cmd.exe already define.
const RESERVED: &[&str] = &[
    "PATH",
    "PATHEXT",
    "TEMP",
    "TMP",
    "COMSPEC",
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "USERNAME",
    "USERPROFILE",
    "USERDOMAIN",
    "PROGRAMFILES",
    "PROGRAMDATA",
    "APPDATA",
    "LOCALAPPDATA",
    "ALLUSERSPROFILE",
    "PUBLIC",
    "CD",
    "DATE",
    "TIME",
    "RANDOM",
    "ERRORLEVEL",
    "CMDEXTVERSION",
    "CMDCMDLINE",
    "HOMEDRIVE",
    "HOMEPATH",
    "OS",
    "PROMPT",
    "COMPUTERNAME",
    "PROCESSOR_ARCHITECTURE",
    "NUMBER_OF_PROCESSORS",
    "HIGHESTNUMANODENUMBER",
    "LOGONSERVER",
];

/// Why `param` cannot be a cmd variable name, if it cannot.
pub fn reserved(param: &str) -> Option<String> {
    let name = var_name(param);
    RESERVED
        .contains(&name.as_str())
        .then(|| format!("`{param}` would become %{name}%, which Windows already defines"))
}

/// One `set "NAME=value"` line per parameter.
pub fn preamble(params: &[Param], values: &[Value]) -> String {
    let mut out = String::new();
    for (param, value) in params.iter().zip(values) {
        let _ = writeln!(out, "set \"{}={}\"", var_name(&param.name), value.canonical());
    }
    out
}

/// Trusted text made safe for a `rem` line, where `%` still expands.
pub fn comment_text(s: &str) -> String {
    s.replace('%', "%%")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_metacharacters_naming_them() {
        for bad in [
            "a%b", "a!b", "a^b", "a&b", "a|b", "a<b", "a>b", "a(b", "a)b", "a\"b", "a;b", "a,b", "a=b", "é",
            "a\\",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        let msg = check("x&y").err().unwrap_or_default();
        assert!(msg.contains("“&”") && msg.contains("position 2"), "{msg}");
        assert!(check(r"C:\Program Files\App\setup.exe").is_ok());
        assert!(check("/quiet /norestart -log C:\\x.log").is_ok());
    }

    proptest! {
        // cmd has no escaping: a value is accepted only if every character is inert.
        #[test]
        fn accepted_values_contain_only_inert_characters(s in "\\PC{0,40}") {
            if check(&s).is_ok() {
                prop_assert!(s.chars().all(allowed));
                prop_assert!(!s.ends_with('\\'));
            }
        }
    }
}
