//! CSV for the admin reports (RFC 4180), safe to open in a spreadsheet: a field that would
//! start a formula (`= + - @`, tab, CR) is prefixed with `'`, so visitor-supplied text such as
//! search queries and comments stays text.

/// A CSV document from a header row and data rows, CRLF-terminated.
pub fn write(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = String::new();
    line(&mut out, header.iter().copied());
    for row in rows {
        line(&mut out, row.iter().map(String::as_str));
    }
    out
}

fn line<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&escape(field));
    }
    out.push_str("\r\n");
}

/// One field, neutralised and quoted when needed.
pub fn escape(field: &str) -> String {
    let neutral = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) || neutral.starts_with(' ') || neutral.ends_with(' ') {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_neutralised() {
        let doc = write(
            &["query", "count"],
            [
                vec!["printer, offline".into(), "3".into()],
                vec!["=HYPERLINK(\"x\")".into(), "-1".into()],
                vec!["line\nbreak".into(), "0".into()],
            ],
        );
        assert_eq!(
            doc,
            "query,count\r\n\"printer, offline\",3\r\n\"'=HYPERLINK(\"\"x\"\")\",'-1\r\n\"line\nbreak\",0\r\n"
        );
    }
}
