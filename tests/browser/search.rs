//! Finding an article: the `/` shortcut, keyboard reachability, search as you type with
//! the combobox keys, and the results page.

use anyhow::{Result, ensure};
use fantoccini::key::Key;

use crate::harness::Browser;
use crate::{Outcome, require};

fn key(k: Key) -> char {
    k.chars().next().unwrap_or('\u{e000}')
}

/// `/` anywhere outside a field puts the cursor in the search box.
pub async fn slash_focuses_the_search_box(b: &Browser) -> Outcome {
    b.open("/kb/tcp-checksum-offload-vs-task-offload").await?;
    ensure!(b.focused_id().await? != "q", "search box focused before the key");
    b.press('/').await?;
    let focused = b.focused_id().await?;
    ensure!(
        focused == "q",
        "after '/', focus is on {focused:?}, not the search box"
    );
    // Typed into a field, '/' is just a character.
    b.press('/').await?;
    let value = b.js("return document.getElementById('q').value").await?;
    ensure!(
        value == "/",
        "'/' inside the box should type itself, box holds {value}"
    );
    Ok(())
}

/// Tab reaches the skip link first; following it moves focus to the main landmark; focus is
/// visible.
pub async fn keyboard_reaches_skip_link_and_main(b: &Browser) -> Outcome {
    b.open("/").await?;
    b.press(key(Key::Tab)).await?;
    let (class, outline) = focused_style(b).await?;
    ensure!(
        class.contains("skip-link"),
        "first Tab stop is {class:?}, expected the skip link"
    );
    ensure!(outline != "none", "the focused skip link has no visible outline");
    let rect = b.css(".skip-link").await?.rectangle().await?;
    ensure!(
        rect.0 >= 0.0,
        "the focused skip link is off screen at x={}",
        rect.0
    );
    b.press(key(Key::Enter)).await?;
    let focused = b.focused_id().await?;
    ensure!(focused == "main", "after the skip link focus is on {focused:?}");
    b.press(key(Key::Tab)).await?;
    let (class, outline) = focused_style(b).await?;
    ensure!(
        outline != "none",
        "the element after main ({class:?}) shows no focus outline"
    );
    Ok(())
}

async fn focused_style(b: &Browser) -> Result<(String, String)> {
    let v = b
        .js("const e = document.activeElement; const s = getComputedStyle(e); \
             return [e.className || e.tagName, s.outlineStyle === 'none' && s.boxShadow === 'none' ? 'none' : s.outlineStyle];")
        .await?;
    let get = |i: usize| v[i].as_str().unwrap_or_default().to_owned();
    Ok((get(0), get(1)))
}

/// Typing a few letters shows matching titles under the home box; choosing one opens it.
pub async fn search_as_you_type_then_open_a_result(b: &Browser) -> Outcome {
    require(b, "GET", "/api/suggest?q=offload", None).await?;
    b.open("/").await?;
    let input = b.css("#home-q").await?;
    input.click().await?;
    input.send_keys("offlo").await?;
    let option = b.wait_css("#home-q ~ [role=listbox] [role=option]").await?;
    ensure!(
        b.css("#home-q").await?.attr("aria-expanded").await?.as_deref() == Some("true"),
        "combobox not marked expanded"
    );
    let title = option.text().await?;
    ensure!(
        title.to_lowercase().contains("offload"),
        "first suggestion {title:?} does not match"
    );
    option.click().await?;
    let path = b
        .eventually("the article to open", || async {
            let p = b.path().await?;
            Ok(p.starts_with("/kb/").then_some(p))
        })
        .await?;
    let h1 = b.css("h1").await?.text().await?;
    ensure!(
        h1.to_lowercase().contains("offload"),
        "opened {path} titled {h1:?}"
    );
    Ok(())
}

