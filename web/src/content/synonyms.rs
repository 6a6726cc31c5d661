//! `synonyms.toml`: groups of words and phrases that mean the same thing to a searcher.

use serde::Deserialize;

use super::Diagnostic;

/// Synonym groups, all lower-case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Synonyms {
    /// Each group lists equivalent terms (single words or phrases).
    #[serde(default)]
    pub groups: Vec<Vec<String>>,
}

impl Synonyms {
    /// Parses the file's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, Diagnostic> {
        let mut parsed: Synonyms = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
            Diagnostic::error(file, line, format!("synonyms are not valid: {}", e.message()))
        })?;
        for group in &mut parsed.groups {
            for term in group.iter_mut() {
                *term = term.trim().to_lowercase();
            }
            group.retain(|t| !t.is_empty());
        }
        parsed.groups.retain(|g| g.len() > 1);
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_lowercases_groups() {
        let s = Synonyms::parse(
            "s.toml",
            "groups = [[\"LSO\", \"Large Send Offload\"], [\"alone\"]]",
        )
        .unwrap();
        assert_eq!(
            s.groups,
            [vec!["lso".to_owned(), "large send offload".to_owned()]]
        );
    }

    #[test]
    fn bad_file_reports_line() {
        let e = Synonyms::parse("s.toml", "\ngroups = 3\n").unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
