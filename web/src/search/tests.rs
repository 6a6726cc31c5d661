//! Search behaviour over small fixture libraries.

use std::path::Path;

use super::*;
use crate::content::Library;
use crate::search::corpus;

pub(super) fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

pub(super) fn library(files: &[(&str, &str)]) -> (tempfile::TempDir, Library) {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    let library = Library::load(dir.path(), None);
    (dir, library)
}

/// Generated articles (path, Markdown) loaded and indexed in memory.
pub(super) fn indexed(files: &[(String, String)]) -> (tempfile::TempDir, Library, SearchIndex) {
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let (dir, library) = library(&files);
    let index = SearchIndex::in_memory(&library).unwrap();
    (dir, library, index)
}

const OFFLOAD: &str = "---
id: 1001
title: TCP Checksum Offload is not TCP Task Offload
summary: Turning off checksum offload does not cure flaky VM networking on Hyper-V.
products: [Hyper-V, Windows Server 2008 R2]
tags: [networking, offload]
symptoms:
  - \"VMs lose network connectivity intermittently\"
---
# TCP Checksum Offload is not TCP Task Offload

Large send offload is set per adapter. Run `Disable-NetAdapterLso -Name Ethernet` or set
the value under `HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters`.

```powershell
Disable-NetAdapterLso -Name \"Ethernet 2\"
```
";

const ACCESS: &str = "---
id: 1002
title: Update fails with access denied
summary: Windows Update stops with error 0x80070005 when the service account lacks rights.
products: [Windows Server 2012]
tags: [updates]
symptoms:
  - \"Installing KB2664888 fails with 0x80070005\"
---
The installer reports \"access denied\" & stops. Check the rights of the SYSTEM account.
";

const AZURE: &str = "---
id: 1003
title: VM to VM network communication in Windows Azure
summary: Role instances only accept traffic on declared endpoints.
products: [Windows Azure]
tags: [networking, azure]
symptoms:
  - \"Role instances in the same cloud service cannot connect to each other\"
---
Declare Input or Internal endpoints and open the guest firewall.
";

const HUB: &str = "---
title: Networking articles
summary: Every networking article.
tags: [networking]
---
- [TCP Checksum Offload is not TCP Task Offload](offload.md): VMs lose network connectivity intermittently; checksum offload, task offload, large send offload.
- [VM to VM](azure.md): Role instances cannot connect; network connectivity.
- [Access](access.md): access denied.
- [Offload again](offload.md): offload offload network connectivity.
- [More](azure.md): network.
- [Even more](access.md): network connectivity lost.
";

const SYNONYMS: &str = "groups = [[\"LSO\", \"large send offload\", \"TCP segmentation offload\", \"TSO\"], [\"SCVMM\", \"Virtual Machine Manager\"], [\"Hyper-V\", \"hyperv\"]]\n";

fn fixture() -> (tempfile::TempDir, Library) {
    library(&[
        ("offload.md", OFFLOAD),
        ("access.md", ACCESS),
        ("azure.md", AZURE),
        ("hub.md", HUB),
        ("synonyms.toml", SYNONYMS),
    ])
}

fn slugs(index: &SearchIndex, library: &Library, q: &str) -> Vec<String> {
    index
        .search(library, &SearchRequest::new(q))
        .hits
        .into_iter()
        .map(|h| h.slug)
        .collect()
}

fn first(index: &SearchIndex, library: &Library, q: &str) -> Option<String> {
    slugs(index, library, q).into_iter().next()
}

#[test]
fn symptom_finds_the_article_about_it_not_the_hub() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    assert_eq!(
        first(&index, &lib, "vms lose network connectivity").as_deref(),
        Some("offload")
    );
    assert_eq!(
        first(&index, &lib, "cloud service instances cannot connect").as_deref(),
        Some("azure")
    );
}

#[test]
fn error_codes_and_identifiers_are_found_whole_and_by_parts() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    for q in [
        "0x80070005",
        "80070005",
        "KB2664888",
        "2664888",
        "error 0x80070005",
        "\"0x80070005\"",
    ] {
        assert_eq!(first(&index, &lib, q).as_deref(), Some("access"), "{q}");
    }
    for q in [
        "Disable-NetAdapterLso",
        "NetAdapterLso",
        r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters",
        "tcpip parameters",
    ] {
        assert_eq!(first(&index, &lib, q).as_deref(), Some("offload"), "{q}");
    }
}

