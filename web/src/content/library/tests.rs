use std::fs;

use super::*;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn library(files: &[(&str, &str)]) -> (tempfile::TempDir, Library) {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        write(dir.path(), rel, text);
    }
    let lib = Library::load(dir.path(), None);
    (dir, lib)
}

#[test]
fn loads_articles_and_resolves_ids_and_aliases() {
    let (_d, lib) = library(&[
        ("a.md", "---\nid: 7\naliases: [old-a]\n---\n# A\n"),
        ("Sub/B Page.md", "# B\n"),
    ]);
    assert_eq!(lib.articles.len(), 2);
    assert!(matches!(lib.lookup("a"), Lookup::Found(_)));
    assert!(matches!(lib.lookup("sub/b-page"), Lookup::Found(_)));
    assert!(matches!(lib.lookup("7"), Lookup::Redirect(a) if a.slug == "a"));
    assert!(matches!(lib.lookup("KB7"), Lookup::Redirect(a) if a.slug == "a"));
    assert!(matches!(lib.lookup("old-a"), Lookup::Redirect(a) if a.slug == "a"));
    assert_eq!(lib.lookup("nope"), Lookup::Missing);
}

#[test]
fn broken_article_is_reported_with_line_and_others_still_load() {
    let (_d, lib) = library(&[
        ("good.md", "# Good\n"),
        ("bad.md", "---\ntitle: Bad\ntags: [a, b\n---\nBody\n"),
    ]);
    assert_eq!(lib.articles.len(), 1);
    let d = &lib.diagnostics[0];
    assert_eq!(d.file, Path::new("bad.md"));
    assert!(d.is_error());
    assert!(d.line.is_some_and(|l| l >= 2), "{d}");
}

#[test]
fn duplicate_ids_slugs_and_aliases_are_errors() {
    let (_d, lib) = library(&[
        ("a.md", "---\nid: 1\n---\n"),
        ("b.md", "---\nid: 1\n---\n"),
        ("c.md", "---\nslug: a\n---\n"),
        ("d.md", "---\naliases: [a]\n---\n"),
    ]);
    let messages: Vec<String> = lib.diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("b.md:2: error: id 1 is already used by a.md")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.starts_with("c.md:1: error: slug `a`")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("d.md") && m.contains("alias `a`")),
        "{messages:?}"
    );
}

#[test]
fn relative_links_are_rewritten_and_broken_ones_warned() {
    let (_d, lib) = library(&[
        (
            "net/a.md",
            "# A\n\nSee [b](../b.md#cause) and [gone](missing.md).\n",
        ),
        ("b.md", "# B\n"),
    ]);
    let a = lib.article("net/a").unwrap();
    assert!(a.html.contains("href=\"/kb/b#cause\""), "{}", a.html);
    let d = lib
        .diagnostics
        .iter()
        .find(|d| d.file == Path::new("net/a.md"))
        .unwrap();
    assert_eq!(d.line, Some(3));
    assert!(!d.is_error());
}

#[test]
fn missing_fix_reference_is_an_error_naming_the_fix() {
    let (_d, lib) = library(&[("a.md", "---\ntitle: A\nfixes: [nope]\n---\n")]);
    assert!(lib.has_errors());
    assert!(
        lib.diagnostics[0]
            .to_string()
            .contains("a.md:3: error: fix `nope` does not exist"),
        "{}",
        lib.diagnostics[0]
    );
}

#[test]
fn reload_keeps_last_good_version_of_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.md", "---\ntitle: Good title\n---\nBody\n");
    let first = Library::load(dir.path(), None);
    write(dir.path(), "a.md", "---\ntitle: [unclosed\n---\nBody\n");
    let second = Library::load(dir.path(), Some(&first));
    assert_eq!(second.article("a").unwrap().title, "Good title");
    assert!(second.diagnostics[0].message.contains("last good version"));
    assert_eq!(
        first.revision, second.revision,
        "the served content did not change"
    );
}

#[test]
fn revision_changes_with_content() {
    let (_d1, a) = library(&[("a.md", "one")]);
    let (_d2, b) = library(&[("a.md", "two")]);
    assert_ne!(a.revision, b.revision);
    assert_eq!(a.revision.len(), 12);
}

#[test]
fn facets_count_products_and_related_prefers_shared_tags() {
    let (_d, lib) = library(&[
        ("a.md", "---\nproducts: [X]\ntags: [net]\n---\n"),
        ("b.md", "---\nproducts: [X]\ntags: [net]\n---\n"),
        ("c.md", "---\nproducts: [X]\n---\n"),
        ("d.md", "---\nproducts: [Y]\n---\n"),
    ]);
    assert_eq!(
        lib.products()[0],
        Facet {
            value: "X".into(),
            count: 3
        }
    );
    let a = lib.article("a").unwrap();
    let related: Vec<&str> = lib.related(a, 5).iter().map(|r| r.slug.as_str()).collect();
    assert_eq!(related, ["b", "c"]);
}

#[test]
fn hidden_folders_and_fixes_folder_are_not_articles() {
    let (_d, lib) = library(&[
        ("a.md", "# A"),
        (".git/x.md", "# X"),
        ("fixes/f/readme.md", "# F"),
    ]);
    assert_eq!(lib.articles.len(), 1);
}

#[test]
fn kb_numbers_parse_loosely() {
    assert_eq!(parse_kb_number("1001"), Some(1001));
    assert_eq!(parse_kb_number("KB1001"), Some(1001));
    assert_eq!(parse_kb_number("kb 1001"), Some(1001));
    assert_eq!(parse_kb_number("10a"), None);
    assert_eq!(parse_kb_number(""), None);
}
