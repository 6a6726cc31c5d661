use std::fs;
use std::path::Path;

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
    let html = a.body.html().unwrap();
    assert!(html.contains("href=\"/kb/b#cause\""), "{html}");
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

/// A content folder with `files` and a separate data folder to spill into.
fn spilled(files: &[(&str, &str)]) -> (tempfile::TempDir, tempfile::TempDir, Library) {
    let content = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        write(content.path(), rel, text);
    }
    let data = tempfile::tempdir().unwrap();
    let lib = Library::load_spilled(content.path(), None, data.path());
    (content, data, lib)
}

#[test]
fn spilled_bodies_read_back_like_memory_ones() {
    let files = [
        (
            "a.md",
            "# A\n\n## Cause\n\nSee [b](b.md).\n\n```sh\nnetsh int\n```\n",
        ),
        ("b.md", "# B\n"),
    ];
    let (_c, _d, spilled) = spilled(&files);
    let (_m, memory) = library(&files);
    let (a, b) = (spilled.article("a").unwrap(), memory.article("a").unwrap());
    assert!(a.body.is_spilled() && !b.body.is_spilled());
    assert_eq!(a.body.parts().unwrap().html, b.body.parts().unwrap().html);
    assert!(a.body.html().unwrap().contains("href=\"/kb/b\""));
    assert_eq!(*a.body.headings().unwrap(), ["A", "Cause"]);
    assert!(a.body.code().unwrap().contains("netsh int"));
    assert_eq!(spilled.revision, memory.revision);
    assert_eq!(a, b, "same article wherever its body lives");
}

#[test]
fn spilled_reload_keeps_unchanged_bodies_and_spills_changed_ones() {
    let (content, _d, first) = spilled(&[("a.md", "# A\n\nOld.\n"), ("b.md", "# B\n\nSame.\n")]);
    write(content.path(), "a.md", "# A\n\nNew.\n");
    let second = first.reload(content.path());
    let (a1, a2) = (first.article("a").unwrap(), second.article("a").unwrap());
    let (b1, b2) = (first.article("b").unwrap(), second.article("b").unwrap());
    assert!(b2.body.same_storage(&b1.body), "unchanged body keeps its handle");
    assert!(a2.body.is_spilled() && !a2.body.same_storage(&a1.body));
    assert!(a2.body.text().unwrap().contains("New."));
    drop(first);
    assert!(
        b2.body.text().unwrap().contains("Same."),
        "the old file outlives its snapshot"
    );
}

#[test]
fn spilled_reload_serves_the_last_good_version_of_a_broken_file() {
    let (content, _d, first) = spilled(&[("a.md", "---\ntitle: Good title\n---\nGood body\n")]);
    write(content.path(), "a.md", "---\ntitle: [unclosed\n---\nBody\n");
    let second = first.reload(content.path());
    drop(first);
    let a = second.article("a").unwrap();
    assert_eq!(a.title, "Good title");
    assert!(a.body.is_spilled());
    assert!(a.body.html().unwrap().contains("Good body"));
    assert!(second.diagnostics[0].message.contains("last good version"));
    // Broken twice in a row: the kept version is still there.
    let third = second.reload(content.path());
    assert_eq!(third.article("a").unwrap().title, "Good title");
}

#[test]
fn an_unusable_spill_folder_keeps_bodies_in_memory() {
    let content = tempfile::tempdir().unwrap();
    write(content.path(), "a.md", "# A\n\nText.\n");
    let lib = Library::load_spilled(content.path(), None, &content.path().join("missing"));
    let a = lib.article("a").unwrap();
    assert!(!a.body.is_spilled());
    assert!(a.body.text().unwrap().contains("Text."));
}

#[test]
fn every_slug_is_found_through_its_hash_and_a_colliding_hash_falls_back_to_the_sorted_list() {
    let files: Vec<(String, String)> = (0..50)
        .map(|i| (format!("p{i}.md"), format!("# P{i}\n")))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (_d, mut lib) = library(&files);
    for (i, a) in lib.articles.iter().enumerate() {
        assert_eq!(lib.position(&a.slug), Some(i));
    }
    assert_eq!(lib.position("p50"), None);
    // Two slugs whose hashes collide: the map keeps one, the other is found by binary search.
    let (p3, p4) = (lib.position("p3").unwrap(), lib.position("p4").unwrap());
    lib.by_slug_hash.insert(slug_hash("p4"), p3);
    assert_eq!(lib.position("p4"), Some(p4));
    assert_eq!(lib.article("p3").map(|a| a.slug.as_str()), Some("p3"));
}