#[test]
fn quoted_phrases_must_match_and_exclusions_must_not() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    let hits = slugs(&index, &lib, "\"access denied\"");
    assert_eq!(hits.first().map(String::as_str), Some("access"));
    assert!(!hits.contains(&"azure".to_owned()));
    let hits = slugs(&index, &lib, "network -offload");
    assert!(!hits.contains(&"offload".to_owned()), "{hits:?}");
    assert!(hits.contains(&"azure".to_owned()), "{hits:?}");
}

#[test]
fn product_and_tag_filters_narrow_and_facets_count() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    let all = index.search(&lib, &SearchRequest::new("network"));
    let networking = all
        .facets
        .tags
        .iter()
        .find(|f| f.value == "networking")
        .map(|f| f.count);
    assert_eq!(networking, Some(3), "{:?}", all.facets);
    let hits = slugs(&index, &lib, "network product:hyper-v");
    assert_eq!(hits, ["offload"]);
    let req = SearchRequest {
        q: "network".into(),
        tags: vec!["azure".into()],
        ..SearchRequest::default()
    };
    let only = index.search(&lib, &req);
    assert_eq!(only.total, 1);
    assert_eq!(only.hits[0].slug, "azure");
    // A filter alone lists everything it matches.
    assert_eq!(index.search(&lib, &SearchRequest::new("tag:networking")).total, 3);
}

#[test]
fn synonyms_expand_to_multi_word_terms() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    assert_eq!(first(&index, &lib, "TSO").as_deref(), Some("offload"));
    assert_eq!(
        first(&index, &lib, "tcp segmentation offload").as_deref(),
        Some("offload")
    );
}

#[test]
fn typos_still_find_and_suggest_a_correction() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    let r = index.search(&lib, &SearchRequest::new("conectivity ofload"));
    assert_eq!(r.hits.first().map(|h| h.slug.as_str()), Some("offload"));
    assert_eq!(r.suggestion.as_deref(), Some("connectivity offload"));
    assert_eq!(
        index.search(&lib, &SearchRequest::new("offload")).suggestion,
        None
    );
}

#[test]
fn a_word_the_synonyms_know_is_not_corrected() {
    // "hyperv" is in no article (they write Hyper-V) but is one of its synonyms: the typo next
    // to it is corrected, it is not turned into "hyper".
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    let r = index.search(&lib, &SearchRequest::new("hyperv ofload"));
    assert_eq!(r.hits.first().map(|h| h.slug.as_str()), Some("offload"));
    assert_eq!(r.suggestion.as_deref(), Some("hyperv offload"));
    assert_eq!(index.search(&lib, &SearchRequest::new("hyperv")).suggestion, None);
}

#[test]
fn last_word_is_a_prefix_while_typing() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    assert_eq!(first(&index, &lib, "role endpo").as_deref(), Some("azure"));
    let s = index.suggest(&lib, "tcp check", 5);
    assert_eq!(s.first().map(|s| s.slug.as_str()), Some("offload"));
    let s = index.suggest(&lib, "windows az", 5);
    assert_eq!(s.first().map(|s| s.slug.as_str()), Some("azure"));
    assert_eq!(
        index.suggest(&lib, "1002", 5).first().map(|s| s.slug.as_str()),
        Some("access")
    );
}

#[test]
fn kb_numbers_redirect_to_their_article() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    for q in ["1001", "KB1001", "kb 1001"] {
        assert_eq!(
            index.search(&lib, &SearchRequest::new(q)).redirect.as_deref(),
            Some("/kb/offload"),
            "{q}"
        );
    }
    assert_eq!(index.search(&lib, &SearchRequest::new("9999")).redirect, None);
}

