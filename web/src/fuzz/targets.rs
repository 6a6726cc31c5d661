//! Fuzz targets that span modules: the search query path end to end, and every starter fix
//! rendered with hostile values through every parameter.

use std::path::Path;
use std::sync::LazyLock;

use proptest::strategy::Strategy;
use proptest::{prop_assert, prop_assert_eq};

use crate::content::Library;
use crate::fixes::check::check_fix;
use crate::search::{SearchIndex, SearchRequest};

use super::{run, token_soup};

static LIBRARY: LazyLock<Library> =
    LazyLock::new(|| Library::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content"), None));

const QUERY_TOKENS: &[&str] = &[
    " ",
    "\"",
    "-",
    "product:",
    "tag:",
    "product:\"",
    "tag:\"Hyper-V\"",
    "*",
    "?",
    "~",
    "^2",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    "\\",
    "/",
    "AND",
    "OR",
    "NOT",
    "+",
    "&&",
    "||",
    "!",
    "0x80070005",
    "KB1001",
    "1001",
    "kb",
    "offload",
    "lso",
    "scvmm",
    "xenserver",
    "hyper-v",
    "HKLM\\SYSTEM\\",
    "Disable-NetAdapterLso",
    "é",
    "ß",
    "\u{202e}",
    "\u{200b}",
    "\u{0}",
    "\t",
    "\n",
    "🙂",
    "ﬁ",
    "İ",
    "a",
    "the",
];

#[test]
fn fuzz_search_queries_never_panic_and_stay_within_limits() {
    let index = SearchIndex::in_memory(&LIBRARY).expect("index the starter content");
    let strategy = (
        token_soup(QUERY_TOKENS, 16),
        proptest::option::of(0usize..200),
        0usize..50,
    );
    run("search query", strategy, |(q, limit, offset)| {
        let parsed = crate::search::query::parse(&q);
        let _ = parsed.is_empty();
        let request = SearchRequest {
            q: q.clone(),
            limit,
            offset,
            ..SearchRequest::default()
        };
        let response = index.search_uncached(&LIBRARY, &request);
        // The answer cache gives the same answer: the first `search` fills it, the second
        // is answered from it.
        let _ = index.search(&LIBRARY, &request);
        let cached = index.search(&LIBRARY, &request);
        let slugs =
            |r: &crate::search::SearchResponse| r.hits.iter().map(|h| h.slug.clone()).collect::<Vec<_>>();
        prop_assert_eq!(slugs(&cached), slugs(&response));
        prop_assert_eq!(cached.total, response.total);
        prop_assert!(response.hits.len() <= request.limit());
        prop_assert!(response.total >= response.hits.len());
        for hit in &response.hits {
            let outside_marks = hit.snippet_html.replace("<mark>", "").replace("</mark>", "");
            prop_assert!(
                !outside_marks.contains('<'),
                "unescaped snippet {:?}",
                hit.snippet_html
            );
        }
        let _ = index.suggest(&LIBRARY, &q, 8);
        Ok(())
    });
}

const VALUE_TOKENS: &[&str] = &[
    "'",
    "\"",
    "`",
    "$",
    "$(",
    ")",
    "${",
    "}",
    "@(",
    "@'",
    "'@",
    "@\"",
    "\"@",
    "#",
    "<#",
    "#>",
    "#requires",
    ";",
    "&",
    "|",
    "&&",
    "||",
    ">",
    "<",
    "%",
    "%PATH%",
    "!",
    "!VAR!",
    "^",
    "\\",
    "/",
    ",",
    "=",
    "(",
    ")",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\u{0}",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "\u{2018}",
    "\u{2019}",
    "\u{201a}",
    "\u{201b}",
    "\u{201c}",
    "\u{201d}",
    "\u{201e}",
    "\u{202e}",
    "\u{2066}",
    "\u{2028}",
    "\u{200b}",
    "\u{feff}",
    "\u{fffe}",
    "]]>",
    "<![CDATA[",
    "&amp;",
    "&#x27;",
    "--",
    "-",
    "..",
    "../",
    "C:\\",
    "\\\\server\\share",
    "/tmp/",
    "Ethernet 2",
    "80",
    "+80",
    "080",
    "-1",
    "0",
    "65535",
    "65536",
    "true",
    "no",
    "é",
    "ü",
    "名",
    "a",
    " ",
];

#[test]
fn fuzz_fix_values_are_inert_in_every_starter_fix() {
    let fixes: Vec<_> = LIBRARY.fixes.values().cloned().collect();
    assert!(fixes.len() >= 10, "starter fixes are missing");
    let strategy = token_soup(VALUE_TOKENS, 12).prop_map(|v| v.chars().take(300).collect::<String>());
    run("fix values", strategy, |value| {
        // An empty value means "not given": optional parts of a fragment then drop out, which
        // is the template's choice, not an injection.
        if value.trim().is_empty() {
            return Ok(());
        }
        for fix in &fixes {
            let problems = check_fix(fix, std::slice::from_ref(&value));
            prop_assert!(problems.is_empty(), "{}: {}", fix.id, problems.join("; "));
        }
        Ok(())
    });
}
