use std::time::Duration;

use super::*;

fn parse(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("todo").chain(args.iter().copied())).unwrap()
}

#[test]
fn bare_todo_is_serve_on_port_3000() {
    let cli = parse(&[]);
    assert!(cli.command.is_none());
    let cfg = cli.serve.into_config().unwrap();
    assert_eq!(cfg.addr, "127.0.0.1:3000");
    assert!(matches!(cfg.secret, Secret::Generate));
}

#[test]
fn serve_on_loopback_is_its_own_public_address() {
    let issuer = |args: &[&str]| {
        let cfg = parse(args).serve.into_config().unwrap();
        let public = cfg.api.public_url.map(|u| u.to_string());
        (cfg.api.oauth.map(|o| o.issuer), public)
    };
    let here = Some("http://127.0.0.1:3000".to_owned());
    assert_eq!(issuer(&[]), (here, Some("http://127.0.0.1:3000/".into())));
    assert_eq!(
        issuer(&["--host", "::1", "--port", "8080"]).0.as_deref(),
        Some("http://[::1]:8080")
    );
    // Reached by a name only the operator knows, or on a port chosen at bind: no guess.
    assert_eq!(issuer(&["--host", "0.0.0.0"]), (None, None));
    assert_eq!(issuer(&["--port", "0"]), (None, None));
    let given = ["--public-url", "https://todo.example.com"];
    assert_eq!(
        issuer(&given).0.as_deref(),
        Some("https://todo.example.com")
    );
}

/// `todo backend <args>` parsed and validated.
fn backend(args: &[&str]) -> Result<ServerConfig, ConfigError> {
    let args: Vec<&str> = std::iter::once("backend")
        .chain(args.iter().copied())
        .collect();
    match parse(&args).command {
        Some(Command::Backend(b)) => b.into_config(),
        other => panic!("not backend: {other:?}"),
    }
}

#[test]
fn cors_origins_are_normalised_to_what_browsers_send() {
    let secret = "s".repeat(40);
    let cfg = backend(&[
        "--better-auth-secret",
        &secret,
        "--cors-origins",
        "https://App.Example.com/, http://localhost:3000",
        "--frontend-url",
        "https://todo.example.com:443/app",
    ])
    .unwrap();
    assert_eq!(
        cfg.api.cors_origins,
        vec![
            "https://app.example.com",
            "http://localhost:3000",
            "https://todo.example.com"
        ]
    );
    for bad in ["*", "localhost:3000", "https://x.com/path", "ftp://x.com"] {
        let e = backend(&["--better-auth-secret", &secret, "--cors-origins", bad]).unwrap_err();
        assert!(e.0.starts_with("CORS_ORIGINS"), "{bad}: {}", e.0);
    }
}

#[test]
fn the_public_url_is_given_or_the_uis_origin() {
    let secret = "s".repeat(40);
    let public = |extra: &[&str]| {
        let mut args = vec!["--better-auth-secret", &secret];
        args.extend_from_slice(extra);
        backend(&args).map(|c| c.api.public_url.map(|u| u.to_string()))
    };
    assert_eq!(public(&[]).unwrap(), None);
    let ui = ["--frontend-url", "https://Todo.example.com:443/app"];
    assert_eq!(
        public(&ui).unwrap().as_deref(),
        Some("https://todo.example.com/")
    );
    let given = ["--public-url", "https://cal.example.com", ui[0], ui[1]];
    assert_eq!(
        public(&given).unwrap().as_deref(),
        Some("https://cal.example.com/")
    );
    // The OAuth issuer is an origin.
    for bad in [
        "cal.example.com",
        "ftp://cal.example.com",
        "https://cal.example.com/todo",
    ] {
        let e = public(&["--public-url", bad]).unwrap_err();
        assert!(e.0.starts_with("PUBLIC_URL"), "{bad}: {}", e.0);
    }
}