#[test]
fn snippets_mark_matches_and_escape_the_rest() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    let r = index.search(&lib, &SearchRequest::new("access denied installer"));
    let hit = &r.hits[0];
    assert!(
        hit.snippet_html.contains("<mark>installer</mark>"),
        "{}",
        hit.snippet_html
    );
    assert!(
        hit.snippet_html.contains("&amp;") && hit.snippet_html.contains("&quot;"),
        "{}",
        hit.snippet_html
    );
    assert_eq!(hit.path, "access.md");
    assert_eq!(hit.url, "/kb/access");
}

#[test]
fn any_input_is_a_search() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    for q in [
        "",
        " ",
        "\"",
        "-",
        "--",
        "product:",
        "tag:\"",
        "(((",
        "AND OR NOT",
        "*",
        "\\",
        "a:b:c",
        "\u{0}",
        "ü",
        "-\"\"",
        "offload~2^3",
        "[TO]",
        "{}",
        "\"unterminated offload",
    ] {
        let r = index.search(&lib, &SearchRequest::new(q));
        assert!(r.total >= r.hits.len(), "{q}");
    }
    assert_eq!(index.search(&lib, &SearchRequest::new("")).total, 0);
}

#[test]
fn pagination_pages_through_results() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    let all = slugs(&index, &lib, "network");
    let mut paged = Vec::new();
    for offset in 0..all.len() {
        let req = SearchRequest {
            q: "network".into(),
            limit: Some(1),
            offset,
            ..SearchRequest::default()
        };
        let r = index.search(&lib, &req);
        assert_eq!(r.total, all.len());
        paged.extend(r.hits.into_iter().map(|h| h.slug));
    }
    assert_eq!(paged, all);
}

#[test]
fn response_serializes_as_the_api_contract() {
    let (_d, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    let json = serde_json::to_value(index.search(&lib, &SearchRequest::new("offload"))).unwrap();
    let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["facets", "hits", "query", "suggestion", "took_ms", "total"]
    );
    let hit = json["hits"][0].as_object().unwrap();
    let mut keys: Vec<&str> = hit.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "id",
            "path",
            "products",
            "score",
            "slug",
            "snippet_html",
            "summary",
            "tags",
            "title",
            "url"
        ]
    );
    assert!(json["facets"]["products"][0]["value"].is_string());
    assert!(json["facets"]["tags"][0]["count"].is_number());
}

#[test]
fn restart_reuses_the_index_and_changes_reindex_alone() {
    let (content, lib) = fixture();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("index");
    let first = SearchIndex::open_dir(&dir).unwrap();
    let stats = first.update(&lib).unwrap();
    assert_eq!(stats.added, 4);
    drop(first);

    let again = SearchIndex::open_dir(&dir).unwrap();
    let stats = again.update(&lib).unwrap();
    assert_eq!((stats.added, stats.updated, stats.unchanged), (0, 0, 4));

    write_files(
        content.path(),
        &[("azure.md", &AZURE.replace("firewall", "firewall zebra"))],
    );
    std::fs::remove_file(content.path().join("access.md")).unwrap();
    let lib2 = Library::load(content.path(), Some(&lib));
    let stats = again.update(&lib2).unwrap();
    assert_eq!(
        (stats.added, stats.updated, stats.removed, stats.unchanged),
        (0, 1, 1, 2)
    );
    assert_eq!(first_hit(&again, &lib2, "zebra"), Some("azure".into()));
    assert_eq!(again.search(&lib2, &SearchRequest::new("0x80070005")).total, 0);
    assert_eq!(again.len(), 3);
}

fn first_hit(index: &SearchIndex, lib: &Library, q: &str) -> Option<String> {
    first(index, lib, q)
}

#[test]
fn a_schema_version_change_rebuilds() {
    let (_content, lib) = fixture();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("index");
    SearchIndex::open(&dir, &lib).unwrap();
    std::fs::write(dir.join("fixkb-schema-version"), "0\n").unwrap();
    let index = SearchIndex::open_dir(&dir).unwrap();
    assert!(index.is_empty());
    assert_eq!(index.update(&lib).unwrap().added, 4);
}

