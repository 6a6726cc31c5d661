//! Server-side syntax highlighting with CSS classes (no inline styles, so the CSP stays strict).
//!
//! The syntax set is syntect's defaults plus bat's extra grammars (PowerShell, INI, batch …)
//! from `two-face`, loaded once. Scopes become `hl-…` classes styled in `static/app.css`.

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(two_face::syntax::extra_newlines)
}

/// Maps the language names authors write after ```` ``` ```` (and fix languages) to a grammar.
fn find(lang: &str) -> Option<&'static SyntaxReference> {
    let set = syntaxes();
    let token = match lang.trim().to_ascii_lowercase().as_str() {
        "powershell" | "pwsh" | "ps" | "ps1" => "ps1",
        "sh" | "bash" | "shell" | "console" | "posix" => "sh",
        "cmd" | "bat" | "batch" | "bat-file" => "bat",
        "reg" | "registry" | "ini" => "ini",
        "xml" | "csdef" | "cscfg" => "xml",
        other => return set.find_syntax_by_token(other),
    };
    set.find_syntax_by_extension(token)
        .or_else(|| set.find_syntax_by_token(token))
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Highlights `code` as `lang`, returning the inner HTML of a `<code>` element.
/// Unknown languages (and any highlighter failure) fall back to escaped plain text.
pub fn highlight(code: &str, lang: &str) -> String {
    let Some(syntax) = find(lang) else {
        return escape_html(code);
    };
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes(), CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        if generator
            .parse_html_for_line_which_includes_newline(line)
            .is_err()
        {
            return escape_html(code);
        }
    }
    generator.finalize()
}

/// A complete `<pre><code>` block for `code` in `lang`.
pub fn code_block(code: &str, lang: &str) -> String {
    let lang_class = lang
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect::<String>();
    format!(
        "<pre class=\"code\" data-lang=\"{lang_class}\"><code class=\"language-{lang_class}\">{}</code></pre>\n",
        highlight(code, lang)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_languages_fixes_are_written_in() {
        for lang in ["powershell", "sh", "cmd", "xml", "reg", "ini", "bash"] {
            assert!(find(lang).is_some(), "no grammar for {lang}");
        }
    }

    #[test]
    fn highlights_powershell_with_classes_not_styles() {
        let html = highlight("Get-NetAdapter -Name 'Ethernet'\n", "powershell");
        assert!(html.contains("class=\"hl-"), "{html}");
        assert!(!html.contains("style="));
    }

    #[test]
    fn unknown_language_is_escaped_plain_text() {
        assert_eq!(highlight("<b>&", "nonesuch"), "&lt;b&gt;&amp;");
    }
}