#[test]
fn assistant_urls_are_checked_and_mcp_endpoints_derived() {
    let secret = "s".repeat(40);
    let mcp = |url: &str| backend(&["--better-auth-secret", &secret, "--mcp-server-url", url]);
    for (given, endpoint) in [
        ("http://todo-mcp:8001", "http://todo-mcp:8001/mcp"),
        ("http://todo-mcp:8001/", "http://todo-mcp:8001/mcp"),
        ("http://gw/todo/", "http://gw/todo/mcp"),
        ("https://x.example.com/mcp", "https://x.example.com/mcp"),
    ] {
        assert_eq!(
            mcp(given).unwrap().mcp_server_url.as_deref(),
            Some(endpoint)
        );
    }
    for bad in ["todo-mcp:8001", "http://todo-mcp:8001/?x=1", "ftp://x"] {
        let e = mcp(bad).unwrap_err();
        assert!(e.0.starts_with("MCP_SERVER_URL"), "{bad}: {}", e.0);
    }
    let e = backend(&[
        "--better-auth-secret",
        &secret,
        "--openai-base-url",
        "localhost:11434/v1",
    ])
    .unwrap_err();
    assert!(e.0.starts_with("OPENAI_BASE_URL"), "{}", e.0);
    let e = backend(&["--better-auth-secret", &secret, "--llm-provider", "gemini"]).unwrap_err();
    assert_eq!(e.0, "LLM_PROVIDER=gemini needs GEMINI_API_KEY");
    let cfg = backend(&[
        "--better-auth-secret",
        &secret,
        "--openai-base-url",
        "http://localhost:11434/v1",
    ])
    .unwrap();
    assert_eq!(cfg.model.unwrap().provider, "openai");
    assert!(backend(&["--better-auth-secret", &secret])
        .unwrap()
        .model
        .is_none());
}

#[test]
fn backend_requires_a_long_secret() {
    let e = backend(&["--better-auth-secret", "short"]).unwrap_err();
    assert_eq!(
        e.0,
        "BETTER_AUTH_SECRET must be at least 32 characters (got 5)"
    );
    let cfg = backend(&["--port", "7860", "--better-auth-secret", &"s".repeat(32)]).unwrap();
    assert_eq!(cfg.addr, "0.0.0.0:7860");
}

/// `todo frontend <args>` parsed and validated.
fn frontend(args: &[&str]) -> Result<FrontendConfig, ConfigError> {
    let args: Vec<&str> = std::iter::once("frontend")
        .chain(args.iter().copied())
        .collect();
    match parse(&args).command {
        Some(Command::Frontend(f)) => f.into_config(),
        other => panic!("not frontend: {other:?}"),
    }
}

#[test]
fn frontend_reads_the_backend_url() {
    let cfg = frontend(&["--backend-url", "http://todo-backend:8000/"]).unwrap();
    assert_eq!(cfg.backend_url, "http://todo-backend:8000");
    assert_eq!(cfg.addr, "0.0.0.0:3000");
    let alias = frontend(&["--next-public-api-url", "https://api.example.com/base"]).unwrap();
    assert_eq!(alias.backend_url, "https://api.example.com/base");
    assert_eq!(frontend(&[]).unwrap().backend_url, "http://127.0.0.1:8000");
    let e = frontend(&["--backend-url", "todo-backend:8000"]).unwrap_err();
    assert_eq!(
        e.0,
        "BACKEND_URL must be an http(s) URL with a host (got \"todo-backend:8000\")"
    );
    let e = frontend(&["--next-public-api-url", "not a url"]).unwrap_err();
    assert!(
        e.0.starts_with("NEXT_PUBLIC_API_URL is not a URL"),
        "{}",
        e.0
    );
}

#[test]
fn jwks_url_derives_from_the_auth_server_urls() {
    let secret = "s".repeat(40);
    let jwks = |args: &[&str]| {
        let mut all = vec!["--better-auth-secret", &secret];
        all.extend_from_slice(args);
        backend(&all).unwrap().jwks_url
    };
    assert_eq!(
        jwks(&["--backend-better-auth-url", "http://todo-frontend:3000/"]).as_deref(),
        Some("http://todo-frontend:3000/api/auth/jwks")
    );
    // Only the public auth URL: its JWKS is the fallback; the in-cluster URL wins over it.
    assert_eq!(
        jwks(&["--better-auth-url", "https://todo.example.com"]).as_deref(),
        Some("https://todo.example.com/api/auth/jwks")
    );
    assert_eq!(
        jwks(&[
            "--better-auth-url",
            "https://todo.example.com",
            "--backend-better-auth-url",
            "http://fe:3000"
        ])
        .as_deref(),
        Some("http://fe:3000/api/auth/jwks")
    );
    assert_eq!(jwks(&[]), None);
}