#[test]
#[ignore = "slow: 15,000 files (run with --ignored)"]
fn a_foreign_docs_folder_of_15000_files_indexes_and_serves() {
    let content = tempfile::tempdir().unwrap();
    for i in 0..15_000 {
        let (path, md) = corpus::foreign_article(i);
        write_files(content.path(), &[(path.as_str(), md.as_str())]);
    }
    let started = std::time::Instant::now();
    let lib = Library::load(content.path(), None);
    let loaded = started.elapsed();
    assert_eq!(lib.articles.len(), 15_000);
    let data = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let index = SearchIndex::open(&data.path().join("index"), &lib).unwrap();
    let built = started.elapsed();
    assert_eq!(index.len(), 15_000);
    let spec = corpus::spec(1234);
    let r = index.search(
        &lib,
        &SearchRequest::new(format!("{} {}", spec.component, spec.problem)),
    );
    assert!(r.total > 0);
    assert!(r.hits[0].title.contains(spec.component), "{:?}", r.hits[0].title);
    assert!(!index.suggest(&lib, "troubleshoot pri", 5).is_empty());
    println!("15,000 foreign files: loaded in {loaded:.1?}, indexed in {built:.1?}");
}

#[test]
fn a_repeated_search_is_answered_from_the_cache_until_the_content_changes() {
    let (content, lib) = fixture();
    let data = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(&data.path().join("index"), &lib).unwrap();
    let request = SearchRequest::new("firewall");
    let first = index.search(&lib, &request);
    assert_eq!(index.cache_counts(), (0, 1));
    let again = index.search(&lib, &request);
    assert_eq!(index.cache_counts(), (1, 1), "the repeat is a cache hit");
    assert_eq!(again.hits, first.hits);
    assert_eq!((again.total, &again.facets), (first.total, &first.facets));

    // Another page, filter or query is another answer.
    let mut page_two = request.clone();
    page_two.offset = 1;
    index.search(&lib, &page_two);
    index.search(&lib, &SearchRequest::new("firewall zebra"));
    assert_eq!(index.cache_counts(), (1, 3));

    // An edit changes the revision and the index generation: the old answer is not served.
    write_files(
        content.path(),
        &[("access.md", &format!("{ACCESS}\n\nThe firewall zebra rule.\n"))],
    );
    let lib2 = Library::load(content.path(), Some(&lib));
    index.update(&lib2).unwrap();
    let after = index.search(&lib2, &request);
    assert_eq!(index.cache_counts(), (1, 4));
    assert_eq!(after.total, first.total + 1, "{after:?}");
    assert!(after.hits.iter().any(|h| h.slug == "access"));
}

#[test]
fn a_cache_of_size_zero_searches_every_time() {
    let (_content, lib) = fixture();
    let data = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(&data.path().join("index"), &lib).unwrap();
    index.set_answer_cache(0);
    let request = SearchRequest::new("firewall");
    let first = index.search(&lib, &request);
    let again = index.search(&lib, &request);
    assert_eq!(index.cache_counts(), (0, 2));
    assert_eq!(again.hits, first.hits);
}

#[test]
fn words_kept_scored_give_the_answer_of_reading_them_and_are_not_reused_after_an_edit() {
    let (content, lib) = fixture();
    let data = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(&data.path().join("index"), &lib).unwrap();
    index.set_answer_cache(0);
    let request = SearchRequest::new("firewall network adapter");
    let read = index.search(&lib, &request);
    assert!(read.total > 1, "{read:?}");
    let (entries, bytes) = index.word_cache_usage();
    assert!(
        entries > 3 && bytes > 0,
        "each word and clause kept: {entries} entries"
    );
    // Its boost clauses too (adjacent pairs, the phrase, coverage): in four articles, probing
    // them costs about what reading them does, so they are read at once. A repeat reads
    // nothing new.
    let second = index.search(&lib, &request);
    let kept = index.search(&lib, &request);
    assert_eq!(
        index.word_cache_usage().0,
        entries,
        "the repeat reads nothing new"
    );
    for answer in [&second, &kept] {
        assert_eq!(
            (&answer.hits, answer.total, &answer.facets),
            (&read.hits, read.total, &read.facets)
        );
    }

    // An edit adds "firewall" to another article: the index's statistics and the word's
    // documents change, so what was kept for the old index must not be used.
    write_files(
        content.path(),
        &[("access.md", &format!("{ACCESS}\n\nThe firewall blocks it.\n"))],
    );
    let lib2 = Library::load(content.path(), Some(&lib));
    index.update(&lib2).unwrap();
    let after = index.search(&lib2, &request);
    assert_eq!(after.total, read.total + 1, "{after:?}");
    index.set_word_cache(0);
    let unkept = index.search(&lib2, &request);
    assert_eq!(index.word_cache_usage(), (0, 0));
    assert_eq!(
        (&after.hits, after.total, &after.facets),
        (&unkept.hits, unkept.total, &unkept.facets)
    );
}

