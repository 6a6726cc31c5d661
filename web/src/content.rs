//! The content folder: loading and validating articles, fixes and synonyms into an immutable
//! [`Library`] snapshot, and watching the folder to build the next one.
//!
//! Loading never fails as a whole: each broken file becomes a [`Diagnostic`] with its file and
//! line, is skipped (or keeps its last good version on reload), and everything else serves.

mod article;
pub mod bodies;
pub mod check;
mod diagnostic;
pub mod frontmatter;
mod library;
mod synonyms;
pub mod watch;

pub use article::{Article, slug_from_path};
pub use bodies::Body;
pub use diagnostic::{Diagnostic, Severity};
pub use library::{Facet, Library, Lookup, parse_kb_number};
pub use synonyms::Synonyms;