#[test]
fn secrets_never_show_in_debug_output_or_errors() {
    let auth_secret = "auth-secret-0123456789-0123456789-abc";
    let password = "db-password-hunter2";
    let database_url = format!("postgres://todo:{password}@db:5432/todo");
    let keys = ["sk-openai-key-4711", "gemini-key-4712", "cohere-key-4713"];
    let mcp_token = "eyJ.mcp-token-4714.sig";
    let too_short = "short-secret-4715";
    let secrets = [
        auth_secret,
        password,
        keys[0],
        keys[1],
        keys[2],
        mcp_token,
        too_short,
    ];
    let with_secrets = |role: &str| {
        parse(&[
            role,
            "--database-url",
            &database_url,
            "--better-auth-secret",
            auth_secret,
            "--openai-api-key",
            keys[0],
            "--gemini-api-key",
            keys[1],
            "--cohere-api-key",
            keys[2],
        ])
    };
    let mut printed = Vec::new();

    let cli = with_secrets("backend");
    printed.push(format!("{cli:?}"));
    let Some(Command::Backend(backend)) = cli.command else {
        unreachable!()
    };
    let config = backend.clone().into_config().unwrap();
    assert_eq!(config.database_url.expose_secret(), database_url);
    printed.push(format!("{config:?}"));
    let mut short = backend;
    short.common.better_auth_secret = Some(too_short.into());
    printed.push(short.into_config().unwrap_err().to_string());

    let cli = parse(&[
        "mcp",
        "--stdio",
        "--token",
        mcp_token,
        "--database-url",
        &database_url,
        "--better-auth-secret",
        auth_secret,
    ]);
    printed.push(format!("{cli:?}"));
    let Some(Command::Mcp(mcp)) = cli.command else {
        unreachable!()
    };
    printed.push(format!("{:?}", mcp.into_stdio_config().unwrap()));

    let cli = parse(&["migrate", "--database-url", &database_url]);
    printed.push(format!("{cli:?}"));
    // A database URL the driver cannot read: the error says why, without repeating the URL.
    let unreadable = format!("postgres://todo:{password}@db:port/todo");
    let e = crate::server::open_store(&unreadable.into(), &Default::default()).unwrap_err();
    assert!(e.0.starts_with("DATABASE_URL is not usable"), "{}", e.0);
    printed.push(e.to_string());

    for out in &printed {
        for secret in secrets {
            assert!(!out.contains(secret), "{secret} shows in {out}");
        }
    }
    assert!(printed[1].contains("REDACTED"), "{}", printed[1]);
}

#[test]
fn connection_limits_default_and_refuse_zero() {
    let secret = "s".repeat(40);
    let cfg = backend(&["--better-auth-secret", &secret]).unwrap();
    assert_eq!(
        cfg.connections,
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            max_connections: 1024,
        }
    );
    let e = backend(&[
        "--better-auth-secret",
        &secret,
        "--idle-timeout-seconds",
        "0",
    ])
    .unwrap_err();
    assert!(e.0.contains("IDLE_TIMEOUT_SECONDS"), "{}", e.0);
    let e = frontend(&["--max-connections", "0"]).unwrap_err();
    assert_eq!(e.0, "MAX_CONNECTIONS must be at least 1");
}

#[test]
fn vapid_settings_are_checked_and_the_subject_derived() {
    let secret = "s".repeat(32);
    let with = |extra: &[&str]| {
        let mut args = vec!["--better-auth-secret", secret.as_str()];
        args.extend_from_slice(extra);
        backend(&args)
    };
    let cfg = with(&[]).unwrap();
    assert!(cfg.push.key.is_none(), "generated and kept in the database");
    assert_eq!(cfg.push.subject, "mailto:todo@localhost");
    assert!(!cfg.push.settings.allow_insecure);
    let cfg = with(&["--frontend-url", "https://todo.example.com/app"]).unwrap();
    assert_eq!(cfg.push.subject, "https://todo.example.com");
    let cfg = with(&["--vapid-subject", "mailto:ops@example.com"]).unwrap();
    assert_eq!(cfg.push.subject, "mailto:ops@example.com");
    for bad in ["ops@example.com", "http://example.com", "mailto:"] {
        let e = with(&["--vapid-subject", bad]).unwrap_err();
        assert!(e.0.starts_with("VAPID_SUBJECT"), "{e}");
    }
    let e = with(&["--vapid-private-key=not a key"]).unwrap_err();
    assert!(e.0.starts_with("VAPID_PRIVATE_KEY"), "{e}");
    let pem = todo_notify::VapidKey::generate_pem();
    let cfg = with(&[&format!("--vapid-private-key={pem}")]).unwrap();
    let key = cfg.push.key.clone().unwrap();
    assert!(
        !format!("{cfg:?}").contains(pem.lines().nth(1).unwrap()),
        "the key stays out of Debug"
    );
    assert_eq!(
        key.public_key(),
        todo_notify::VapidKey::from_pem(&pem).unwrap().public_key()
    );
}