/// Values with their counts, most common first.
type Counted = Vec<(String, usize)>;

/// Product and tag counts computed from the hits themselves.
fn counted_from_hits(response: &SearchResponse) -> (Counted, Counted) {
    let count = |values: Vec<&String>| {
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for v in values {
            *counts.entry(v.clone()).or_default() += 1;
        }
        let mut out: Vec<(String, usize)> = counts.into_iter().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    };
    (
        count(response.hits.iter().flat_map(|h| &h.products).collect()),
        count(response.hits.iter().flat_map(|h| &h.tags).collect()),
    )
}

#[test]
fn facet_counts_are_those_of_every_match_across_segments_and_edits() {
    let (content, lib) = fixture();
    let data = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(&data.path().join("index"), &lib).unwrap();
    let check = |index: &SearchIndex, lib: &Library, q: &str| {
        let mut request = SearchRequest::new(q);
        request.limit = Some(MAX_LIMIT);
        let response = index.search_uncached(lib, &request);
        assert!(
            response.total > 1 && response.total == response.hits.len(),
            "{q}: {response:?}"
        );
        let pairs = |f: &[Facet]| f.iter().map(|f| (f.value.clone(), f.count)).collect::<Vec<_>>();
        assert_eq!(
            (pairs(&response.facets.products), pairs(&response.facets.tags)),
            counted_from_hits(&response),
            "{q}"
        );
    };
    check(&index, &lib, "network");
    check(&index, &lib, "offload network access");
    // An edit adds a segment and deletes the old version of the article.
    write_files(
        content.path(),
        &[(
            "access.md",
            &ACCESS.replace("tags: [updates]", "tags: [updates, networking]\n# network"),
        )],
    );
    let lib2 = Library::load(content.path(), Some(&lib));
    index.update(&lib2).unwrap();
    check(&index, &lib2, "network");
    check(&index, &lib2, "offload network access");
}

#[test]
fn a_large_build_leaves_one_segment_and_small_updates_stay_searchable() {
    let content = tempfile::tempdir().unwrap();
    let n = super::index::LARGE_UPDATE;
    for i in 0..n {
        let md = format!("---\ntitle: Article {i}\n---\nThe quux{i} service fails.\n");
        write_files(content.path(), &[(format!("a{i}.md").as_str(), md.as_str())]);
    }
    let lib = Library::load(content.path(), None);
    assert_eq!(lib.articles.len(), n);
    let data = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(&data.path().join("index"), &lib).unwrap();
    // Two writer threads make two segments or more; the build merges them.
    assert_eq!(index.reader.searcher().segment_readers().len(), 1);
    assert_eq!(
        index.search_uncached(&lib, &SearchRequest::new("quux17")).hits[0].title,
        "Article 17"
    );

    write_files(
        content.path(),
        &[("new.md", "---\ntitle: Newcomer\n---\nThe quux service fails.\n")],
    );
    let lib = Library::load(content.path(), None);
    index.update(&lib).unwrap();
    let r = index.search_uncached(&lib, &SearchRequest::new("newcomer"));
    assert_eq!(r.hits[0].title, "Newcomer");
    assert_eq!(
        index.search_uncached(&lib, &SearchRequest::new("service")).total,
        n + 1
    );
}

