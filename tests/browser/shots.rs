//! Screenshots of home, results, article and fix form, desktop and phone, light and dark,
//! written to `target/screenshots/{page}-{viewport}-{scheme}.png` for people to look at (the
//! best are copied into `docs/screenshots/` for the README by hand).

use anyhow::{bail, ensure};

use crate::Outcome;
use crate::a11y::{PAGES, more_pages};
use crate::harness::{Browser, Scheme, Viewport};

/// Takes every screenshot; fails only if none could be taken.
pub async fn screenshots(b: &Browser) -> Outcome {
    let mut taken = 0;
    for (name, path) in PAGES {
        if !b.route_exists("GET", path, None).await? {
            continue;
        }
        for viewport in [Viewport::Desktop, Viewport::Phone] {
            b.viewport(viewport).await?;
            for scheme in [Scheme::Light, Scheme::Dark] {
                b.emulate(scheme, "").await?;
                b.open(path).await?;
                // Let web fonts (none) and the script's enhancements settle.
                b.js("return document.fonts ? document.fonts.ready.then(() => true) : true")
                    .await?;
                b.screenshot(&format!("{name}-{}-{}", viewport.name(), scheme.name()))
                    .await?;
                taken += 1;
            }
        }
    }
    // The other pages, desktop light only.
    b.viewport(Viewport::Desktop).await?;
    b.emulate(Scheme::Light, "").await?;
    for (name, path) in more_pages(b).await? {
        b.open(&path).await?;
        if b.css("form[data-fix-form]").await.is_ok() {
            // The script fills in the preview from the defaults a moment after load.
            b.wait_css("[data-fix-preview] pre").await?;
        }
        b.screenshot(&format!("{name}-desktop-light")).await?;
        taken += 1;
    }
    // The feedback box at the end of an article (an element shot: it is below the fold).
    b.viewport(Viewport::Desktop).await?;
    for scheme in [Scheme::Light, Scheme::Dark] {
        b.emulate(scheme, "").await?;
        b.open("/kb/tcp-checksum-offload-vs-task-offload").await?;
        if let Ok(section) = b.css("section.feedback").await {
            let png = section.screenshot().await?;
            std::fs::write(
                b.screenshots
                    .join(format!("feedback-desktop-{}.png", scheme.name())),
                png,
            )?;
            taken += 1;
        }
    }
    // Search as you type, open under the home page's box.
    if b.route_exists("GET", "/api/suggest?q=xen", None).await? {
        for scheme in [Scheme::Light, Scheme::Dark] {
            b.viewport(Viewport::Desktop).await?;
            b.emulate(scheme, "").await?;
            b.open("/").await?;
            let input = b.css("#home-q").await?;
            input.click().await?;
            input.send_keys("xen").await?;
            b.wait_css("#home-q ~ [role=listbox] [role=option]").await?;
            b.screenshot(&format!("suggest-desktop-{}", scheme.name()))
                .await?;
            taken += 1;
        }
        // Windows high-contrast mode, with the second suggestion highlighted.
        b.cdp(
            "Emulation.setEmulatedMedia",
            serde_json::json!({"features": [{"name": "forced-colors", "value": "active"}]}),
        )
        .await?;
        b.open("/").await?;
        let input = b.css("#home-q").await?;
        input.click().await?;
        input.send_keys("xen").await?;
        b.wait_css("#home-q ~ [role=listbox] [role=option]").await?;
        b.press('\u{e015}').await?; // ↓
        b.press('\u{e015}').await?;
        b.screenshot("suggest-desktop-forced-colors").await?;
        taken += 1;
    }
    b.emulate(Scheme::Light, "").await?;
    b.viewport(Viewport::Desktop).await?;
    println!("    {taken} screenshots in {}", b.screenshots.display());
    ensure!(taken > 0, "no page could be photographed");
    Ok(())
}

/// At 360 px nothing makes the page scroll sideways (code blocks and tables scroll inside
/// themselves instead).
pub async fn fits_a_360px_phone(b: &Browser) -> Outcome {
    let mut wide = Vec::new();
    let mut pages: Vec<(String, String)> = PAGES
        .iter()
        .map(|(n, p)| ((*n).to_owned(), (*p).to_owned()))
        .collect();
    pages.extend(more_pages(b).await?);
    b.viewport(Viewport::Narrow).await?;
    for (name, path) in pages {
        if !b.route_exists("GET", &path, None).await? {
            continue;
        }
        b.open(&path).await?;
        let v = b
            .js("const w = document.documentElement.clientWidth;\
                 const over = Array.from(document.querySelectorAll('body *'))\
                   .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('pre, table, .suggest'))\
                   .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));\
                 return { scroll: document.documentElement.scrollWidth, width: w, over: over };")
            .await?;
        if v["scroll"].as_u64() > v["width"].as_u64() {
            wide.push(format!(
                "{name}: {} px wide content in {} px ({})",
                v["scroll"], v["width"], v["over"]
            ));
        }
    }
    b.viewport(Viewport::Desktop).await?;
    if !wide.is_empty() {
        bail!(
            "pages scroll sideways on a 360 px phone:\n  {}",
            wide.join("\n  ")
        );
    }
    Ok(())
}
