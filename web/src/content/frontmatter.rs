//! YAML front matter: splitting it off a markdown file and reading the fields we know.
//!
//! Foreign docs folders must serve without edits, so unknown keys are ignored, several
//! spellings are accepted (`description` for `summary`, `date`/`ms.date` for `published`)
//! and a field of the wrong type is reported with its line instead of failing the file
//! as a whole where that is possible.

use chrono::NaiveDate;
use serde_norway::{Mapping, Value};

/// The fields fixkb reads from an article's front matter.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FrontMatter {
    /// Permanent KB number: `/kb/{id}` redirects to the article forever.
    pub id: Option<u32>,
    /// Explicit slug; otherwise derived from the file path.
    pub slug: Option<String>,
    /// Page title; otherwise the first `# H1`, then the file name.
    pub title: Option<String>,
    /// One sentence for link previews and result snippets (`description` accepted).
    pub summary: Option<String>,
    /// Products the article applies to.
    pub products: Vec<String>,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// Symptoms phrased the way users report them.
    pub symptoms: Vec<String>,
    /// First publication date (`date` and `ms.date` accepted).
    pub published: Option<NaiveDate>,
    /// Date of the last technical review.
    pub reviewed: Option<NaiveDate>,
    /// Old slugs that must keep working (301 to the canonical URL).
    pub aliases: Vec<String>,
    /// Ids of the fixes this article offers.
    pub fixes: Vec<String>,
}

/// A markdown file split into its front matter and body.
#[derive(Debug, Clone, PartialEq)]
pub struct Split<'a> {
    /// The YAML text between the `---` lines (empty when there is none).
    pub yaml: &'a str,
    /// The markdown after the closing `---`.
    pub body: &'a str,
    /// 1-based line number of the first body line in the whole file.
    pub body_line: usize,
}

/// A problem in the front matter, with its 1-based line in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Line in the whole file (front matter starts on line 2).
    pub line: usize,
    /// What is wrong.
    pub message: String,
    /// True when the file cannot be used at all.
    pub fatal: bool,
}

/// Splits `src` at its `---` fences. A file without front matter is all body.
pub fn split(src: &str) -> Result<Split<'_>, FieldError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let Some(rest) = src.strip_prefix("---\n").or_else(|| src.strip_prefix("---\r\n")) else {
        return Ok(Split {
            yaml: "",
            body: src,
            body_line: 1,
        });
    };
    let mut offset = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        if line.trim_end() == "---" || line.trim_end() == "..." {
            return Ok(Split {
                yaml: &rest[..offset],
                body: &rest[offset + line.len()..],
                body_line: i + 3,
            });
        }
        offset += line.len();
    }
    Err(FieldError {
        line: 1,
        message: "front matter opened with `---` is never closed: add a line with `---` after the last field"
            .into(),
        fatal: true,
    })
}

/// Parses the YAML front matter. Fatal errors reject the file; others are warnings and the
/// field is ignored.
pub fn parse(yaml: &str) -> Result<(FrontMatter, Vec<FieldError>), FieldError> {
    let mut fm = FrontMatter::default();
    let mut warnings = Vec::new();
    if yaml.trim().is_empty() {
        return Ok((fm, warnings));
    }
    let value: Value = serde_norway::from_str(yaml).map_err(|e| FieldError {
        line: e.location().map_or(1, |l| l.line() + 1),
        message: format!(
            "front matter is not valid YAML: {}",
            without_positions(&e.to_string())
        ),
        fatal: true,
    })?;
    let map = match value {
        Value::Mapping(map) => map,
        Value::Null => return Ok((fm, warnings)),
        _ => {
            return Err(FieldError {
                line: 2,
                message: "front matter must be `key: value` lines".into(),
                fatal: true,
            });
        }
    };
    let mut reader = Reader {
        yaml,
        map: &map,
        warnings: &mut warnings,
    };
    fm.id = reader.id("id");
    fm.slug = reader.string("slug");
    fm.title = reader.string("title");
    fm.summary = reader.string("summary").or_else(|| reader.string("description"));
    fm.products = reader.list("products");
    fm.tags = reader.list("tags");
    fm.symptoms = reader.list("symptoms");
    fm.published = reader
        .date("published")
        .or_else(|| reader.date("date"))
        .or_else(|| reader.date("ms.date"));
    fm.reviewed = reader.date("reviewed");
    fm.aliases = reader.list("aliases");
    fm.fixes = reader.list("fixes");
    Ok((fm, warnings))
}

struct Reader<'a> {
    yaml: &'a str,
    map: &'a Mapping,
    warnings: &'a mut Vec<FieldError>,
}

impl<'a> Reader<'a> {
    /// Line of `key:` in the whole file (the YAML starts on line 2).
    fn line_of(&self, key: &str) -> usize {
        self.yaml
            .lines()
            .position(|l| {
                l.strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
            })
            .map_or(2, |i| i + 2)
    }

    fn warn(&mut self, key: &str, message: String) {
        let line = self.line_of(key);
        self.warnings.push(FieldError {
            line,
            message,
            fatal: false,
        });
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        let map: &'a Mapping = self.map;
        map.get(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => {
                self.warn(key, format!("`{key}` should be a single line of text; ignored"));
                None
            }
        }
    }