#[test]
fn the_snippet_is_the_passage_with_the_most_matches_among_those_that_could_have_as_many() {
    // Both paragraphs may hold both words; the second has more matches, so it must still be
    // analysed after the first and win. A third holds one word and cannot beat either.
    let (_dir, lib) = library(&[(
        "a.md",
        "---\ntitle: Adapters\n---\nOffload and network.\n\nOffload the network, offload the network offload.\n\nOffload only.\n",
    )]);
    let index = SearchIndex::in_memory(&lib).unwrap();
    let r = index.search_uncached(&lib, &SearchRequest::new("offload network"));
    assert_eq!(r.hits.len(), 1);
    assert_eq!(
        r.hits[0].snippet_html,
        "<mark>Offload</mark> the <mark>network</mark>, <mark>offload</mark> the <mark>network</mark> <mark>offload</mark>."
    );
}

#[test]
fn equal_scores_are_ordered_by_slug_whatever_the_index_order() {
    // Twins score alike. Each pair has one twin in the first build and one added later, in
    // opposite slug order, so whichever segment comes first, index order gets one pair wrong.
    let twin = |word: &str| format!("---\ntitle: The {word} service fails\n---\nRestart {word}.\n");
    let (one, two) = (twin("quuxone"), twin("quuxtwo"));
    let content = tempfile::tempdir().unwrap();
    write_files(content.path(), &[("one-b.md", &one), ("two-a.md", &two)]);
    let lib = Library::load(content.path(), None);
    let data = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(&data.path().join("index"), &lib).unwrap();
    write_files(content.path(), &[("one-a.md", &one), ("two-b.md", &two)]);
    let lib = Library::load(content.path(), Some(&lib));
    index.update(&lib).unwrap();
    assert_eq!(index.reader.searcher().segment_readers().len(), 2);
    for (q, expected) in [("quuxone", ["one-a", "one-b"]), ("quuxtwo", ["two-a", "two-b"])] {
        let r = index.search_uncached(&lib, &SearchRequest::new(q));
        assert_eq!(r.hits.len(), 2, "{q}");
        assert_eq!(r.hits[0].score, r.hits[1].score, "{q}: twins should tie");
        let slugs: Vec<&str> = r.hits.iter().map(|h| h.slug.as_str()).collect();
        assert_eq!(slugs, expected, "{q}");
    }
}

#[test]
fn common_words_help_choose_the_candidates_not_only_rank_them() {
    // "alpha" and "beta" are in every body, so they are common; 60 articles repeat the rarer
    // "quux" and outscore the one titled with the common words on it alone. The common words
    // must count before the best candidates (here 20) are taken, or it is never one of them.
    let mut files: Vec<(String, String)> = (0..60)
        .map(|i| {
            let md = format!("---\ntitle: Quux report {i}\n---\nQuux quux, alpha beta.\n");
            (format!("q{i}.md"), md)
        })
        .collect();
    files.extend((0..1_100).map(|i| {
        (
            format!("f{i}.md"),
            format!("---\ntitle: Filler {i}\n---\nAlpha beta.\n"),
        )
    }));
    files.push((
        "target.md".into(),
        "---\ntitle: Alpha beta gamma\nsummary: Alpha beta.\n---\nAlpha beta quux.\n".into(),
    ));
    let (_dir, lib, index) = indexed(&files);
    let weights = Weights {
        rescore: 20,
        ..Weights::default()
    };
    let r = index.search_with(&lib, &SearchRequest::new("alpha beta quux"), &weights);
    assert_eq!(r.total, 61);
    let top: Vec<_> = r.hits.iter().take(3).map(|h| (&h.slug, h.score)).collect();
    assert_eq!(r.hits[0].slug, "target", "{top:?}");
}

