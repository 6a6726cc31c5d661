//! XML: the only place values are escaped for `.xml` files.
//!
//! Values are printed with `{{ value }}` in text or attribute position; the formatter escapes
//! `& < > " '` and writes TAB, CR and LF as character references (attribute-value
//! normalisation would otherwise turn them into spaces). Characters outside the XML 1.0
//! character set are rejected before a value gets here.

/// `s` escaped for XML text or a quoted attribute value.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Trusted text made safe inside `<!-- … -->`, which must not contain `--`.
pub fn comment_text(s: &str) -> String {
    let mut out = s.replace("--", "- -");
    if out.ends_with('-') {
        out.push(' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn in_xml_1_0(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
    }

    #[test]
    fn escapes_markup_and_whitespace() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(escape("a\tb"), "a&#9;b");
        assert_eq!(escape("]]>"), "]]&gt;");
        assert_eq!(comment_text("a--b-"), "a- -b- ");
    }

    proptest! {
        #[test]
        fn escape_then_parse_gives_back_the_string(s in "\\PC*") {
            prop_assume!(s.chars().all(in_xml_1_0));
            let doc = format!("<r a=\"{}\">{}</r>", escape(&s), escape(&s));
            let parsed = roxmltree::Document::parse(&doc).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let root = parsed.root_element();
            prop_assert_eq!(root.attribute("a"), Some(s.as_str()));
            prop_assert_eq!(root.text().unwrap_or(""), s.as_str());
        }
    }
}
