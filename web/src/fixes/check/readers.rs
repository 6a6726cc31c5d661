//! The structural readers, one per language: each checks the file's bytes (encoding, byte
//! order mark, line endings), parses it with a reader independent of the escapers, and returns
//! its shape with literal contents left out.

use std::collections::BTreeMap;

use tree_sitter::{Node, Parser};

use crate::fixes::lang::powershell::SINGLE_QUOTES;

fn check_crlf(text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let bad = match b {
            b'\n' => i == 0 || bytes[i - 1] != b'\r',
            b'\r' => bytes.get(i + 1) != Some(&b'\n'),
            _ => false,
        };
        if bad {
            return Err(format!("line ending at byte {i} is not CRLF"));
        }
    }
    Ok(())
}

fn line_at(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].matches('\n').count() + 1
}

/// Parses `text` with tree-sitter `language`; an error names the first broken line.
fn parse_tree(text: &str, language: tree_sitter::Language, name: &str) -> Result<tree_sitter::Tree, String> {
    let mut parser = Parser::new();
    parser
        .set_language(&language)
        .map_err(|e| format!("{name} grammar: {e}"))?;
    let tree = parser
        .parse(text, None)
        .ok_or_else(|| format!("{name} parser gave up"))?;
    if tree.root_node().has_error() {
        let mut line = 0;
        visit(tree.root_node(), &mut |n| {
            if line == 0 && (n.is_error() || n.is_missing()) {
                line = n.start_position().row + 1;
            }
        });
        return Err(format!("tree-sitter-{name} finds a syntax error at line {line}"));
    }
    Ok(tree)
}

fn visit<'t>(node: Node<'t>, f: &mut dyn FnMut(Node<'t>)) {
    f(node);
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        visit(child, f);
    }
}

/// Node kinds as nested parentheses; nodes for which `literal` is true print as `(lit)`.
fn shape(node: Node<'_>, literal: &dyn Fn(Node<'_>) -> bool, out: &mut String) {
    if literal(node) {
        out.push_str("(lit)");
        return;
    }
    out.push('(');
    out.push_str(node.kind());
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        shape(child, literal, out);
    }
    out.push(')');
}

/// PowerShell's own reading of a verbatim string at the start of `s`: any of `' ‘ ’ ‚ ‛` ends
/// it unless another one follows (which then stands for itself). Returns (value, byte length).
pub fn powershell_verbatim(s: &str) -> Option<(String, usize)> {
    let mut cs = s.char_indices().peekable();
    let (_, first) = cs.next()?;
    if !SINGLE_QUOTES.contains(&first) {
        return None;
    }
    let mut out = String::new();
    while let Some((i, c)) = cs.next() {
        if SINGLE_QUOTES.contains(&c) {
            match cs.peek() {
                Some(&(_, next)) if SINGLE_QUOTES.contains(&next) => {
                    out.push(next);
                    cs.next();
                }
                _ => return Some((out, i + c.len_utf8())),
            }
        } else {
            out.push(c);
        }
    }
    None
}

