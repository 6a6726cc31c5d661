//! Characters no parameter value may contain, whatever the target language, and their names.
//!
//! These are the characters that make text look different from what it is (bidi controls,
//! zero-width characters), that end a line in some parser but not in another (U+2028, NEL), or
//! that no file format accepts (NUL, noncharacters). They are rejected, never stripped: a value
//! that silently changes is worse than an error message.

/// Why `c` is never accepted, or `None` when it may appear. `allow_tab` is true for free text.
pub fn forbidden(c: char, allow_tab: bool) -> Option<String> {
    let code = c as u32;
    let name: &str = match code {
        0x09 if allow_tab => return None,
        0x00..=0x1F | 0x7F => C0_NAMES.get(code as usize).copied().unwrap_or("DELETE"),
        0x85 => "NEXT LINE",
        0x80..=0x9F => "C1 CONTROL CHARACTER",
        0xAD => "SOFT HYPHEN",
        0x061C => "ARABIC LETTER MARK",
        0x180E => "MONGOLIAN VOWEL SEPARATOR",
        0x200B => "ZERO WIDTH SPACE",
        0x200C => "ZERO WIDTH NON-JOINER",
        0x200D => "ZERO WIDTH JOINER",
        0x200E => "LEFT-TO-RIGHT MARK",
        0x200F => "RIGHT-TO-LEFT MARK",
        0x2028 => "LINE SEPARATOR",
        0x2029 => "PARAGRAPH SEPARATOR",
        0x202A => "LEFT-TO-RIGHT EMBEDDING",
        0x202B => "RIGHT-TO-LEFT EMBEDDING",
        0x202C => "POP DIRECTIONAL FORMATTING",
        0x202D => "LEFT-TO-RIGHT OVERRIDE",
        0x202E => "RIGHT-TO-LEFT OVERRIDE",
        0x2060 => "WORD JOINER",
        0x2061..=0x2064 => "INVISIBLE OPERATOR",
        0x2066 => "LEFT-TO-RIGHT ISOLATE",
        0x2067 => "RIGHT-TO-LEFT ISOLATE",
        0x2068 => "FIRST STRONG ISOLATE",
        0x2069 => "POP DIRECTIONAL ISOLATE",
        0x206A..=0x206F => "DEPRECATED FORMAT CHARACTER",
        0xFEFF => "ZERO WIDTH NO-BREAK SPACE (byte order mark)",
        0xFFF9..=0xFFFB => "INTERLINEAR ANNOTATION CHARACTER",
        0xE0000..=0xE007F => "TAG CHARACTER",
        0xFDD0..=0xFDEF => "NONCHARACTER",
        _ if code & 0xFFFE == 0xFFFE => "NONCHARACTER",
        _ => return None,
    };
    Some(format!("U+{code:04X} {name}"))
}

/// `U+0041` style code point for messages about allowed-but-unusual characters.
pub fn describe(c: char) -> String {
    if let Some(name) = forbidden(c, false) {
        return name;
    }
    if c.is_ascii_graphic() {
        format!("“{c}”")
    } else {
        format!("“{c}” (U+{:04X})", c as u32)
    }
}

/// The first always-rejected character of `value` and its 1-based position.
pub fn first_forbidden(value: &str, allow_tab: bool) -> Option<(usize, String)> {
    value
        .chars()
        .enumerate()
        .find_map(|(i, c)| forbidden(c, allow_tab).map(|name| (i + 1, name)))
}

const C0_NAMES: [&str; 32] = [
    "NULL",
    "START OF HEADING",
    "START OF TEXT",
    "END OF TEXT",
    "END OF TRANSMISSION",
    "ENQUIRY",
    "ACKNOWLEDGE",
    "BELL",
    "BACKSPACE",
    "CHARACTER TABULATION",
    "LINE FEED",
    "LINE TABULATION",
    "FORM FEED",
    "CARRIAGE RETURN",
    "SHIFT OUT",
    "SHIFT IN",
    "DATA LINK ESCAPE",
    "DEVICE CONTROL ONE",
    "DEVICE CONTROL TWO",
    "DEVICE CONTROL THREE",
    "DEVICE CONTROL FOUR",
    "NEGATIVE ACKNOWLEDGE",
    "SYNCHRONOUS IDLE",
    "END OF TRANSMISSION BLOCK",
    "CANCEL",
    "END OF MEDIUM",
    "SUBSTITUTE",
    "ESCAPE",
    "INFORMATION SEPARATOR FOUR",
    "INFORMATION SEPARATOR THREE",
    "INFORMATION SEPARATOR TWO",
    "INFORMATION SEPARATOR ONE",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_dangerous_characters() {
        assert_eq!(
            forbidden('\u{202E}', false).as_deref(),
            Some("U+202E RIGHT-TO-LEFT OVERRIDE")
        );
        assert_eq!(forbidden('\0', true).as_deref(), Some("U+0000 NULL"));
        assert_eq!(forbidden('\r', true).as_deref(), Some("U+000D CARRIAGE RETURN"));
        assert_eq!(forbidden('\u{7F}', true).as_deref(), Some("U+007F DELETE"));
        assert_eq!(
            forbidden('\u{FFFF}', true).as_deref(),
            Some("U+FFFF NONCHARACTER")
        );
        assert_eq!(
            forbidden('\u{1FFFE}', true).as_deref(),
            Some("U+1FFFE NONCHARACTER")
        );
        assert_eq!(
            forbidden('\u{E0041}', true).as_deref(),
            Some("U+E0041 TAG CHARACTER")
        );
    }

    #[test]
    fn tab_only_in_free_text_and_letters_always() {
        assert!(forbidden('\t', true).is_none());
        assert!(forbidden('\t', false).is_some());
        for c in ['a', 'é', 'ß', '日', '‘', '’', '“', '$', '%', '😀'] {
            assert!(forbidden(c, false).is_none(), "{c}");
        }
    }

    #[test]
    fn position_is_counted_in_characters() {
        assert_eq!(
            first_forbidden("éé\u{200B}", false),
            Some((3, "U+200B ZERO WIDTH SPACE".into()))
        );
        assert_eq!(first_forbidden("fine", false), None);
    }
}
