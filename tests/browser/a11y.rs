//! Accessibility: axe-core (from npm, `node_modules/axe-core/axe.min.js`) injected into each
//! main page, in the light and the dark theme, must find no serious or critical violation.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::Outcome;
use crate::harness::{Browser, Scheme, Viewport, http};

/// The pages checked, with the route that must exist before each can be.
pub const PAGES: &[(&str, &str)] = &[
    ("home", "/"),
    ("results", "/search?q=network+offload"),
    ("article", "/kb/tcp-checksum-offload-vs-task-offload"),
    ("fix", "/fixes/disable-task-offload?adapter=Ethernet+2"),
];

/// More pages to hold to the same bar: a listing, a receipt, `/verify` and the 404 page.
pub async fn more_pages(b: &Browser) -> Result<Vec<(String, String)>> {
    let mut pages = vec![
        ("listing".to_owned(), "/products/Hyper-V".to_owned()),
        ("not-found".to_owned(), "/kb/no-such-article".to_owned()),
        // No values in the URL: the preview is built by the script from the defaults.
        ("fix-defaults".to_owned(), "/fixes/random-wait".to_owned()),
    ];
    if b.route_exists("GET", "/verify", None).await? {
        pages.push(("verify".to_owned(), "/verify".to_owned()));
    }
    let body = serde_json::json!({"params": {"adapter": "Ethernet 2"}});
    if let Ok((200, answer)) = http(
        b.port,
        "POST",
        "/api/fixes/disable-task-offload/render",
        Some(&body),
    )
    .await
    {
        let v: Value = serde_json::from_slice(&answer)?;
        if let Some(r) = v["receipt"].as_str() {
            pages.push(("receipt".to_owned(), format!("/r/{r}")));
        }
    }
    Ok(pages)
}

fn axe_source() -> Result<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{} is missing: run `npm ci` in the repository first",
            path.display()
        )
    })
}

/// Runs axe on the current page; returns one line per serious or critical violation.
pub async fn serious_violations(b: &Browser, axe: &str) -> Result<Vec<String>> {
    b.js(&format!("{axe}\n;return true;")).await?;
    let result = b
        .js_async(
            "axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations\
               .filter(v => v.impact === 'serious' || v.impact === 'critical')\
               .map(v => ({ id: v.id, impact: v.impact, help: v.help,\
                            nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' — ' + n.failureSummary) }))),\
               e => done({ error: String(e) }));",
        )
        .await?;
    if let Some(e) = result.get("error") {
        bail!("axe failed: {e}");
    }
    let list = result.as_array().cloned().unwrap_or_default();
    Ok(list
        .iter()
        .map(|v: &Value| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .map(|n| n.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            format!(
                "{} ({}): {}\n      {}",
                v["id"],
                v["impact"],
                v["help"],
                nodes.join("\n      ")
            )
        })
        .collect())
}

/// Home, results, article and fix pages, light and dark, desktop and phone; then a listing,
/// the 404 page, `/verify` and a receipt, light and dark.
pub async fn no_serious_violations_light_and_dark(b: &Browser) -> Outcome {
    let axe = axe_source()?;
    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, path) in PAGES {
        if !b.route_exists("GET", path, None).await? {
            println!("    (skipping {name}: {path} is not served yet)");
            continue;
        }
        for viewport in [Viewport::Desktop, Viewport::Phone] {
            b.viewport(viewport).await?;
            for scheme in [Scheme::Light, Scheme::Dark] {
                b.emulate(scheme, "").await?;
                b.open(path).await?;
                for v in serious_violations(b, &axe).await? {
                    problems.push(format!("{name} {} {}: {v}", viewport.name(), scheme.name()));
                }
                for v in b.csp_violations().await? {
                    problems.push(format!("{name}: Content-Security-Policy violation: {v}"));
                }
                checked += 1;
            }
        }
    }
    b.viewport(Viewport::Desktop).await?;
    for (name, path) in more_pages(b).await? {
        for scheme in [Scheme::Light, Scheme::Dark] {
            b.emulate(scheme, "").await?;
            b.open(&path).await?;
            for v in serious_violations(b, &axe).await? {
                problems.push(format!("{name} desktop {}: {v}", scheme.name()));
            }
            checked += 1;
        }
    }
    b.emulate(Scheme::Light, "").await?;
    println!(
        "    axe: {checked} page views checked, {} serious/critical violations",
        problems.len()
    );
    if !problems.is_empty() {
        bail!(
            "axe found serious or critical violations:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(())
}

/// WCAG 1.4.11, which axe does not check: the border of every text field and select stands
/// out at 3:1 against what is behind it, in both themes.
pub async fn form_controls_have_visible_boundaries(b: &Browser) -> Outcome {
    const SCRIPT: &str = r#"
      const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
      const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
        .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
      const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
      const behind = e => { for (let p = e.parentElement; p; p = p.parentElement) {
          const c = rgb(getComputedStyle(p).backgroundColor); if (c.length < 4 || c[3] > 0) return c.slice(0, 3); }
        return [255, 255, 255]; };
      return Array.from(document.querySelectorAll('input:not([type=hidden]):not([type=file]), select, textarea'))
        .filter(e => e.offsetParent !== null)
        .map(e => ({ id: e.id || e.name, r: ratio(rgb(getComputedStyle(e).borderTopColor).slice(0, 3), behind(e)) }))
        .filter(x => x.r < 3).map(x => x.id + ' ' + x.r.toFixed(2));"#;
    let mut weak = Vec::new();
    let mut pages: Vec<(String, String)> = PAGES
        .iter()
        .map(|(n, p)| ((*n).to_owned(), (*p).to_owned()))
        .collect();
    pages.extend(more_pages(b).await?);
    for scheme in [Scheme::Light, Scheme::Dark] {
        b.emulate(scheme, "").await?;
        for (name, path) in &pages {
            if !b.route_exists("GET", path, None).await? {
                continue;
            }
            b.open(path).await?;
            let found = b.js(SCRIPT).await?;
            for f in found.as_array().into_iter().flatten() {
                weak.push(format!(
                    "{name} {}: {}",
                    scheme.name(),
                    f.as_str().unwrap_or_default()
                ));
            }
        }
    }
    b.emulate(Scheme::Light, "").await?;
    if !weak.is_empty() {
        bail!(
            "form controls whose border is below 3:1:\n  {}",
            weak.join("\n  ")
        );
    }
    Ok(())
}
