//! The rig every scenario drives and the helpers they share: the real `fixkb` binary over the
//! bundled `content/` with a temporary data dir, chromedriver, one headless Chromium session,
//! raw Chrome DevTools Protocol commands (colour scheme, viewport, clipboard permission,
//! downloads) and polling waits. Starting and talking to processes lives in `process.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub use crate::process::http;
use crate::process::{Process, free_port, locate_browser, wait_until_up};

/// How long a wait polls before it gives up.
const WAIT: Duration = Duration::from_secs(15);

/// Flags that keep headless Chromium quiet, offline and reproducible.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--lang=en-US",
];

/// The whole rig: fixkb, chromedriver and one browser session, torn down on drop.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    /// `http://127.0.0.1:PORT` of the fixkb under test.
    pub base: String,
    /// Port of the fixkb under test.
    pub port: u16,
    /// Where Chromium saves downloads.
    pub downloads: PathBuf,
    /// Where screenshots go (`target/screenshots`).
    pub screenshots: PathBuf,
    driver_port: u16,
    session: String,
    server: Process,
    _driver: Process,
    _temp: tempfile::TempDir,
}

impl Browser {
    /// Starts everything. Fails (never skips) when Chromium is missing.
    pub async fn start() -> Result<Self> {
        let (chromium, chromedriver) = locate_browser()?;
        let temp = tempfile::tempdir()?;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));

        let port = free_port()?;
        let mut server_cmd = Command::new(env!("CARGO_BIN_EXE_fixkb"));
        server_cmd
            .arg("--content")
            .arg(root.join("content"))
            .arg("--data")
            .arg(temp.path().join("data"))
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .arg("serve")
            .env("RUST_LOG", "warn")
            .env("FIXKB_ADMIN_TOKEN", "browser-test-token");
        let mut server = Process::spawn(server_cmd, temp.path().join("fixkb.log"))?;
        wait_until_up(port, "/healthz", &mut server, "fixkb").await?;

        let driver_port = free_port()?;
        let mut driver_cmd = Command::new(&chromedriver);
        driver_cmd.arg(format!("--port={driver_port}"));
        let mut driver = Process::spawn(driver_cmd, temp.path().join("chromedriver.log"))?;
        wait_until_up(driver_port, "/status", &mut driver, "chromedriver").await?;

        let downloads = temp.path().join("downloads");
        std::fs::create_dir_all(&downloads)?;
        let profile = temp.path().join("profile");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.push("--window-size=1280,900".to_owned());
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args,
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                },
            },
        });
        let Value::Object(caps) = caps else {
            bail!("capabilities are a JSON object");
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .with_context(|| format!("starting a Chromium session:\n{}", driver.log_tail()))?;
        let session = client
            .session_id()
            .await?
            .ok_or_else(|| anyhow!("chromedriver gave no session id"))?;

        let screenshots = root.join("target").join("screenshots");
        std::fs::create_dir_all(&screenshots)?;
        let browser = Self {
            client,
            base: format!("http://127.0.0.1:{port}"),
            port,
            downloads,
            screenshots,
            driver_port,
            session,
            server,
            _driver: driver,
            _temp: temp,
        };
        // Every page records Content-Security-Policy violations, for `csp_violations`.
        browser
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({"source": "window.__cspViolations = [];\
                    document.addEventListener('securitypolicyviolation', e =>\
                      window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"}),
            )
            .await?;
        browser
            .cdp(
                "Browser.setDownloadBehavior",
                json!({"behavior": "allow", "downloadPath": browser.downloads}),
            )
            .await?;
        Ok(browser)
    }

    /// Ends the browser session (chromedriver closes Chromium), then the processes.
    pub async fn close(self) -> Result<()> {
        self.client.clone().close().await?;
        Ok(())
    }

    /// The tail of fixkb's log, for failure messages.
    pub fn server_log(&self) -> String {
        self.server.log_tail()
    }

    /// Sends one Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        let path = format!("/session/{}/goog/cdp/execute", self.session);
        let (status, body) = http(
            self.driver_port,
            "POST",
            &path,
            Some(&json!({"cmd": cmd, "params": params})),
        )
        .await?;
        let value: Value = serde_json::from_slice(&body).with_context(|| format!("CDP {cmd} answer"))?;
        if status != 200 {
            bail!("CDP {cmd} failed ({status}): {value}");
        }
        Ok(value["value"].clone())
    }

    /// The Content-Security-Policy violations the current page has reported so far.
    pub async fn csp_violations(&self) -> Result<Vec<String>> {
        let v = self.js("return window.__cspViolations || []").await?;
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect())
    }

    /// Opens a site-relative path and waits for the page to load.
    pub async fn open(&self, path: &str) -> Result<()> {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .with_context(|| format!("opening {path}"))
    }

    /// The current URL without scheme, host and port.
    pub async fn path(&self) -> Result<String> {
        let url = self.client.current_url().await?;
        let mut out = url.path().to_owned();
        if let Some(q) = url.query() {
            out.push('?');
            out.push_str(q);
        }
        if let Some(f) = url.fragment() {
            out.push('#');
            out.push_str(f);
        }
        Ok(out)
    }

    /// Runs JavaScript in the page and returns its value.
    pub async fn js(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Runs asynchronous JavaScript: the script resolves through `done(value)`.
    pub async fn js_async(&self, script: &str) -> Result<Value> {
        let wrapped = format!("const done = arguments[arguments.length - 1];\n{script}");
        Ok(self.client.execute_async(&wrapped, vec![]).await?)
    }

    /// Finds one element by CSS selector.
    pub async fn css(&self, selector: &str) -> Result<fantoccini::elements::Element> {
        self.client
            .find(Locator::Css(selector))
            .await
            .with_context(|| format!("no element matches {selector}"))
    }

    /// Polls `probe` until it yields a value; fails naming `what` after a few seconds.
    pub async fn eventually<T, F, Fut>(&self, what: &str, mut probe: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>>>,
    {
        let start = Instant::now();
        let mut last_error = None;
        loop {
            match probe().await {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(e) => last_error = Some(e),
            }
            if start.elapsed() > WAIT {
                return Err(match last_error {
                    Some(e) => e.context(format!("timed out waiting for {what}")),
                    None => anyhow!("timed out waiting for {what}"),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until a CSS selector matches, and returns the element.
    pub async fn wait_css(&self, selector: &str) -> Result<fantoccini::elements::Element> {
        self.eventually(selector, || async {
            Ok(self
                .client
                .find_all(Locator::Css(selector))
                .await?
                .into_iter()
                .next())
        })
        .await
    }

    /// Waits until `element` shows exactly `text` (copy buttons change their label after the
    /// clipboard write resolves).
    pub async fn wait_text(&self, element: &fantoccini::elements::Element, text: &str) -> Result<()> {
        let found = self
            .eventually(&format!("the text {text:?}"), || async {
                Ok((element.text().await? == text).then_some(()))
            })
            .await;
        if found.is_err() {
            let now = element.text().await.unwrap_or_default();
            let live = self
                .js("const l = document.getElementById('fk-live'); return l ? l.textContent : ''")
                .await?;
            return found.with_context(|| format!("the element says {now:?}; the live region says {live}"));
        }
        Ok(())
    }

    /// Presses one key (or character) on whatever has focus, as a real key event.
    pub async fn press(&self, key: char) -> Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let actions = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client.perform_actions(actions).await?;
        Ok(())
    }

    /// The focused element's id (empty when it has none).
    pub async fn focused_id(&self) -> Result<String> {
        Ok(self
            .js("return document.activeElement ? document.activeElement.id : ''")
            .await?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Lets the page write and read the clipboard without a prompt.
    pub async fn allow_clipboard(&self) -> Result<()> {
        self.cdp(
            "Browser.grantPermissions",
            json!({
                "origin": self.base,
                "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
            }),
        )
        .await?;
        // The async clipboard API needs a focused document; a download just before can take focus.
        self.cdp("Page.bringToFront", json!({})).await?;
        self.js("window.focus(); return true;").await?;
        Ok(())
    }

    /// What the page would paste.
    pub async fn clipboard(&self) -> Result<String> {
        let v = self
            .js_async("navigator.clipboard.readText().then(done, e => done('ERROR: ' + e))")
            .await?;
        let text = v.as_str().unwrap_or_default().to_owned();
        if text.starts_with("ERROR: ") {
            bail!("reading the clipboard failed: {text}");
        }
        Ok(text)
    }

    /// Emulates `prefers-color-scheme` (and optionally a media type such as `print`).
    pub async fn emulate(&self, scheme: Scheme, media: &str) -> Result<()> {
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({
                "media": media,
                "features": [{"name": "prefers-color-scheme", "value": scheme.name()}],
            }),
        )
        .await?;
        Ok(())
    }

    /// Sets the viewport size (a phone gets touch-style mobile emulation).
    pub async fn viewport(&self, size: Viewport) -> Result<()> {
        let (width, height, mobile) = size.dimensions();
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        )
        .await?;
        Ok(())
    }

    /// Saves a screenshot of the viewport as `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let path = self.screenshots.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Whether fixkb answers `path` with something other than 404 (pages still being built
    /// by other issues are reported as pending instead of failing).
    pub async fn route_exists(&self, method: &str, path: &str, body: Option<&Value>) -> Result<bool> {
        let (status, _) = http(self.port, method, path, body).await?;
        Ok(status != 404 && status != 405)
    }
}

/// A colour scheme to emulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `prefers-color-scheme: light`.
    Light,
    /// `prefers-color-scheme: dark`.
    Dark,
}

impl Scheme {
    /// The media feature value.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Light => "light",
            Scheme::Dark => "dark",
        }
    }
}

/// A viewport to emulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewport {
    /// 1280 × 860.
    Desktop,
    /// 390 × 844, like a current phone.
    Phone,
    /// 360 × 740, the narrowest phone the layout promises to fit.
    Narrow,
}

impl Viewport {
    /// The file-name part for screenshots.
    pub fn name(self) -> &'static str {
        match self {
            Viewport::Desktop => "desktop",
            Viewport::Phone => "phone",
            Viewport::Narrow => "narrow",
        }
    }

    fn dimensions(self) -> (u32, u32, bool) {
        match self {
            Viewport::Desktop => (1280, 860, false),
            Viewport::Phone => (390, 844, true),
            Viewport::Narrow => (360, 740, true),
        }
    }
}
