//! Reading an article: copying section links, code and a Markdown link, printing, and
//! leaving feedback.

use anyhow::{Context, ensure};
use fantoccini::Locator;

use crate::harness::{Browser, Scheme};
use crate::{Outcome, Pending};

/// The article every scenario here reads (KB1001, with code blocks and fix links).
const ARTICLE: &str = "/kb/tcp-checksum-offload-vs-task-offload";

/// Clicking a heading's `#` jumps to the section and copies its absolute URL, with visible
/// feedback.
pub async fn copy_a_section_link(b: &Browser) -> Outcome {
    b.open(ARTICLE).await?;
    b.allow_clipboard().await?;
    let link = b.css("h2#cause a.heading-link").await?;
    link.click().await?;
    let flag = b.wait_css("h2#cause .copy-flag").await?.text().await?;
    ensure!(
        flag == "Link copied",
        "feedback next to the heading says {flag:?}"
    );
    let expected = format!("{}{ARTICLE}#cause", b.base);
    let copied = b
        .eventually("the clipboard to hold the section URL", || async {
            let text = b.clipboard().await?;
            Ok((text == expected).then_some(text))
        })
        .await?;
    ensure!(
        b.path().await?.ends_with("#cause"),
        "the page did not jump to the section"
    );
    let announced = b.css("#fk-live").await?.text().await?;
    ensure!(
        announced.contains("copied"),
        "live region says {announced:?} after copying {copied}"
    );
    Ok(())
}

/// A code block's Copy button copies exactly the code, and says so.
pub async fn copy_a_code_block(b: &Browser) -> Outcome {
    b.open(ARTICLE).await?;
    b.allow_clipboard().await?;
    let code = b
        .js("return document.querySelector('.code-wrap pre.code code').textContent")
        .await?;
    let code = code
        .as_str()
        .context("no enhanced code block")?
        .trim_end_matches('\n')
        .to_owned();
    let button = b.css(".code-wrap .copy-button").await?;
    button.click().await?;
    b.wait_text(&button, "Copied").await?;
    let copied = b.clipboard().await?;
    ensure!(
        copied == code,
        "clipboard {copied:?} differs from the code {code:?}"
    );
    ensure!(
        !copied.contains("Copy"),
        "the button label leaked into the copied code"
    );
    Ok(())
}

/// "Copy as Markdown link" gives `[KB1001: Title](canonical URL)` for forum answers.
pub async fn copy_as_markdown_link(b: &Browser) -> Outcome {
    b.open(ARTICLE).await?;
    b.allow_clipboard().await?;
    let button = b
        .client
        .find(Locator::XPath(
            "//button[normalize-space()='Copy as Markdown link']",
        ))
        .await
        .context("no 'Copy as Markdown link' button")?;
    button.click().await?;
    b.wait_text(&button, "Copied").await?;
    let copied = b.clipboard().await?;
    let expected = format!(
        "[KB1001: TCP Checksum Offload is not TCP Task Offload]({}{ARTICLE})",
        b.base
    );
    ensure!(copied == expected, "copied {copied:?}, expected {expected:?}");
    Ok(())
}

/// The print stylesheet drops navigation and buttons, spells out link targets, and prints
/// dark-on-white even when the screen follows a dark system theme.
pub async fn print_hides_navigation_and_shows_link_urls(b: &Browser) -> Outcome {
    b.open(ARTICLE).await?;
    b.emulate(Scheme::Dark, "print").await?;
    let result = b
        .js("const d = s => { const e = document.querySelector(s); return e ? getComputedStyle(e).display : 'absent'; };\
             const link = document.querySelector('.article-body a[href]:not([href^=\"#\"]):not(.heading-link)');\
             const pre = document.querySelector('pre.code');\
             return { header: d('.site-header'), footer: d('.site-footer'), toc: d('.toc'),\
                      copy: d('.copy-button'), actions: d('.article-actions'),\
                      bg: getComputedStyle(document.body).backgroundColor,\
                      fg: getComputedStyle(document.body).color,\
                      code: pre ? getComputedStyle(pre).backgroundColor : 'none',\
                      href: link ? link.getAttribute('href') : '',\
                      after: link ? getComputedStyle(link, '::after').content : 'none' };")
        .await;
    b.emulate(Scheme::Light, "").await?;
    let r = result?;
    for part in ["header", "footer", "toc", "copy", "actions"] {
        ensure!(
            r[part] == "none" || r[part] == "absent",
            "{part} is displayed in print ({})",
            r[part]
        );
    }
    ensure!(r["bg"] == "rgb(255, 255, 255)", "print background is {}", r["bg"]);
    ensure!(r["fg"] == "rgb(0, 0, 0)", "print text colour is {}", r["fg"]);
    ensure!(
        r["code"] != "rgb(26, 32, 43)",
        "code blocks print with the dark theme's background"
    );
    let href = r["href"].as_str().unwrap_or_default();
    ensure!(!href.is_empty(), "the article has no link to check");
    ensure!(
        r["after"].as_str().unwrap_or_default().contains(href),
        "links do not show their target in print: {} for {href}",
        r["after"]
    );
    Ok(())
}

/// The feedback form under an article records a vote and thanks the reader.
pub async fn submit_feedback(b: &Browser) -> Outcome {
    b.open(ARTICLE).await?;
    let forms = b.client.find_all(Locator::Css("form.feedback-form")).await?;
    let Some(form) = forms.into_iter().next() else {
        return Err(Pending("the feedback form is not on article pages yet".to_owned()).into());
    };
    form.find(Locator::Css("textarea[name=comment]"))
        .await
        .context("no comment box in the feedback form")?
        .send_keys("Worked on our Hyper-V 2012 hosts.")
        .await?;
    form.find(Locator::Css("button[name=helpful][value=yes]"))
        .await
        .context("no 'yes' button in the feedback form")?
        .click()
        .await?;
    let heading = b
        .eventually("a thank-you after submitting feedback", || async {
            let h1 = b.css("h1").await?.text().await?;
            Ok(h1.to_lowercase().contains("thank").then_some(h1))
        })
        .await?;
    let back = b
        .css("main a[href='/kb/tcp-checksum-offload-vs-task-offload']")
        .await;
    ensure!(back.is_ok(), "{heading:?} page has no way back to the article");
    Ok(())
}
