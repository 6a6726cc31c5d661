//! Registry editor files: the only place values are escaped for `.reg` files.
//!
//! Values are printed with `{{ value }}` inside a quoted REG_SZ (`"Name"="{{ value }}"`); the
//! formatter escapes `\` and `"`. CR and LF (which would start a new line, hence a new key or
//! value) are rejected with every control character before a value gets here. DWORDs come from
//! typed integers through the `dword` filter. The engine writes the signature line; the file
//! is UTF-16LE with a byte order mark and CRLF line endings.

/// `s` escaped for the inside of a `"…"` string in a `.reg` file.
pub fn escape(s: &str) -> String {
    s.replace('\\', r"\\").replace('"', "\\\"")
}

/// `n` as a `.reg` DWORD value.
pub fn dword(n: u32) -> String {
    format!("dword:{n:08x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// How regedit reads the inside of a quoted string: `\x` stands for `x`.
    pub(crate) fn unescape(s: &str) -> Option<String> {
        let mut out = String::new();
        let mut cs = s.chars();
        while let Some(c) = cs.next() {
            match c {
                '\\' => out.push(cs.next()?),
                '"' => return None,
                c => out.push(c),
            }
        }
        Some(out)
    }

    #[test]
    fn escapes_backslash_and_quote() {
        assert_eq!(escape(r#"C:\a "b""#), r#"C:\\a \"b\""#);
        assert_eq!(dword(1), "dword:00000001");
        assert_eq!(dword(u32::MAX), "dword:ffffffff");
    }

    proptest! {
        #[test]
        fn escape_then_unescape_gives_back_the_string(s in "[^\r\n]*") {
            prop_assert_eq!(unescape(&escape(&s)), Some(s));
        }
    }
}