#[test]
fn the_first_pass_words_give_coordination_and_coverage_the_answer_of_probing() {
    // 2,500 articles: "alpha" in every body and some titles (a common word), rarer words
    // (in fewer than a tenth of the articles) spread unevenly, and a synonym group ("nic" / "network adapter") whose expansion makes
    // a word that coordination must still probe.
    let mut files: Vec<(String, String)> = (0..2_500)
        .map(|i| {
            let pick = |word: &'static str, every: usize| if i % every == 0 { word } else { "" };
            let title = format!(
                "Report {i} {} {} {}",
                pick("alpha", 3),
                pick("quux", 29),
                pick("nic", 11)
            );
            let body = format!(
                "alpha {} {} {} {} filler{}",
                pick("quux", 23),
                pick("zorp", 17),
                pick("beta", 12),
                pick("network adapter", 13),
                i % 9
            );
            let md = format!("---\ntitle: {title}\nproducts: [P{}]\n---\n{body}\n", i % 3);
            (format!("a{i}.md"), md)
        })
        .collect();
    files.push((
        "synonyms.toml".into(),
        "groups = [[\"nic\", \"network adapter\"]]\n".into(),
    ));
    let (_dir, library, index) = indexed(&files);
    let searcher = index.reader.searcher();
    let synonyms = index.synonyms.get(&library.synonyms);
    let weights = Weights::default();
    let walked = Weights {
        walk: true,
        ..Weights::default()
    };
    let queries = [
        "alpha quux zorp",
        "quux zorp beta",
        "alpha nic quux",
        "zorp quux alpha beta",
    ];
    for q in queries {
        // The first pass knows the words of these queries (word by word, few enough words).
        let built = build::Builder::new(&index.fields, &searcher, &weights, &synonyms).build(
            q,
            &query::parse(q),
            &[],
            &[],
        );
        assert!(built.concepts.len() > 1, "{q}");
        assert!(built.concepts.iter().any(|c| c.word.is_some()), "{q}");
        let facets = index.facet_tables.collector(&searcher).unwrap();
        let query = built.query.expect("searched");
        let found = first_pass::first_pass(
            &searcher,
            query.as_ref(),
            &built.common,
            500,
            &facets,
            false,
            None,
        )
        .unwrap();
        assert!(found.words.is_some(), "{q}");
        // Served (coordination and coverage know the words from the first pass) and walked
        // (every word probed, every coverage clause probed for every candidate) agree.
        for offset in [0, 10] {
            let req = SearchRequest {
                q: q.into(),
                offset,
                ..SearchRequest::default()
            };
            let ours = index.search_with(&library, &req, &weights);
            let theirs = index.search_with(&library, &req, &walked);
            let hits = |r: &SearchResponse| -> Vec<(String, f32)> {
                r.hits.iter().map(|h| (h.slug.clone(), h.score)).collect()
            };
            assert!(!ours.hits.is_empty(), "{q}");
            assert_eq!(hits(&ours), hits(&theirs), "{q}, offset {offset}");
            assert_eq!(ours.total, theirs.total, "{q}");
        }
    }
    // "alpha" is common (only adds to matches), "nic" has a synonym: both kinds are there.
    let q = "alpha nic quux";
    let built = build::Builder::new(&index.fields, &searcher, &weights, &synonyms).build(
        q,
        &query::parse(q),
        &[],
        &[],
    );
    assert_eq!(built.common.len(), 1, "alpha is common");
    assert!(built.concepts.iter().any(|c| c.word.is_none()), "nic is probed");
}