/// ↓ and ↑ move through the suggestions (aria-activedescendant follows), Esc closes them,
/// Enter opens the highlighted one.
pub async fn suggestions_follow_arrow_keys_and_escape(b: &Browser) -> Outcome {
    require(b, "GET", "/api/suggest?q=offload", None).await?;
    b.open("/kb/scvmm-xenserver-demo-tricks").await?;
    let input = b.css("#q").await?;
    input.click().await?;
    input.send_keys("offload").await?;
    b.wait_css("#q ~ [role=listbox] [role=option]").await?;
    let options = b
        .js("return Array.from(document.querySelectorAll('#q ~ [role=listbox] [role=option]')).map(o => o.id)")
        .await?;
    let ids: Vec<String> = options
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    ensure!(
        ids.len() >= 2,
        "expected a suggestion and the 'search for' entry, got {ids:?}"
    );
    let active = || async { Ok::<_, anyhow::Error>(b.css("#q").await?.attr("aria-activedescendant").await?) };

    b.press(key(Key::Down)).await?;
    ensure!(
        active().await?.as_deref() == Some(ids[0].as_str()),
        "↓ did not select the first option"
    );
    b.press(key(Key::Down)).await?;
    ensure!(
        active().await?.as_deref() == Some(ids[1].as_str()),
        "↓↓ did not select the second option"
    );
    b.press(key(Key::Up)).await?;
    ensure!(
        active().await?.as_deref() == Some(ids[0].as_str()),
        "↑ did not go back to the first option"
    );
    ensure!(
        b.focused_id().await? == "q",
        "focus left the box while moving through options"
    );

    b.press(key(Key::Escape)).await?;
    let hidden = b
        .js("return document.querySelector('#q ~ [role=listbox]').hidden")
        .await?;
    ensure!(hidden == true, "Esc did not close the suggestions");
    ensure!(
        b.css("#q").await?.attr("aria-expanded").await?.as_deref() == Some("false"),
        "closed combobox still marked expanded"
    );

    // Open again with ↓, then Enter on the first suggestion opens that article.
    b.press(key(Key::Down)).await?;
    b.wait_css("#q ~ [role=listbox]:not([hidden]) [role=option]")
        .await?;
    b.press(key(Key::Down)).await?;
    let href = b
        .js("return document.querySelector('#q ~ [role=listbox] [aria-selected=true]').dataset.href")
        .await?;
    b.press(key(Key::Enter)).await?;
    let expected = href.as_str().unwrap_or_default().to_owned();
    b.eventually("Enter to open the highlighted suggestion", || async {
        Ok((b.path().await? == expected).then_some(()))
    })
    .await?;
    Ok(())
}

/// The results page (no JavaScript needed) lists hits for a symptom and links to them.
pub async fn results_page_lists_hits(b: &Browser) -> Outcome {
    require(b, "GET", "/search?q=offload", None).await?;
    b.open("/search?q=network+offload").await?;
    let links = b
        .js("return Array.from(document.querySelectorAll('main a[href^=\"/kb/\"]')).map(a => a.getAttribute('href'))")
        .await?;
    let count = links.as_array().map_or(0, Vec::len);
    ensure!(count > 0, "no article links on the results page");
    ensure!(
        links
            .to_string()
            .contains("/kb/tcp-checksum-offload-vs-task-offload"),
        "the offload article is not among the results: {links}"
    );
    let value = b.js("return document.getElementById('q').value").await?;
    ensure!(
        value == "network offload",
        "the header box does not keep the query: {value}"
    );
    Ok(())
}

/// With JavaScript off, the same tasks still work through plain forms and links: search
/// from the home page, open a result, get a fix preview with a download link.
pub async fn works_without_javascript(b: &Browser) -> Outcome {
    b.cdp(
        "Emulation.setScriptExecutionDisabled",
        serde_json::json!({"value": true}),
    )
    .await?;
    let result = without_javascript(b).await;
    b.cdp(
        "Emulation.setScriptExecutionDisabled",
        serde_json::json!({"value": false}),
    )
    .await?;
    result
}

async fn without_javascript(b: &Browser) -> Outcome {
    b.open("/").await?;
    let input = b.css("#home-q").await?;
    input.send_keys("offload").await?;
    input.send_keys(&Key::Enter).await?;
    b.eventually("the results page", || async {
        Ok(b.path().await?.starts_with("/search?q=offload").then_some(()))
    })
    .await?;
    let enhanced = b.js("return !!document.querySelector('[role=combobox]')").await?;
    ensure!(enhanced == false, "the script ran although JavaScript is off");
    b.css("main a[href^='/kb/tcp-checksum-offload-vs-task-offload']")
        .await?
        .click()
        .await?;
    b.wait_css("article.article h1").await?;
    b.open("/fixes/random-wait").await?;
    b.css("form.fix-form button[type=submit]").await?.click().await?;
    b.wait_css("[data-fix-preview] pre").await?;
    b.css("a[data-download=fix]").await?;
    ensure!(
        b.path().await?.contains("max_seconds="),
        "the form did not submit its values"
    );
    Ok(())
}
