//! POSIX sh: the only place values are quoted for `.sh` files.
//!
//! The engine writes `#!/bin/sh`, `set -eu`, one assignment per parameter (`name='…'`, always
//! single-quoted, `'` written as `'\''`) and guard checks that re-validate an edited value;
//! the body uses `"$name"` and `--` before operands. NUL, the only byte sh cannot hold, is
//! rejected with every other control character before a value gets here.

use std::fmt::Write as _;

use crate::fixes::params::{Kind, Param, Value};

/// `s` as one sh word: `'…'` with each `'` written as `'\''`.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Names the shell or common tools give a meaning to, in lower case.
const RESERVED: &[&str] = &[
    "fixkb_invalid",
    "ifs",
    "path",
    "home",
    "pwd",
    "oldpwd",
    "ps1",
    "ps2",
    "ps4",
    "optarg",
    "optind",
    "ppid",
];

/// Why `param` cannot be an sh variable name, if it cannot.
pub fn reserved(param: &str) -> Option<String> {
    RESERVED
        .contains(&param)
        .then(|| format!("`{param}` is a name the shell already uses"))
}

/// `set -eu`, the assignments and the guards.
pub fn preamble(params: &[Param], values: &[Value]) -> String {
    let mut out = String::from("set -eu\n");
    if params.is_empty() {
        return out;
    }
    out.push_str("\n# Values (single-quoted: the shell expands nothing inside).\n");
    for (param, value) in params.iter().zip(values) {
        let _ = writeln!(out, "{}={}", param.name, quote(&value.canonical()));
    }
    out.push_str("\n# Check the values again, in case this file was edited.\n");
    out.push_str("fixkb_invalid() { printf 'Invalid value for %s\\n' \"$1\" >&2; exit 2; }\n");
    for param in params {
        out.push_str(&guard(param));
    }
    out
}

fn guard(param: &Param) -> String {
    let n = &param.name;
    let mut out = String::new();
    if param.required {
        let _ = writeln!(out, "[ -n \"${n}\" ] || fixkb_invalid {n}");
    }
    let empty_ok = if param.required { "" } else { "'') ;; " };
    match param.kind {
        Kind::Integer | Kind::Port => {
            let bad = if param.required {
                "''|-|*[!0-9-]*|?*-*"
            } else {
                "-|*[!0-9-]*|?*-*"
            };
            let _ = writeln!(out, "case ${n} in {empty_ok}{bad}) fixkb_invalid {n} ;; esac");
            let (min, max) = match param.kind {
                Kind::Port => (Some(1), Some(65535)),
                _ => (param.min, param.max),
            };
            if let Some(min) = min {
                let _ = writeln!(
                    out,
                    "[ -z \"${n}\" ] || [ \"${n}\" -ge {min} ] || fixkb_invalid {n}"
                );
            }
            if let Some(max) = max {
                let _ = writeln!(
                    out,
                    "[ -z \"${n}\" ] || [ \"${n}\" -le {max} ] || fixkb_invalid {n}"
                );
            }
        }
        Kind::Boolean => {
            let _ = writeln!(out, "case ${n} in true|false) ;; *) fixkb_invalid {n} ;; esac");
        }
        Kind::Choice => {
            let options: Vec<String> = param.options.iter().map(|o| quote(&o.value)).collect();
            let _ = writeln!(
                out,
                "case ${n} in {empty_ok}{}) ;; *) fixkb_invalid {n} ;; esac",
                options.join("|")
            );
        }
        Kind::PosixPath => {
            let _ = writeln!(out, "case ${n} in {empty_ok}/*) ;; *) fixkb_invalid {n} ;; esac");
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixes::check::readers::sh_word as unquote;
    use proptest::prelude::*;

    #[test]
    fn quotes_single_quotes_the_posix_way() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$(id) `id` \"x\" \\"), r#"'$(id) `id` "x" \'"#);
    }

    proptest! {
        #[test]
        fn quote_then_unquote_gives_back_the_string(s in "\\PC*") {
            prop_assert_eq!(unquote(&quote(&s)), Some(s));
        }
    }
}