pub(super) fn inspect_powershell(bytes: &[u8], expected: &[(String, String)]) -> Result<String, String> {
    let body = bytes
        .strip_prefix(&[0xEF, 0xBB, 0xBF])
        .ok_or("a .ps1 file must start with the UTF-8 byte order mark")?;
    let text = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    check_crlf(text)?;
    let tree = parse_tree(text, tree_sitter_powershell::LANGUAGE.into(), "powershell")?;
    let mut problem = None;
    visit(tree.root_node(), &mut |n| {
        if n.kind() == "verbatim_string_characters" && problem.is_none() {
            let src = &text[n.start_byte()..n.end_byte()];
            match powershell_verbatim(src) {
                Some((_, len)) if len == src.len() => {}
                _ => {
                    problem = Some(format!(
                        "line {}: PowerShell would end this string somewhere else than tree-sitter does (an undoubled typographic quote?)",
                        line_at(text, n.start_byte())
                    ))
                }
            }
        }
    });
    if let Some(p) = problem {
        return Err(p);
    }
    // Each textual parameter's default must be exactly one verbatim literal holding the value.
    let mut defaults: BTreeMap<String, Option<String>> = BTreeMap::new();
    visit(tree.root_node(), &mut |n| {
        if n.kind() != "script_parameter" {
            return;
        }
        let mut cursor = n.walk();
        let children: Vec<Node<'_>> = n.children(&mut cursor).collect();
        let variable = children.iter().find(|c| c.kind() == "variable");
        let default = children.iter().find(|c| c.kind() == "script_parameter_default");
        if let (Some(variable), Some(default)) = (variable, default) {
            let name = text[variable.byte_range()]
                .trim_start_matches('$')
                .to_ascii_lowercase();
            let expr = text[default.byte_range()].trim_start_matches('=').trim();
            let mut literal = None;
            visit(*default, &mut |d| {
                if d.kind() == "verbatim_string_characters" && text[d.byte_range()].trim() == expr {
                    literal = powershell_verbatim(expr).map(|(v, _)| v);
                }
            });
            defaults.insert(name, literal);
        }
    });
    for (name, value) in expected {
        let variable = crate::fixes::lang::powershell::var_name(name).to_ascii_lowercase();
        match defaults.get(&variable) {
            Some(Some(v)) if v == value => {}
            _ => {
                return Err(format!(
                    "the default of `{name}` is not exactly one single-quoted literal holding {value:?}"
                ));
            }
        }
    }
    let mut out = String::new();
    shape(
        tree.root_node(),
        &|n| n.kind() == "string_literal" || n.kind() == "comment",
        &mut out,
    );
    Ok(out)
}

/// One sh word made of `'…'` runs and `\x` escapes, as the shell reads it.
pub(crate) fn sh_word(word: &str) -> Option<String> {
    let mut out = String::new();
    let mut cs = word.chars();
    while let Some(c) = cs.next() {
        match c {
            '\'' => loop {
                match cs.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '\\' => out.push(cs.next()?),
            _ => return None,
        }
    }
    Some(out)
}

pub(super) fn inspect_sh(bytes: &[u8], expected: &[(String, String)]) -> Result<String, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) || text.contains('\r') {
        return Err("an sh script must have no byte order mark and LF line endings".into());
    }
    if !text.starts_with("#!/bin/sh\nset -eu\n") && !text.starts_with("#!/bin/sh\n#") {
        return Err("an sh script must start with #!/bin/sh".into());
    }
    let tree = parse_tree(text, tree_sitter_bash::LANGUAGE.into(), "bash")?;
    let root = tree.root_node();
    let mut assigned: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut cursor = root.walk();
    for statement in root.children(&mut cursor) {
        if statement.kind() != "variable_assignment" {
            continue;
        }
        let name = statement
            .child_by_field_name("name")
            .map(|n| &text[n.byte_range()]);
        let value = statement
            .child_by_field_name("value")
            .map(|n| &text[n.byte_range()]);
        if let (Some(name), Some(value)) = (name, value) {
            assigned.insert(name.to_owned(), sh_word(value));
        }
    }
    for (name, value) in expected {
        match assigned.get(name) {
            Some(Some(v)) if v == value => {}
            _ => {
                return Err(format!(
                    "the assignment of `{name}` does not hold exactly the value {value:?}"
                ));
            }
        }
    }
    let mut out = String::new();
    shape(
        root,
        &|n| {
            n.kind() == "comment"
                || n.parent().is_some_and(|p| {
                    p.kind() == "variable_assignment" && p.child_by_field_name("value") == Some(n)
                })
        },
        &mut out,
    );
    Ok(out)
}

