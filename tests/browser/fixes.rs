//! Generating a fix: inline validation from the rendered constraints, live preview, the
//! downloaded bytes against the API's, and the copy buttons for the prefilled link and script.

use std::time::Duration;

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::{Browser, http};
use crate::{Outcome, require};

/// A fix with integer bounds, a cross-field rule and a boolean.
const FIX: &str = "random-wait";

/// A bad value shows an inline error without a round trip; a good one refreshes the preview;
/// the download is byte for byte what `POST /api/fixes/{fix}/render` returns.
pub async fn bad_value_then_good_value_preview_and_download(b: &Browser) -> Outcome {
    require(b, "GET", &format!("/fixes/{FIX}"), None).await?;
    require(
        b,
        "POST",
        &format!("/api/fixes/{FIX}/render"),
        Some(&json!({"params": {}})),
    )
    .await?;
    b.open(&format!("/fixes/{FIX}")).await?;
    let field = b.css("[name=max_seconds]").await?;
    let max = field
        .attr("max")
        .await?
        .context("max_seconds has no max attribute")?;
    ensure!(max == "3600", "max attribute is {max}");

    // Too large: the inline error names the limit, the field is marked invalid.
    field.clear().await?;
    field.send_keys("99999").await?;
    b.js("document.querySelector('[name=max_seconds]').dispatchEvent(new Event('change', {bubbles: true}))")
        .await?;
    let error = b
        .eventually("an inline error for max_seconds", || async {
            let id = b
                .css("[name=max_seconds]")
                .await?
                .attr("aria-describedby")
                .await?;
            let text = b
                .js("const f = document.querySelector('[name=max_seconds]');\
                     return (f.getAttribute('aria-describedby') || '').split(' ')\
                       .map(id => document.getElementById(id)).filter(e => e && !e.hidden)\
                       .map(e => e.textContent).join(' ');")
                .await?;
            let text = text.as_str().unwrap_or_default().to_owned();
            Ok((id.is_some() && text.contains("3600")).then_some(text))
        })
        .await?;
    ensure!(
        b.css("[name=max_seconds]")
            .await?
            .attr("aria-invalid")
            .await?
            .as_deref()
            == Some("true"),
        "field with error {error:?} not marked aria-invalid"
    );

    // A good value clears the error and brings a fresh preview.
    let field = b.css("[name=max_seconds]").await?;
    field.clear().await?;
    field.send_keys("120").await?;
    b.eventually("the preview to show the new value", || async {
        let state = b
            .js("const p = document.querySelector('[data-fix-preview]'); return p ? p.dataset.state : '';")
            .await?;
        let text = b
            .js("const c = document.querySelector('[data-fix-preview] pre'); return c ? c.textContent : '';")
            .await?;
        Ok((state == "fresh" && text.as_str().unwrap_or_default().contains("120")).then_some(()))
    })
    .await?;
    ensure!(
        b.css("[name=max_seconds]")
            .await?
            .attr("aria-invalid")
            .await?
            .is_none(),
        "error still shown for a good value"
    );

    // A cross-field rule only the server knows (shortest <= longest): its 422 lands inline too.
    let min = b.css("[name=min_seconds]").await?;
    min.clear().await?;
    min.send_keys("600").await?;
    let message = b
        .eventually("the server's rule message under min_seconds", || async {
            let text = b
                .js("const e = document.getElementById(document.querySelector('[name=min_seconds]').dataset.error);\
                     return e && !e.hidden ? e.textContent : '';")
                .await?;
            let text = text.as_str().unwrap_or_default().to_owned();
            Ok((!text.is_empty()).then_some(text))
        })
        .await?;
    ensure!(message.contains("shortest wait"), "rule message is {message:?}");
    let state = b
        .js("return document.querySelector('[data-fix-preview]').dataset.state")
        .await?;
    ensure!(
        state == "stale",
        "the preview should be marked out of date, is {state}"
    );
    let min = b.css("[name=min_seconds]").await?;
    min.clear().await?;
    min.send_keys("5").await?;
    b.eventually("the preview to be fresh again", || async {
        let state = b
            .js("return document.querySelector('[data-fix-preview]').dataset.state")
            .await?;
        Ok((state == "fresh").then_some(()))
    })
    .await?;
    let preview = b
        .js("return document.querySelector('[data-fix-preview] pre').textContent")
        .await?;

    // What the API renders for the same values.
    let params = b
        .js("const f = document.querySelector('form[data-fix-form]'); const o = {};\
             for (const e of f.elements) { if (!e.name || e.type === 'submit') continue;\
               if (e.type === 'checkbox') { o[e.name] = e.checked ? 'true' : 'false'; } else { o[e.name] = e.value; } }\
             return o;")
        .await?;
    let (status, body) = http(
        b.port,
        "POST",
        &format!("/api/fixes/{FIX}/render"),
        Some(&json!({ "params": params })),
    )
    .await?;
    ensure!(
        status == 200,
        "the API refused {params}: {}",
        String::from_utf8_lossy(&body)
    );
    let api: Value = serde_json::from_slice(&body)?;
    let content = api["content"].as_str().context("API answer has no content")?;
    ensure!(
        preview.as_str() == Some(content.trim_start_matches('\u{feff}')) || preview.as_str() == Some(content),
        "the preview differs from the API's content"
    );

    // Download through the page's own button and compare the bytes.
    for entry in std::fs::read_dir(&b.downloads)? {
        std::fs::remove_file(entry?.path())?;
    }
    b.css("a[data-download=fix]").await?.click().await?;
    let file = b
        .eventually("the download to finish", || async {
            for entry in std::fs::read_dir(&b.downloads)? {
                let path = entry?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                if !name.ends_with(".crdownload") && !name.starts_with('.') {
                    return Ok(Some(path));
                }
            }
            Ok(None)
        })
        .await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let bytes = std::fs::read(&file)?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    ensure!(
        Some(name) == api["filename"].as_str(),
        "downloaded {name}, API names {}",
        api["filename"]
    );
    let sha = format!("{:x}", Sha256::digest(&bytes));
    ensure!(
        Some(sha.as_str()) == api["sha256"].as_str(),
        "downloaded sha256 {sha} != API {}",
        api["sha256"]
    );
    // The file is the API's text in the target's encoding (PowerShell: UTF-8 BOM, CRLF).
    let text = String::from_utf8(
        bytes
            .strip_prefix(&[0xef, 0xbb, 0xbf][..])
            .unwrap_or(&bytes)
            .to_vec(),
    )?;
    if api["content"].as_str() != Some(text.replace("\r\n", "\n").as_str()) {
        bail!("the downloaded script's text differs from the API's content");
    }

    // The revert button appears too, and serves what the API renders as the revert script.
    let revert = b.wait_css("a[data-download=revert]").await?;
    let href = revert.prop("href").await?.context("revert link without href")?;
    let path = href.strip_prefix(&b.base).unwrap_or(&href).to_owned();
    let (status, revert_bytes) = http(b.port, "GET", &path, None).await?;
    ensure!(status == 200, "{path} answered {status}");
    let (status, body) = http(
        b.port,
        "POST",
        &format!("/api/fixes/{FIX}/render"),
        Some(&json!({ "params": params, "revert": true })),
    )
    .await?;
    ensure!(status == 200, "the API refused the revert render");
    let api_revert: Value = serde_json::from_slice(&body)?;
    let sha = format!("{:x}", Sha256::digest(&revert_bytes));
    ensure!(
        Some(sha.as_str()) == api_revert["sha256"].as_str(),
        "revert download sha256 {sha} != API {}",
        api_revert["sha256"]
    );
    Ok(())
}

