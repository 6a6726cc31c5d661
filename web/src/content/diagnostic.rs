//! Problems found while loading content, each pinned to a file and (where known) a line.

use std::fmt;
use std::path::PathBuf;

/// How bad a content problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The file (or the reference) still serves; the author should look.
    Warning,
    /// The file could not be used; it is skipped (or its last good version kept).
    Error,
}

/// One problem in the content folder, reported as `file:line: severity: message`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Path relative to the content root, with `/` separators.
    pub file: PathBuf,
    /// 1-based line in `file`, when the problem has one.
    pub line: Option<usize>,
    /// Whether the file was skipped.
    pub severity: Severity,
    /// What is wrong and, where possible, what to do about it.
    pub message: String,
}

impl Diagnostic {
    /// An error in `file` at `line`.
    pub fn error(file: impl Into<PathBuf>, line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    /// A warning in `file` at `line`.
    pub fn warning(file: impl Into<PathBuf>, line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(file, line, message)
        }
    }

    /// True for errors (which make `fixkb check` fail).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display().to_string().replace('\\', "/");
        let severity = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        match self.line {
            Some(line) => write!(f, "{file}:{line}: {severity}: {}", self.message),
            None => write!(f, "{file}: {severity}: {}", self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_file_line_severity_message() {
        let d = Diagnostic::error("a/b.md", Some(3), "bad");
        assert_eq!(d.to_string(), "a/b.md:3: error: bad");
        let w = Diagnostic::warning("c.md", None, "meh");
        assert_eq!(w.to_string(), "c.md: warning: meh");
        assert!(d.is_error() && !w.is_error());
    }
}
