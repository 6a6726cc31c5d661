use super::*;

fn keep(_: &str) -> LinkTarget {
    LinkTarget::Keep
}

fn html(src: &str) -> String {
    render(src, &keep).html
}

#[test]
fn headings_get_github_ids_and_a_self_link() {
    let r = render("## Method 3: per adapter\n\n## Method 3: per adapter\n", &keep);
    assert_eq!(r.toc[0].id, "method-3-per-adapter");
    assert_eq!(r.toc[1].id, "method-3-per-adapter-1");
    assert!(r.html.contains("href=\"#method-3-per-adapter\""), "{}", r.html);
    insta::assert_snapshot!(r.html);
}

#[test]
fn custom_heading_id_wins() {
    let r = render("### Per adapter {#method-3}\n", &keep);
    assert_eq!(r.toc[0].id, "method-3");
    assert_eq!(r.toc[0].text, "Per adapter");
}

#[test]
fn toc_has_h2_and_h3_only_and_h1_is_remembered() {
    let r = render("# Title\n## A\n### B\n#### C\n", &keep);
    assert_eq!(r.h1.as_deref(), Some("Title"));
    assert_eq!(r.toc.iter().map(|t| t.level).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(r.headings, ["Title", "A", "B", "C"]);
}

#[test]
fn github_alerts_become_callouts() {
    let out = html("> [!WARNING]\n> VMs may disconnect briefly.\n");
    insta::assert_snapshot!(out);
    assert!(out.contains("callout-warning"));
    assert!(!out.contains("[!WARNING]"));
}

#[test]
fn gfm_extras_render() {
    let out = html(
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n- [ ] todo\n\nNote[^1].\n\n[^1]: The footnote.\n",
    );
    insta::assert_snapshot!(out);
    assert!(out.contains("<table>") && out.contains("<del>") && out.contains("checkbox"));
    assert!(out.contains("footnote"));
}

#[test]
fn code_blocks_are_highlighted_and_collected_for_search() {
    let r = render(
        "```powershell\nDisable-NetAdapterLso -Name 'Ethernet'\n```\n",
        &keep,
    );
    assert!(r.html.contains("hl-"), "{}", r.html);
    assert!(r.code.contains("Disable-NetAdapterLso"));
    assert!(!r.text.contains("Disable-NetAdapterLso"));
}

#[test]
fn raw_html_is_sanitized() {
    let out =
        html("<script>alert(1)</script>\n\n<p onclick=\"x()\">hi</p>\n\n<img src=x onerror=alert(1)>\n");
    assert!(!out.contains("<script"), "{out}");
    assert!(!out.contains("onclick"), "{out}");
    assert!(!out.contains("onerror"), "{out}");
    assert!(out.contains("hi"));
}

#[test]
fn links_are_rewritten_or_reported_with_their_line() {
    let resolve = |dest: &str| match dest {
        "other.md" => LinkTarget::Rewrite("/kb/other".into()),
        "missing.md" => LinkTarget::Broken,
        _ => LinkTarget::Keep,
    };
    let r = render(
        "See [o](other.md).\n\nAnd\n[m](missing.md) and [x](https://example.org).\n",
        &resolve,
    );
    assert!(r.html.contains("href=\"/kb/other\""), "{}", r.html);
    assert!(r.html.contains("href=\"https://example.org\""));
    assert_eq!(
        r.broken_links,
        [BrokenLink {
            line: 4,
            dest: "missing.md".into()
        }]
    );
}

const MARKDOWN_TOKENS: &[&str] = &[
    "\n",
    "\n\n",
    "# ",
    "## ",
    "### ",
    "{#",
    "}",
    "> ",
    "> [!WARNING]\n",
    "> [!NOTE]\n",
    "```",
    "```powershell\n",
    "~~~",
    "`",
    "*",
    "_",
    "**",
    "~~",
    "[",
    "]",
    "(",
    ")",
    "](",
    "[^1]",
    "[^1]: ",
    "| a | b |\n",
    "|---|---|\n",
    "- [ ] ",
    "- [x] ",
    "1. ",
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:x\">",
    "<div onclick=\"x\">",
    "<style>",
    "<iframe>",
    "&amp;",
    "&#",
    "\\",
    "<!--",
    "-->",
    "<svg onload=x>",
    "    ",
    "\t",
    "\r\n",
    "\u{202e}",
    "\u{0}",
    "https://x",
    "other.md",
    "../",
    "#frag",
    "<",
    ">",
    "\"",
    "'",
];

#[test]
fn fuzz_markdown_render_never_panics_and_never_emits_script() {
    crate::fuzz::run("markdown", crate::fuzz::token_soup(MARKDOWN_TOKENS, 80), |src| {
        let out = render(&src, &|d: &str| {
            if d.ends_with(".md") {
                LinkTarget::Broken
            } else {
                LinkTarget::Keep
            }
        });
        let dom = scraper::Html::parse_fragment(&out.html);
        for node in dom.tree.nodes() {
            let Some(el) = node.value().as_element() else {
                continue;
            };
            let name = el.name();
            proptest::prop_assert!(
                !["script", "iframe", "object", "embed", "style", "svg"].contains(&name),
                "<{name}> in {}",
                out.html
            );
            for (attr, value) in el.attrs() {
                proptest::prop_assert!(!attr.starts_with("on"), "{attr}= on <{name}> in {}", out.html);
                let v = value.trim().to_ascii_lowercase();
                proptest::prop_assert!(!v.starts_with("javascript:"), "javascript: URL in {}", out.html);
            }
        }
        for link in &out.broken_links {
            proptest::prop_assert!(link.line >= 1 && link.line <= src.lines().count().max(1) + 1);
        }
        Ok(())
    });
}

#[test]
fn inline_code_stays_in_the_sentence_text() {
    let r = render("Apply it with `netsh`, and see.\n", &keep);
    assert_eq!(r.first_paragraph, "Apply it with netsh, and see.");
    assert!(r.text.contains("with netsh, and"));
    assert!(r.code.contains("netsh"));
}