    fn list(&mut self, key: &str) -> Vec<String> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let items: Vec<&Value> = match value {
            Value::Sequence(seq) => seq.iter().collect(),
            other => vec![other],
        };
        let mut out = Vec::new();
        for item in items {
            match item {
                Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_owned()),
                Value::Number(n) => out.push(n.to_string()),
                Value::String(_) | Value::Null => {}
                _ => {
                    self.warn(
                        key,
                        format!("`{key}` should be a list of text items; a nested value was ignored"),
                    );
                }
            }
        }
        out
    }

    fn id(&mut self, key: &str) -> Option<u32> {
        let value = self.get(key)?;
        let text = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().trim_start_matches("KB").to_owned(),
            _ => String::new(),
        };
        match text.parse::<u32>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                self.warn(
                    key,
                    format!("`{key}` must be a positive whole number such as 1001; ignored"),
                );
                None
            }
        }
    }

    fn date(&mut self, key: &str) -> Option<NaiveDate> {
        let text = match self.get(key)? {
            Value::String(s) => s.trim().to_owned(),
            _ => String::new(),
        };
        match parse_date(&text) {
            Some(d) => Some(d),
            None => {
                self.warn(
                    key,
                    format!("`{key}` is not a date: write it as YYYY-MM-DD (e.g. 2011-03-31); ignored"),
                );
                None
            }
        }
    }
}

/// Drops the parser's "at line 3 column 1" parts: they count from the start of the YAML, not
/// the file, and the diagnostic already carries the file line.
fn without_positions(message: &str) -> String {
    static POSITION: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = POSITION.get_or_init(|| {
        regex::Regex::new(r" at line \d+ column \d+").unwrap_or_else(|_| unreachable!("valid regex"))
    });
    re.replace_all(message, "").into_owned()
}

/// Reads `YYYY-MM-DD` (optionally followed by a time), or the `MM/DD/YYYY` of MS-docs.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let head = text.get(..10).unwrap_or(text);
    NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%m/%d/%Y"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_and_counts_body_line() {
        let s = split("---\nid: 1\ntitle: A\n---\n# Body\n").unwrap();
        assert_eq!(s.yaml, "id: 1\ntitle: A\n");
        assert_eq!(s.body, "# Body\n");
        assert_eq!(s.body_line, 5);
    }

    #[test]
    fn file_without_front_matter_is_all_body() {
        let s = split("# Just markdown\n").unwrap();
        assert_eq!(s.yaml, "");
        assert_eq!(s.body_line, 1);
    }

    #[test]
    fn unclosed_front_matter_is_fatal_and_says_what_to_do() {
        let e = split("---\nid: 1\n# Body\n").unwrap_err();
        assert!(e.fatal);
        assert!(e.message.contains("never closed"), "{}", e.message);
    }

    #[test]
    fn reads_known_fields_and_ignores_unknown_ones() {
        let (fm, warnings) = parse(
            "id: 1001\ntitle: T\nsummary: S\nproducts: [A, B]\ntags: x\nms.custom: whatever\npublished: 2011-03-31\n",
        )
        .unwrap();
        assert!(warnings.is_empty());
        assert_eq!(fm.id, Some(1001));
        assert_eq!(fm.products, ["A", "B"]);
        assert_eq!(fm.tags, ["x"]);
        assert_eq!(fm.published, NaiveDate::from_ymd_opt(2011, 3, 31));
    }

    #[test]
    fn accepts_ms_docs_spellings() {
        let (fm, _) = parse("title: T\ndescription: D\nms.date: 03/31/2011\nms.topic: article\n").unwrap();
        assert_eq!(fm.summary.as_deref(), Some("D"));
        assert_eq!(fm.published, NaiveDate::from_ymd_opt(2011, 3, 31));
    }

    #[test]
    fn wrong_type_is_a_warning_on_its_line() {
        let (fm, warnings) = parse("title: T\nid: abc\nreviewed: yesterday\n").unwrap();
        assert_eq!(fm.id, None);
        assert_eq!(warnings.len(), 2);
        assert_eq!(warnings[0].line, 3);
        assert!(warnings[1].message.contains("YYYY-MM-DD"));
    }

    #[test]
    fn malformed_yaml_is_fatal_with_a_line() {
        let e = parse("title: T\ntags: [a, b\n").unwrap_err();
        assert!(e.fatal);
        assert!(e.line >= 2);
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;

    const YAML_TOKENS: &[&str] = &[
        "---\n",
        "\n",
        "id: ",
        "title: ",
        "tags: ",
        "products: ",
        "published: ",
        "reviewed: ",
        "ms.date: ",
        "description: ",
        "aliases: ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "- ",
        "  ",
        "\"",
        "'",
        "!!binary ",
        "&a ",
        "*a",
        "<<: ",
        "? ",
        "|\n",
        ">\n",
        "1001",
        "-1",
        "99999999999999999999",
        "2011-03-31",
        "03/31/2011",
        "null",
        "~",
        "true",
        "0x1F",
        "\t",
        "#",
        "\u{feff}",
        "\r\n",
        "...\n",
        "%YAML 1.2\n",
    ];

    #[test]
    fn fuzz_front_matter_never_panics_and_lines_stay_in_the_file() {
        crate::fuzz::run("front matter", crate::fuzz::token_soup(YAML_TOKENS, 60), |src| {
            match split(&src) {
                Ok(s) => {
                    proptest::prop_assert!(s.body_line >= 1);
                    let lines = src.lines().count() + 2;
                    match parse(s.yaml) {
                        Ok((_, warnings)) => {
                            for w in warnings {
                                proptest::prop_assert!(w.line >= 1 && w.line <= lines, "{w:?}");
                            }
                        }
                        Err(e) => proptest::prop_assert!(e.fatal && e.line >= 1 && e.line <= lines, "{e:?}"),
                    }
                }
                Err(e) => proptest::prop_assert!(e.fatal),
            }
            Ok(())
        });
    }
}
