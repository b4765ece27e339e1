//! The pieces the browser tests run on: the `todo` binary in its roles as real processes, and a real
//! headless Chromium driven over WebDriver (chromedriver + fantoccini).

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use todo_testkit::{free_port, wait_for};

/// How long a server this harness starts may take to answer.
const READY_WITHIN: Duration = Duration::from_secs(30);

pub const SECRET: &str = "test-secret-that-is-long-enough-0123456789";

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver in its own process group, killed with the browsers it started (even when a test fails
/// before it could end the WebDriver session).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// One deployment of the app: `todo serve`, or `todo frontend` in front of `todo backend`.
pub struct App {
    pub base: String,
    _procs: Vec<Proc>,
    _dir: tempfile::TempDir,
}

fn todo(dir: &tempfile::TempDir, name: &str, args: &[&str], env: &[(&str, String)]) -> Proc {
    let log = std::fs::File::create(dir.path().join(format!("{name}.log"))).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_todo"));
    c.args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    for v in [
        "DATABASE_URL",
        "PORT",
        "HOST",
        "BETTER_AUTH_SECRET",
        "BACKEND_URL",
        "NEXT_PUBLIC_API_URL",
    ] {
        c.env_remove(v);
    }
    c.env("LOG_LEVEL", "warn");
    for (k, v) in env {
        c.env(k, v);
    }
    Proc(c.spawn().unwrap())
}

impl App {
    /// `todo serve` on SQLite: UI and API in one process.
    pub async fn serve() -> App {
        Self::serve_with(&[]).await
    }

    /// `todo serve` with more environment variables.
    pub async fn serve_with(extra: &[(&str, String)]) -> App {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let db = format!("sqlite://{}", dir.path().join("todo.db").display());
        let base = format!("http://127.0.0.1:{port}");
        let mut env = vec![
            ("PORT", port.to_string()),
            ("DATABASE_URL", db),
            ("BETTER_AUTH_SECRET", SECRET.into()),
            // The OAuth issuer: MCP clients sign in through this server's consent page.
            ("PUBLIC_URL", base.clone()),
        ];
        env.extend_from_slice(extra);
        let p = todo(&dir, "serve", &["serve"], &env);
        wait_for(&format!("{base}/ready"), 200, READY_WITHIN).await;
        App {
            base,
            _procs: vec![p],
            _dir: dir,
        }
    }

    /// `todo backend` and `todo frontend` as two processes, the frontend reaching the backend at BACKEND_URL.
    pub async fn split() -> App {
        let dir = tempfile::tempdir().unwrap();
        let (bport, fport) = (free_port(), free_port());
        let db = format!("sqlite://{}", dir.path().join("todo.db").display());
        let backend = todo(
            &dir,
            "backend",
            &["backend"],
            &[
                ("HOST", "127.0.0.1".into()),
                ("PORT", bport.to_string()),
                ("DATABASE_URL", db),
                ("BETTER_AUTH_SECRET", SECRET.into()),
                ("AUTO_MIGRATE", "true".into()),
            ],
        );
        wait_for(
            &format!("http://127.0.0.1:{bport}/ready"),
            200,
            READY_WITHIN,
        )
        .await;
        let frontend = todo(
            &dir,
            "frontend",
            &["frontend"],
            &[
                ("HOST", "127.0.0.1".into()),
                ("PORT", fport.to_string()),
                ("BACKEND_URL", format!("http://127.0.0.1:{bport}")),
            ],
        );
        let base = format!("http://127.0.0.1:{fport}");
        wait_for(&format!("{base}/api/health"), 200, READY_WITHIN).await;
        App {
            base,
            _procs: vec![frontend, backend],
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A headless Chromium session; chromedriver and the profile go away with it.
pub struct Browser {
    pub client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// chromedriver's log endpoint (`goog:loggingPrefs` asks it to keep the browser console).
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(r#"{"type":"browser"}"#.into()),
        )
    }
}

/// A Chrome DevTools Protocol command, through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
pub struct Cdp(pub &'static str, pub serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({"cmd": self.0, "params": self.1});
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

impl Browser {
    /// Starts Chromium at `width`×`height`, with or without JavaScript. `None` (the test is skipped, with a
    /// warning) when Chromium or chromedriver is not installed — except under `CI=true`, where that fails.
    pub async fn start(width: u32, height: u32, javascript: bool) -> Option<Browser> {
        let chromium = ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|n| on_path(n));
        let (Some(chromium), Some(driver)) = (chromium, on_path("chromedriver")) else {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(!ci, "CI=true but chromium/chromedriver are missing: apt-get install chromium chromium-driver");
            eprintln!("WARNING: skipping browser test: chromium or chromedriver not installed (apt-get install chromium chromium-driver)");
            return None;
        };
        let port = free_port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let driver = Driver(
            Command::new(driver)
                .process_group(0)
                .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log.reopen().unwrap())
                .spawn()
                .unwrap(),
        );
        wait_for(
            &format!("http://127.0.0.1:{port}/status"),
            200,
            READY_WITHIN,
        )
        .await;
        let profile = tempfile::tempdir().unwrap();
        // These flags keep Chromium from hanging on a machine without network access.
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if !javascript {
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let mut options = json!({"binary": chromium, "args": args});
        if width < 600 {
            // Desktop windows do not get this narrow; emulate a phone's screen instead.
            options["mobileEmulation"] = json!({
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2, "touch": true}
            });
        }
        let caps = json!({"browserName": "chrome", "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"}});
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.as_object().unwrap().clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("WebDriver session");
        if width >= 600 {
            client.set_window_size(width, height).await.unwrap();
        }
        Some(Browser {
            client,
            _driver: driver,
            _profile: profile,
        })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// Runs JavaScript in the page (the test's probe, not the app's code) and returns its value.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Waits until `script` (an expression) is truthy in the page.
    pub async fn until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ok = self
                .client
                .execute(&format!("return !!({script});"), vec![])
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if ok {
                return;
            }
            if Instant::now() > deadline {
                let body = self.js("return document.body.innerText").await;
                panic!("timed out waiting until {what}; page text:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Saves a screenshot to `target/screenshots/<name>.png`.
    pub async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// The console's errors since the last call (Content-Security-Policy violations among them).
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap();
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub async fn text(&self) -> String {
        self.js("return document.body.innerText")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}