#[test]
fn rescoring_adds_the_adjacent_pairs_as_their_phrase_clauses_would() {
    // Titles with the query's words next to each other, apart, or in the other order, so that
    // the pair boosts separate otherwise equal articles.
    let files: Vec<(String, String)> = (0..400)
        .map(|i| {
            let title = match i % 4 {
                0 => "spooler stops responding after update",
                1 => "responding spooler after the print stops",
                2 => "print spooler stops responding",
                _ => "stops the spooler, then responding",
            };
            let md =
                format!("---\ntitle: {title} {i}\nsymptoms:\n  - \"{title}\"\n---\nprint spooler body {i}\n");
            (format!("a{i}.md"), md)
        })
        .collect();
    let (_dir, library, index) = indexed(&files);
    let searcher = index.reader.searcher();
    let synonyms = index.synonyms.get(&library.synonyms);
    let weights = Weights::default();
    let q = "print spooler stops responding";
    let built = build::Builder::new(&index.fields, &searcher, &weights, &synonyms).build(
        q,
        &query::parse(q),
        &[],
        &[],
    );
    assert!(
        built.boost.iter().any(|b| b.pair.is_some()),
        "the query has adjacent pairs"
    );
    let facets = index.facet_tables.collector(&searcher).unwrap();
    let query = built.query.as_ref().expect("searched");
    let found = first_pass::first_pass(
        &searcher,
        query.as_ref(),
        &built.common,
        500,
        &facets,
        false,
        None,
    )
    .unwrap();
    let rescored_kept = |boost: &[build::Boost], kept: Option<first_pass::Kept<'_>>| {
        let (mut top, mut words) = (found.top.clone(), found.words.clone());
        execute::rescore(&searcher, &mut top, boost, &built.coverage, words.as_mut(), kept).unwrap();
        top.iter().map(|(s, a)| (s.to_bits(), *a)).collect::<Vec<_>>()
    };
    let rescored = |boost: &[build::Boost]| rescored_kept(boost, None);
    let clone = |b: &build::Boost, pair: bool| build::Boost {
        query: b.query.box_clone(),
        words: b.words.clone(),
        pair: b.pair.clone().filter(|_| pair),
    };
    // As served (the pairs read together), and each pair clause probed through tantivy alone.
    let served = rescored(&built.boost);
    // With a cache of scored words (each clause probed until it has been probed six times per
    // posting, far longer than served, so that clauses take different turns), then taken from
    // the cache; the same scores every time.
    let words = first_pass::ScoredWords::new(1 << 22).renting_longer(6);
    let kept = first_pass::Kept {
        words: &words,
        generation: searcher.generation().generation_id(),
    };
    let clauses = built.boost.len() + built.coverage.iter().map(|c| c.clauses.len()).sum::<usize>();
    let segments = searcher.segment_readers().len();
    let mut kept_counts = Vec::new();
    for round in 0..40 {
        assert_eq!(served, rescored_kept(&built.boost, Some(kept)), "round {round}");
        kept_counts.push(words.usage().0);
    }
    assert!(
        kept_counts.iter().any(|&n| n > 0 && n < clauses * segments),
        "some rounds with clauses both kept and probed: {kept_counts:?}"
    );
    assert_eq!(kept_counts.last(), Some(&(clauses * segments)), "{kept_counts:?}");
    let one_by_one: Vec<build::Boost> = built.boost.iter().map(|b| clone(b, false)).collect();
    assert_eq!(
        served,
        rescored(&one_by_one),
        "the same scores, to the bit, in the same order"
    );
    // And the pairs count: without them the scores are not the same.
    let without: Vec<build::Boost> = built
        .boost
        .iter()
        .filter(|b| b.pair.is_none())
        .map(|b| clone(b, true))
        .collect();
    assert_ne!(served, rescored(&without), "the pair boosts change the scores");
}

#[test]
fn snippets_follow_an_edit_of_the_body_or_the_summary() {
    let (content, lib) = fixture();
    let index = SearchIndex::in_memory(&lib).unwrap();
    let snippet = |lib: &Library, q: &str| {
        let r = index.search(lib, &SearchRequest::new(q));
        r.hits.first().map(|h| h.snippet_html.clone()).unwrap_or_default()
    };
    let html = snippet(&lib, "check rights");
    assert!(
        html.contains("&amp; stops. <mark>Check</mark> the <mark>rights</mark>"),
        "{html}"
    );
    // The same index, which kept what it read of the article, after an edit of its body and
    // then of its summary alone.
    let edit = |text: &str, previous: &Library| {
        write_files(content.path(), &[("access.md", text)]);
        let next = Library::load(content.path(), Some(previous));
        index.update(&next).unwrap();
        next
    };
    let body = ACCESS.replace("Check the rights", "Since June check the rights");
    let lib2 = edit(&body, &lib);
    let html = snippet(&lib2, "check rights");
    assert!(
        html.contains("stops. Since June <mark>check</mark> the <mark>rights</mark>"),
        "{html}"
    );
    let lib3 = edit(
        &body.replace("Windows Update stops", "Windows Update zebra stops"),
        &lib2,
    );
    let html = snippet(&lib3, "zebra");
    assert!(html.contains("Windows Update <mark>zebra</mark> stops"), "{html}");
}