/// The prefilled link and the script each have a Copy button that copies the right text.
pub async fn copy_prefilled_link_and_script(b: &Browser) -> Outcome {
    require(b, "GET", &format!("/fixes/{FIX}"), None).await?;
    b.open(&format!(
        "/fixes/{FIX}?min_seconds=5&max_seconds=60&mark_busy=false"
    ))
    .await?;
    b.allow_clipboard().await?;
    let link = b.css("a[data-prefilled-link]").await?;
    let href = link.prop("href").await?.context("prefilled link has no href")?;
    ensure!(
        href.contains("max_seconds=60"),
        "prefilled link {href} lacks the values"
    );
    let button = b
        .css("a[data-prefilled-link] + .copy-button")
        .await
        .context("no copy button after the prefilled link")?;
    button.click().await?;
    b.wait_text(&button, "Copied").await?;
    let copied = b.clipboard().await?;
    ensure!(copied == href, "copied {copied:?}, link is {href:?}");

    let script = b
        .js("return document.querySelector('[data-fix-preview] pre code, [data-fix-preview] pre').textContent")
        .await?;
    let button = b.css("[data-fix-preview] .code-wrap .copy-button").await?;
    button.click().await?;
    b.wait_text(&button, "Copied").await?;
    let copied = b.clipboard().await?;
    ensure!(
        Some(copied.as_str()) == script.as_str().map(|s| s.trim_end_matches('\n')),
        "the copied script differs from the preview"
    );
    Ok(())
}

/// A choices parameter shown as a group of checkboxes: unticking one updates the preview;
/// unticking all shows the server's "required" error under the group.
pub async fn checkbox_group_updates_the_preview(b: &Browser) -> Outcome {
    b.open("/fixes/disable-task-offload?adapter=Ethernet+2").await?;
    if b.css("input[data-multi]").await.is_err() {
        return Err(crate::Pending("choices are not checkbox groups yet".to_owned()).into());
    }
    b.css("input[data-multi][value=lso]").await?.click().await?;
    b.eventually("the preview without lso", || async {
        let state = b
            .js("return document.querySelector('[data-fix-preview]').dataset.state")
            .await?;
        let text = b
            .js("return document.querySelector('[data-fix-preview] pre').textContent")
            .await?;
        let text = text.as_str().unwrap_or_default();
        Ok((state == "fresh" && text.contains("@('checksum')")).then_some(()))
    })
    .await?;
    ensure!(
        b.path().await?.contains("offloads=checksum"),
        "the address bar does not follow the ticked boxes"
    );
    b.css("input[data-multi][value=checksum]").await?.click().await?;
    let message = b
        .eventually("an error under the empty group", || async {
            let text = b
                .js("const f = document.querySelector('input[data-multi]');\
                     const e = document.getElementById(f.dataset.error); return e && !e.hidden ? e.textContent : '';")
                .await?;
            let text = text.as_str().unwrap_or_default().to_owned();
            Ok((!text.is_empty()).then_some(text))
        })
        .await?;
    let state = b
        .js("return document.querySelector('[data-fix-preview]').dataset.state")
        .await?;
    ensure!(
        state == "stale",
        "preview not marked out of date after {message:?}"
    );
    Ok(())
}