pub(super) fn inspect_cmd(bytes: &[u8], expected: &[(String, String)]) -> Result<String, String> {
    if !bytes.is_ascii() {
        return Err("a .cmd file must be ASCII".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    check_crlf(text)?;
    if !text.starts_with("@echo off\r\nsetlocal EnableExtensions DisableDelayedExpansion\r\n") {
        return Err(
            "a .cmd file must start with @echo off and setlocal EnableExtensions DisableDelayedExpansion"
                .into(),
        );
    }
    let inert = |c: char| c.is_ascii_alphanumeric() || " ._-:\\/@+#".contains(c);
    let mut sets = BTreeMap::new();
    let mut out = String::new();
    // The engine's set lines follow the prologue and the rem header; anything after belongs to
    // the template and is compared verbatim.
    let mut in_preamble = true;
    for line in text.split("\r\n").skip(2) {
        let set = if in_preamble {
            line.strip_prefix("set \"").and_then(|r| r.strip_suffix('"'))
        } else {
            None
        };
        if let Some(rest) = set {
            let (name, value) = rest.split_once('=').ok_or("a set line without =")?;
            if !value.chars().all(inert) || value.ends_with('\\') {
                return Err(format!(
                    "set line for {name} holds a character cmd.exe interprets"
                ));
            }
            sets.insert(name.to_owned(), value.to_owned());
            out.push_str("set ");
            out.push_str(name);
        } else if in_preamble && (line.starts_with("rem ") || line.is_empty()) {
            out.push_str("rem");
        } else {
            in_preamble = false;
            out.push_str(line);
        }
        out.push('\n');
    }
    for (name, value) in expected {
        if sets.get(&name.to_ascii_uppercase()) != Some(value) {
            return Err(format!(
                "the set line of `{name}` does not hold exactly the value {value:?}"
            ));
        }
    }
    Ok(out)
}

/// Reads a quoted `.reg` string at the start of `s`; returns (value, rest after the quote).
fn reg_string(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut cs = s.strip_prefix('"')?.char_indices();
    while let Some((i, c)) = cs.next() {
        match c {
            '\\' => out.push(cs.next()?.1),
            '"' => return Some((out, &s[i + 2..])),
            c => out.push(c),
        }
    }
    None
}

pub(super) fn inspect_reg(bytes: &[u8]) -> Result<String, String> {
    let body = bytes
        .strip_prefix(&[0xFF, 0xFE])
        .ok_or("a .reg file must start with the UTF-16LE byte order mark")?;
    if body.len() % 2 != 0 {
        return Err("odd number of bytes for UTF-16".into());
    }
    let units: Vec<u16> = body
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).map_err(|e| format!("not UTF-16: {e}"))?;
    check_crlf(&text)?;
    let mut lines = text.split("\r\n");
    if lines.next() != Some("Windows Registry Editor Version 5.00") {
        return Err("a .reg file must start with Windows Registry Editor Version 5.00".into());
    }
    let mut out = String::new();
    for (i, line) in lines.enumerate() {
        let fail = |what: &str| format!("line {}: {what}", i + 2);
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            if !line.ends_with(']') || line[1..line.len() - 1].contains(['[', ']']) {
                return Err(fail("malformed key"));
            }
            out.push_str(if line.starts_with("[-") {
                "delete-key\n"
            } else {
                "key\n"
            });
            continue;
        }
        let rest = if let Some(r) = line.strip_prefix("@=") {
            r
        } else {
            let (_, r) = reg_string(line).ok_or_else(|| fail("malformed value name"))?;
            r.strip_prefix('=')
                .ok_or_else(|| fail("expected = after the value name"))?
        };
        let kind = if rest == "-" {
            "delete"
        } else if let Some(hex) = rest.strip_prefix("dword:") {
            if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(fail("malformed dword"));
            }
            "dword"
        } else if rest.starts_with('"') {
            match reg_string(rest) {
                Some((_, "")) => "string",
                _ => return Err(fail("text after a string value")),
            }
        } else {
            return Err(fail("unknown value type"));
        };
        out.push_str("value ");
        out.push_str(kind);
        out.push('\n');
    }
    Ok(out)
}

pub(super) fn inspect_xml(bytes: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    check_crlf(text)?;
    if !text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>") {
        return Err("an XML file must start with its declaration".into());
    }
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("XML parser: {e}"))?;
    fn walk(node: roxmltree::Node<'_, '_>, out: &mut String) {
        if node.is_element() {
            out.push('<');
            out.push_str(node.tag_name().name());
            let mut names: Vec<&str> = node.attributes().map(|a| a.name()).collect();
            names.sort_unstable();
            for n in names {
                out.push(' ');
                out.push_str(n);
            }
            out.push('>');
            for child in node.children() {
                walk(child, out);
            }
            out.push_str("</>");
        } else if node.is_text() && !node.text().unwrap_or("").trim().is_empty() {
            out.push_str("text;");
        } else if node.is_comment() {
            out.push_str("comment;");
        }
    }
    let mut out = String::new();
    walk(doc.root_element(), &mut out);
    Ok(out)
}
