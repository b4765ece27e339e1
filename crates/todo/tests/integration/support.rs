//! Starts the real server (the same `Server` the binary runs) on a random port against a real database,
//! and talks HTTP to it.

use std::time::Duration;

use clap::Parser;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use todo::config::{Cli, Command};
use todo::server::Server;

use todo_testkit::PgServer;

pub const SECRET: &str = "test-secret-that-is-long-enough-0123456789";

#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    _stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: Option<tempfile::TempDir>,
}

pub type TestUser = todo_testkit::SignedUp;

/// A database URL of the given kind, or `None` when PostgreSQL is unavailable outside CI.
pub async fn database(db: Db) -> Option<(String, Option<tempfile::TempDir>)> {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("todo.db").display());
            Some((url, Some(dir)))
        }
        Db::Postgres => Some((PgServer::shared()?.new_database().await, None)),
    }
}

/// The migrations a database had before migration `version` (a file name's number): for the tests
/// that migrate a database holding the previous schema's data.
pub async fn migrations_before(db: Db, version: &str) -> sqlx::migrate::Migrator {
    let kind = match db {
        Db::Sqlite => "sqlite",
        Db::Postgres => "postgres",
    };
    let previous = tempfile::tempdir().unwrap();
    let source = format!(
        "{}/../storage/migrations/{kind}",
        env!("CARGO_MANIFEST_DIR")
    );
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < version {
            std::fs::copy(&path, previous.path().join(name)).unwrap();
        }
    }
    // The migrator reads the files now; the directory may go.
    sqlx::migrate::Migrator::new(previous.path()).await.unwrap()
}

impl TestApp {
    pub async fn spawn(db: Db) -> Option<TestApp> {
        Self::spawn_with(db, &[]).await
    }

    /// Starts `todo serve` in-process with extra command-line flags.
    pub async fn spawn_with(db: Db, extra: &[&str]) -> Option<TestApp> {
        let (database_url, dir) = database(db).await?;
        Some(Self::spawn_on(database_url, dir, extra).await)
    }

    /// Starts `todo serve` in-process on the given database.
    pub async fn spawn_on(
        database_url: String,
        dir: Option<tempfile::TempDir>,
        extra: &[&str],
    ) -> TestApp {
        let mut args = vec![
            "todo",
            "serve",
            "--port",
            "0",
            "--database-url",
            &database_url,
            "--better-auth-secret",
            SECRET,
        ];
        args.extend_from_slice(extra);
        let cli = Cli::try_parse_from(args).expect("valid test flags");
        let Some(Command::Serve(serve)) = cli.command else {
            unreachable!()
        };
        let server = Server::bind(serve.into_config().unwrap()).await.unwrap();
        let base = format!("http://{}", server.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.serve(async move {
            let _ = stopped.await;
        }));
        let app = TestApp {
            base,
            client: todo_testkit::http_client()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),

            _stop: Some(stop),
            _dir: dir,
        };
        app.wait_ready().await;
        app
    }

    /// A client of a server that is already running (a spawned process).
    pub fn attach(base: &str) -> TestApp {
        TestApp {
            base: base.to_owned(),
            client: todo_testkit::http_client()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            _stop: None,
            _dir: None,
        }
    }

    pub async fn wait_ready(&self) {
        for _ in 0..200 {
            if let Ok(r) = self.client.get(self.url("/ready")).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server at {} never became ready", self.base);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let r = self.client.request(method, self.url(path));
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    /// Sends JSON (or nothing) with a bearer token and returns the status and parsed body (`Null` if empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self.request(method, path, token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        split(r.send().await.unwrap()).await
    }

    /// Sends JSON (or nothing) to `rest` under the user's own `/api/{user_id}`, as that user.
    pub async fn send(
        &self,
        user: &TestUser,
        method: Method,
        rest: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let path = format!("/api/{}{rest}", user.id);
        self.call(method, &path, Some(&user.jwt), body).await
    }

    pub async fn sign_up(&self, email: &str) -> TestUser {
        todo_testkit::sign_up(&self.client, &self.base, email).await
    }

    /// `PATCH …/complete` on one of the user's tasks.
    pub async fn toggle(&self, user: &TestUser, id: &Value) -> (u16, Value) {
        let path = format!("/api/{}/tasks/{id}/complete", user.id);
        self.call(Method::PATCH, &path, Some(&user.jwt), None).await
    }

    /// `GET` the user's task list with a query string (without `?`).
    pub async fn list(&self, user: &TestUser, query: &str) -> (u16, Value) {
        let path = format!("/api/{}/tasks?{query}", user.id);
        self.call(Method::GET, &path, Some(&user.jwt), None).await
    }

    /// `GET` the user's conversations.
    pub async fn conversations(&self, user: &TestUser) -> (u16, Value) {
        let path = format!("/api/{}/conversations", user.id);
        self.call(Method::GET, &path, Some(&user.jwt), None).await
    }

    /// `GET` the messages of conversation `id` (any JSON-printable id, valid or not).
    pub async fn messages(&self, user: &TestUser, id: impl std::fmt::Display) -> (u16, Value) {
        let path = format!("/api/{}/conversations/{id}/messages", user.id);
        self.call(Method::GET, &path, Some(&user.jwt), None).await
    }

    pub async fn create(&self, user: &TestUser, body: Value) -> Value {
        let (status, task) = self
            .call(
                Method::POST,
                &format!("/api/{}/tasks", user.id),
                Some(&user.jwt),
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{task}");
        task
    }
}

pub async fn split(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, body)
}

/// An HS256 token signed with the test secret, with the given claims merged over `sub` and a valid `exp`.
pub fn hs256(sub: &str, extra: Value) -> String {
    let mut claims = json!({"sub": sub, "exp": chrono::Utc::now().timestamp() + 600});
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

/// Runs a test body against SQLite and against PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = $crate::support::TestApp::spawn($crate::support::Db::Sqlite).await.unwrap();
                super::$name(app).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(app) = $crate::support::TestApp::spawn($crate::support::Db::Postgres).await else { return };
                super::$name(app).await;
            })*
        }
    };
}
