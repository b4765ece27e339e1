//! The Helm chart: lint, strict schema validation for Kubernetes 1.28 and the latest release, the
//! security scan, values-schema rejections, the one copy of the component templates (the library
//! chart), the defaults' shape, and each seed's topology rebuilt from its values file under
//! deploy/examples and checked field by field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use todo_deploy_tests::{
    chart_dir, data_keys, find, helm_template, of_kind, output, parse_yaml_stream, repo_root,
    run_ok, tool,
};

const SUBCHARTS: [&str; 3] = ["frontend", "backend", "mcp"];

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("deploy/examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "one values file per seed: {files:?}");
    files
}

/// A P-256 key in PKCS#8 PEM (the tests' ES256 signing key), to give as the VAPID key.
fn vapid_pem() -> PathBuf {
    repo_root().join("crates/todo/tests/fixtures/es256.pem")
}

fn render(helm: &Path, release: &str, args: &[&str]) -> Vec<Value> {
    let text = helm_template(helm, release, &chart_dir(), args).unwrap_or_else(|e| panic!("{e}"));
    parse_yaml_stream(&text)
}

#[test]
fn lint_is_strict_clean_for_the_chart_the_library_each_subchart_and_each_example() {
    let Some(helm) = tool("helm") else { return };
    let chart = chart_dir();
    let library = repo_root().join("charts/todo-component");
    let mut runs: Vec<(String, Vec<String>)> = vec![
        (chart.display().to_string(), vec![]),
        (library.display().to_string(), vec![]),
    ];
    for sub in SUBCHARTS {
        runs.push((chart.join("charts").join(sub).display().to_string(), vec![]));
    }
    for ex in examples() {
        runs.push((
            chart.display().to_string(),
            vec!["-f".into(), ex.display().to_string()],
        ));
    }
    // The optional objects: the VAPID key's Secret and the backend's egress policy.
    runs.push((
        chart.display().to_string(),
        vec![
            format!(
                "--set-file=backend.push.vapidPrivateKey={}",
                vapid_pem().display()
            ),
            "--set=webhooks.egress.enabled=true".into(),
        ],
    ));
    for (dir, args) in runs {
        let out = output(
            Command::new(&helm)
                .args(["lint", "--strict", &dir])
                .args(&args),
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "helm lint {dir} {args:?}:\n{text}");
        assert!(
            !text.contains("[WARNING]") && !text.contains("[ERROR]"),
            "helm lint {dir} {args:?}:\n{text}"
        );
    }
}

/// Every rendering the tests care about, written as files: defaults, each sub-chart alone, each
/// example, and the optional objects switched on. `namespace` is the release namespace.
fn render_all(helm: &Path, dir: &Path, namespace: &str) -> Vec<PathBuf> {
    let chart = chart_dir();
    let mut cases: Vec<(String, PathBuf, Vec<String>)> = vec![
        ("defaults".into(), chart.clone(), vec![]),
        (
            "everything-on".into(),
            chart.clone(),
            [
                "--set=namespace.create=true",
                "--set=global.namespace=todo-all",
                "--set=frontend.ingress.enabled=true",
                "--set=frontend.ingress.host=todo.example.com",
                "--set=backend.autoscaling.enabled=true",
                "--set=mcp.autoscaling.enabled=true",
                "--set=backend.replicaCount=3",
                "--set=webhooks.egress.enabled=true",
                "--set=backend.push.subject=mailto:ops@example.com",
            ]
            .map(String::from)
            .into_iter()
            .chain([format!(
                "--set-file=backend.push.vapidPrivateKey={}",
                vapid_pem().display()
            )])
            .collect(),
        ),
        (
            "external-db".into(),
            chart.clone(),
            vec!["--set=global.secret.existingSecret=todo-neon".into()],
        ),
    ];
    for sub in SUBCHARTS {
        cases.push((
            format!("{sub}-alone"),
            chart.join("charts").join(sub),
            vec!["--set=secret.data.DATABASE_URL=postgres://u:p@db.example/todo".into()],
        ));
    }
    cases.push((
        "backend-alone-vapid-secret".into(),
        chart.join("charts/backend"),
        [
            "--set=push.existingSecret.name=todo-vapid",
            "--set=push.subject=https://todo.example.com",
        ]
        .map(String::from)
        .to_vec(),
    ));
    for ex in examples() {
        let name = ex.file_stem().unwrap().to_string_lossy().into_owned();
        cases.push((
            name,
            chart.clone(),
            vec!["-f".into(), ex.display().to_string()],
        ));
    }
    cases
        .into_iter()
        .map(|(name, chart, args)| {
            let mut all = vec!["--namespace", namespace];
            all.extend(args.iter().map(String::as_str));
            let text = helm_template(helm, "todo", &chart, &all)
                .unwrap_or_else(|e| panic!("render {name}: {e}"));
            let file = dir.join(format!("{name}.yaml"));
            std::fs::write(&file, text).unwrap();
            file
        })
        .collect()
}

#[test]
fn renderings_pass_strict_schema_validation_for_kubernetes_1_28_and_latest() {
    let Some(helm) = tool("helm") else { return };
    let Some(validate) = tool("kubernetes-validate") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = render_all(&helm, dir.path(), "todo");
    for version in [Some("1.28.0"), None] {
        let mut cmd = Command::new(&validate);
        cmd.arg("--strict");
        if let Some(v) = version {
            cmd.args(["-k", v]);
        }
        let out = output(cmd.args(&files));
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{version:?}:\n{text}");
        // A kind without a schema is reported, not failed, by the tool: refuse it here.
        assert!(!text.contains("Couldn't find schema"), "{text}");
        let passed = text.matches(" passed for resource ").count();
        assert!(passed > 100, "only {passed} resources validated:\n{text}");
        eprintln!("kubernetes {version:?}: {passed} resources valid (strict)");
    }
}

#[test]
fn checkov_finds_no_failed_check_and_every_skip_has_a_reason() {
    let Some(helm) = tool("helm") else { return };
    let Some(checkov) = tool("checkov") else {
        return;
    };
    // Not a dot-directory (tempfile's default name): checkov skips those.
    let dir = tempfile::Builder::new()
        .prefix("todo-render-")
        .tempdir()
        .unwrap();
    // A named namespace, as a real install has (the `default` namespace is itself a finding).
    render_all(&helm, dir.path(), "todo");
    let out = output(
        Command::new(&checkov)
            .arg("-d")
            .arg(dir.path())
            .args([
                "--framework",
                "kubernetes",
                "--skip-download",
                "--compact",
                "-o",
                "json",
            ])
            .env("BC_SKIP_MAPPING", "TRUE"),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    // One report per framework: an object for one, an array for several.
    let reports = match report {
        Value::Array(all) => all,
        one => vec![one],
    };
    let (mut passed, mut failed, mut skipped) = (0, vec![], vec![]);
    for r in &reports {
        passed += r["summary"]["passed"]
            .as_u64()
            .unwrap_or_else(|| panic!("no summary: {r}"));
        assert!(
            r["summary"]["resource_count"].as_u64() > Some(100),
            "scanned too little: {}",
            r["summary"]
        );
        for c in r["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            failed.push(format!(
                "{} {} {}",
                c["check_id"], c["resource"], c["file_path"]
            ));
        }
        skipped.extend(
            r["results"]["skipped_checks"]
                .as_array()
                .into_iter()
                .flatten()
                .cloned(),
        );
    }
    assert!(
        failed.is_empty(),
        "checkov failures:\n{}",
        failed.join("\n")
    );
    for s in &skipped {
        let why = s["check_result"]["suppress_comment"].as_str().unwrap_or("");
        assert!(why.len() > 20, "skip without a reason: {s}");
    }
    // The deliberate exceptions (pull policy Never, no digests for local images, env-var secrets)
    // are annotated in the chart with their reasons, and reported here as skipped.
    assert!(skipped.len() > 50, "{} skipped", skipped.len());
    eprintln!(
        "checkov: {passed} passed, 0 failed, {} skipped with reasons",
        skipped.len()
    );
    assert!(passed > 500, "{passed}");
}

#[test]
fn hadolint_passes_the_dockerfile() {
    let Some(hadolint) = tool("hadolint") else {
        return;
    };
    run_ok(Command::new(hadolint).arg(repo_root().join("Dockerfile")));
}

#[test]
fn the_schema_rejects_bad_values_naming_the_value_and_the_rule() {
    let Some(helm) = tool("helm") else { return };
    let chart = chart_dir();
    // (setting, words the message must contain)
    let cases: [(&str, &[&str]); 13] = [
        (
            "frontend.service.nodePort=80",
            &["nodePort", "minimum", "30,000"],
        ),
        (
            "backend.service.nodePort=40000",
            &["nodePort", "maximum", "32,767"],
        ),
        (
            "backend.replicaCount=0",
            &["replicaCount", "minimum: got 0, want 1"],
        ),
        (
            "mcp.replicaCount=11",
            &["replicaCount", "maximum: got 11, want 10"],
        ),
        (
            "global.secret.data.BETTER_AUTH_SECRET=short",
            &["BETTER_AUTH_SECRET", "minLength: got 5, want 32"],
        ),
        (
            "backend.secret.data.BETTER_AUTH_SECRET=short",
            &["BETTER_AUTH_SECRET", "minLength: got 5, want 32"],
        ),
        (
            "frontend.replicas=2",
            &["additional properties 'replicas' not allowed"],
        ),
        // Migrations belong to the backend: the others have no such setting.
        (
            "frontend.migration.enabled=true",
            &["additional properties 'migration' not allowed"],
        ),
        ("bogus=1", &["additional properties 'bogus' not allowed"]),
        (
            "backend.service.type=LoadBalancer",
            &["/service/type", "ClusterIP"],
        ),
        // Web Push: the subject is a mailto: or https: URL, the key PKCS#8 (not SEC1) PEM.
        (
            "backend.push.subject=ops@example.com",
            &["/push/subject", "does not match pattern"],
        ),
        (
            "backend.push.vapidPrivateKey=-----BEGIN EC PRIVATE KEY-----",
            &["/push/vapidPrivateKey", "does not match pattern"],
        ),
        (
            "backend.push.existingSecret.name=Not_A_Name",
            &["/push/existingSecret/name", "does not match pattern"],
        ),
    ];
    for (set, words) in cases {
        let err = helm_template(&helm, "todo", &chart, &["--set", set])
            .expect_err(&format!("{set} must be refused"));
        assert!(err.contains("schema"), "{set}: {err}");
        for w in words {
            assert!(err.contains(w), "{set}: message lacks {w:?}:\n{err}");
        }
    }
    // And the boundaries are accepted.
    for set in [
        "frontend.service.nodePort=30000",
        "backend.service.nodePort=32767",
        "backend.replicaCount=10",
        "global.secret.data.BETTER_AUTH_SECRET=abcdefghijklmnopqrstuvwxyz012345",
        "backend.push.subject=mailto:ops@example.com",
        "backend.push.subject=https://todo.example.com/contact",
    ] {
        helm_template(&helm, "todo", &chart, &["--set", set])
            .unwrap_or_else(|e| panic!("{set}: {e}"));
    }
}

/// Files under `dir`, by their path relative to it.
fn files_under(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                let text =
                    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                files.insert(rel, text);
            }
        }
    }
    files
}

fn yaml_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The component templates exist once, in the library chart charts/todo-component. Each component
/// chart carries that library packaged (as `helm dependency update` writes it, so the chart installs
/// on its own) and nothing else in its charts/, and its own templates are one include each of the
/// library's; only the backend, which owns the database, adds the migration Job and its NetworkPolicy.
#[test]
fn the_component_templates_exist_once_in_the_library_chart() {
    let library = repo_root().join("charts/todo-component");
    let meta = yaml_file(&library.join("Chart.yaml"));
    assert_eq!(meta["type"], "library");
    let version = meta["version"].as_str().unwrap();
    let templates = files_under(&library.join("templates"));
    let packaged = format!("todo-component-{version}.tgz");
    let revendor = "run `helm dependency update` in each component chart (see charts/todo-component/Chart.yaml)";
    let mut names: Vec<Vec<String>> = vec![];
    for c in SUBCHARTS {
        let chart = chart_dir().join("charts").join(c);
        let dependency = &yaml_file(&chart.join("Chart.yaml"))["dependencies"];
        assert_eq!(
            dependency,
            &json!([{"name": "todo-component", "version": version, "repository": "file://../../../todo-component"}]),
            "charts/{c}/Chart.yaml"
        );
        let vendored: Vec<String> = std::fs::read_dir(chart.join("charts"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            vendored,
            std::slice::from_ref(&packaged),
            "charts/{c}/charts: {revendor}"
        );
        let unpacked = tempfile::tempdir().unwrap();
        run_ok(
            Command::new("tar")
                .arg("-xzf")
                .arg(chart.join("charts").join(&packaged))
                .arg("-C")
                .arg(unpacked.path()),
        );
        let copy = unpacked.path().join("todo-component");
        assert!(
            files_under(&copy.join("templates")) == templates,
            "charts/{c} carries another library than charts/todo-component: {revendor}"
        );
        // Helm rewrites Chart.yaml when it packages a chart: compare what it says.
        assert_eq!(
            yaml_file(&copy.join("Chart.yaml")),
            meta,
            "charts/{c}: {revendor}"
        );

        let own = files_under(&chart.join("templates"));
        for (rel, text) in &own {
            let includes = text.lines().next().is_some_and(|l| {
                l.starts_with("{{- include \"todo-component.") && l.ends_with("\" . }}")
            });
            match (c, rel.as_str()) {
                // The backend's own: its migration Job, and that Job's NetworkPolicy after the shared one.
                ("backend", "migration-job.yaml") => {
                    assert!(
                        !text.contains("define"),
                        "charts/{c}/templates/{rel} defines templates"
                    )
                }
                ("backend", "networkpolicy.yaml") => assert!(
                    includes && !text.contains("define"),
                    "charts/{c}/templates/{rel}: {text}"
                ),
                _ => assert!(
                    includes && text.lines().count() == 1,
                    "charts/{c}/templates/{rel} is more than an include of the library: {text}"
                ),
            }
        }
        names.push(
            own.into_keys()
                .filter(|rel| c != "backend" || rel != "migration-job.yaml")
                .collect(),
        );
    }
    assert!(names.windows(2).all(|w| w[0] == w[1]), "{names:?}");
}

/// Helm checks a chart's values against that chart's own values.schema.json only, so each component
/// has one; they differ where the components do, and only there: the backend's allows `migration`
/// and `push` (the VAPID key and subject).
#[test]
fn the_component_schemas_differ_only_by_the_backends_migration_and_push() {
    let schema = |c: &str| -> Value {
        let path = chart_dir()
            .join("charts")
            .join(c)
            .join("values.schema.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let frontend = schema("frontend");
    assert_eq!(
        schema("mcp"),
        frontend,
        "charts/mcp and charts/frontend schemas"
    );
    let mut backend = schema("backend");
    let props = backend["properties"].as_object_mut().unwrap();
    for own in ["migration", "push"] {
        assert!(
            props.remove(own).is_some(),
            "the backend's schema lacks `{own}`"
        );
    }
    backend["title"] = frontend["title"].clone();
    assert_eq!(
        backend, frontend,
        "charts/backend's schema differs beyond `migration` and `push`"
    );
}

/// `over` merged into `base` key by key, as Helm merges values.
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(base), Value::Object(over)) => {
            for (k, v) in over {
                merge(base.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (base, over) => *base = over.clone(),
    }
}

/// Seed 004 deploys each component as a chart of its own. Each component chart alone, given the
/// values the umbrella passes it (its defaults there, then the example's section), renders exactly
/// the umbrella's objects for that component, but for the checksum that rolls the pods: it also
/// covers the umbrella's globals.
#[test]
fn seed_004_installs_component_by_component() {
    let Some(helm) = tool("helm") else { return };
    let example_file = repo_root().join("deploy/examples/seed-004.yaml");
    let example = yaml_file(&example_file);
    let defaults = yaml_file(&chart_dir().join("values.yaml"));
    let whole = render(
        &helm,
        "ai-todo",
        &["-f", &example_file.display().to_string()],
    );
    let dir = tempfile::tempdir().unwrap();
    let comparable = |mut objects: Vec<Value>| {
        for o in &mut objects {
            if let Some(a) = o.pointer_mut("/spec/template/metadata/annotations") {
                a.as_object_mut().unwrap().remove("checksum/config");
            }
        }
        objects.sort_by_key(|o| (o["kind"].to_string(), o["metadata"]["name"].to_string()));
        objects
    };
    for c in SUBCHARTS {
        let mut values = defaults[c].clone();
        merge(&mut values, &example[c]);
        let file = dir.path().join(format!("{c}.yaml"));
        std::fs::write(&file, serde_yaml::to_string(&values).unwrap()).unwrap();
        let chart = chart_dir().join("charts").join(c);
        let alone = helm_template(
            &helm,
            "ai-todo",
            &chart,
            &["-f", &file.display().to_string()],
        )
        .unwrap_or_else(|e| panic!("charts/{c} alone: {e}"));
        let alone = comparable(parse_yaml_stream(&alone));
        let label = format!("{c}-");
        let from_umbrella = comparable(
            whole
                .iter()
                .filter(|o| {
                    o["metadata"]["labels"]["helm.sh/chart"]
                        .as_str()
                        .is_some_and(|l| l.starts_with(&label))
                })
                .cloned()
                .collect(),
        );
        assert!(
            alone.len() >= 5,
            "charts/{c} alone rendered only {}",
            alone.len()
        );
        assert_eq!(alone, from_umbrella, "charts/{c} alone and in the umbrella");
    }
}

fn env_from_names(container: &Value) -> Vec<String> {
    container["envFrom"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["configMapRef"]["name"]
                .as_str()
                .or(e["secretRef"]["name"].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn defaults_are_locked_down_sized_from_measurements_and_wired_in_cluster() {
    let Some(helm) = tool("helm") else { return };
    let objects = render(&helm, "todo", &["--namespace", "todo"]);
    let config = find(&objects, "ConfigMap", "todo-config").expect("shared ConfigMap");
    assert_eq!(config["data"]["BACKEND_URL"], "http://todo-backend:8000");
    assert_eq!(config["data"]["MCP_SERVER_URL"], "http://todo-mcp:8001");
    let hosts = config["data"]["MCP_ALLOWED_HOSTS"].as_str().unwrap();
    for h in [
        "todo-mcp",
        "todo-mcp.todo",
        "todo-mcp.todo.svc.cluster.local",
    ] {
        assert!(hosts.split(',').any(|x| x == h), "{h} not in {hosts}");
    }
    // In-cluster PostgreSQL by default: a StatefulSet with a volume claim, and the URL to it.
    let pg = find(&objects, "StatefulSet", "todo-postgresql").expect("in-cluster PostgreSQL");
    assert_eq!(
        pg["spec"]["volumeClaimTemplates"][0]["metadata"]["name"],
        "data"
    );
    let secret = find(&objects, "Secret", "todo-secrets").unwrap();
    let url = secret["data"]["DATABASE_URL"].as_str().unwrap();
    let url = String::from_utf8(decode_b64(url)).unwrap();
    assert!(
        url.starts_with("postgres://todo:") && url.ends_with("@todo-postgresql.todo.svc:5432/todo"),
        "{url}"
    );
    assert!(decode_b64(secret["data"]["BETTER_AUTH_SECRET"].as_str().unwrap()).len() >= 32);

    let ports = [
        ("frontend", 3000, "/api/health", "/api/health"),
        ("backend", 8000, "/health", "/ready"),
        ("mcp", 8001, "/health", "/ready"),
    ];
    for (component, port, live, ready) in ports {
        let name = format!("todo-{component}");
        let d = find(&objects, "Deployment", &name).unwrap_or_else(|| panic!("{name}"));
        let spec = &d["spec"];
        assert_eq!(
            spec["strategy"]["rollingUpdate"],
            json!({"maxSurge": 1, "maxUnavailable": 0})
        );
        let pod = &spec["template"]["spec"];
        assert!(spec["template"]["metadata"]["annotations"]["checksum/config"].is_string());
        assert_eq!(pod["automountServiceAccountToken"], false);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        let c = &pod["containers"][0];
        assert_eq!(c["imagePullPolicy"], "Never");
        assert_eq!(c["ports"][0]["containerPort"], port);
        let sc = &c["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], true);
        assert_eq!(sc["allowPrivilegeEscalation"], false);
        assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]));
        assert!(sc["runAsUser"].as_u64().unwrap() >= 10000);
        assert_eq!(c["livenessProbe"]["httpGet"]["path"], live);
        assert_eq!(c["readinessProbe"]["httpGet"]["path"], ready);
        assert_eq!(c["startupProbe"]["httpGet"]["path"], live);
        // Ready in milliseconds: no initial delays, a startup probe polling every second.
        assert!(c["livenessProbe"]["initialDelaySeconds"].is_null());
        assert_eq!(c["startupProbe"]["periodSeconds"], 1);
        assert_eq!(c["resources"]["requests"]["memory"], "48Mi");
        assert_eq!(c["resources"]["limits"]["memory"], "128Mi");
        assert_eq!(
            env_from_names(c),
            vec![
                "todo-config".to_string(),
                format!("{name}-config"),
                "todo-secrets".into()
            ]
        );
        let own = find(&objects, "ConfigMap", &format!("{name}-config")).unwrap();
        assert_eq!(own["data"]["PORT"], port.to_string());
        assert_eq!(own["data"]["SHUTDOWN_DELAY_SECONDS"], "5");
        let drain: u64 = own["data"]["DRAIN_TIMEOUT_SECONDS"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pod["terminationGracePeriodSeconds"].as_u64().unwrap() > 5 + drain);
        // Each component has its PDB, NetworkPolicy and `helm test` pod.
        assert!(find(&objects, "PodDisruptionBudget", &name).is_some());
        assert!(find(&objects, "NetworkPolicy", &name).is_some());
        let test = find(&objects, "Pod", &format!("{name}-test")).unwrap();
        assert_eq!(test["metadata"]["annotations"]["helm.sh/hook"], "test");
    }
    // The MCP server only takes calls from the backend.
    let np = find(&objects, "NetworkPolicy", "todo-mcp").unwrap();
    assert_eq!(
        np["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
            ["app.kubernetes.io/component"],
        "backend"
    );
    // With the in-cluster database the migration runs after install (and before upgrades) and
    // the pods migrate themselves under the lock.
    let job = find(&objects, "Job", "todo-backend-migrate").unwrap();
    assert_eq!(
        job["metadata"]["annotations"]["helm.sh/hook"],
        "post-install,pre-upgrade"
    );
    assert_eq!(
        job["spec"]["template"]["spec"]["containers"][0]["args"],
        json!(["migrate"])
    );
    assert_eq!(config["data"]["AUTO_MIGRATE"], "true");
    assert!(of_kind(&objects, "Namespace").is_empty());
    assert!(of_kind(&objects, "HorizontalPodAutoscaler").is_empty());
}

#[test]
fn an_external_database_turns_off_postgresql_and_migrates_before_install() {
    let Some(helm) = tool("helm") else { return };
    let url = "postgres://u:p@ep-x.neon.tech/todo?sslmode=require";
    let objects = render(
        &helm,
        "todo",
        &["--set", &format!("global.secret.data.DATABASE_URL={url}")],
    );
    assert!(of_kind(&objects, "StatefulSet").is_empty());
    let job = find(&objects, "Job", "todo-backend-migrate").unwrap();
    assert_eq!(
        job["metadata"]["annotations"]["helm.sh/hook"],
        "pre-install,pre-upgrade"
    );
    // The Job cannot read the release's Secret (it does not exist yet): its own hook Secret has the URL.
    let hook_secret = find(&objects, "Secret", "todo-backend-migrate").unwrap();
    assert_eq!(
        hook_secret["metadata"]["annotations"]["helm.sh/hook-weight"],
        "-5"
    );
    assert_eq!(
        decode_b64(hook_secret["data"]["DATABASE_URL"].as_str().unwrap()),
        url.as_bytes()
    );
    assert!(find(&objects, "ConfigMap", "todo-config").unwrap()["data"]["AUTO_MIGRATE"].is_null());

    let objects = render(
        &helm,
        "todo",
        &["--set", "global.secret.existingSecret=neon"],
    );
    assert!(of_kind(&objects, "StatefulSet").is_empty());
    assert!(find(&objects, "Secret", "todo-secrets").is_none());
    let job = find(&objects, "Job", "todo-backend-migrate").unwrap();
    let env = &job["spec"]["template"]["spec"]["containers"][0]["env"];
    let url_env = env
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "DATABASE_URL")
        .unwrap();
    assert_eq!(url_env["valueFrom"]["secretKeyRef"]["name"], "neon");
    let d = find(&objects, "Deployment", "todo-backend").unwrap();
    assert!(
        env_from_names(&d["spec"]["template"]["spec"]["containers"][0])
            .contains(&"neon".to_string())
    );
}

#[test]
fn a_changed_setting_changes_the_pod_template_so_pods_roll() {
    let Some(helm) = tool("helm") else { return };
    let checksum = |args: &[&str]| {
        let objects = render(&helm, "todo", args);
        find(&objects, "Deployment", "todo-backend").unwrap()["spec"]["template"]["metadata"]
            ["annotations"]["checksum/config"]
            .clone()
    };
    let pinned = [
        "--set",
        "global.secret.data.BETTER_AUTH_SECRET=abcdefghijklmnopqrstuvwxyz0123456789",
        "--set",
        "postgresql.password=0123456789abcdef",
    ];
    let base = checksum(&pinned);
    assert_eq!(base, checksum(&pinned), "same values, same checksum");
    let mut changed = pinned.to_vec();
    changed.extend(["--set", "backend.env.LOG_LEVEL=debug"]);
    assert_ne!(base, checksum(&changed));
    let mut changed = pinned.to_vec();
    changed.extend([
        "--set",
        "global.config.data.CORS_ORIGINS=https://todo.example.com",
    ]);
    assert_ne!(base, checksum(&changed));
}

fn decode_b64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = vec![];
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        buf = (buf << 6) | ALPHABET.iter().position(|&a| a == c).expect("base64") as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The seeds. Each table below is copied from the seed document named; the test renders the
// example values file and checks every listed field of the rendered objects.

struct Deploy {
    name: &'static str,
    replicas: u64,
    image: &'static str,
    port: u64,
    /// requests cpu, requests memory, limits cpu, limits memory
    resources: Option<[&'static str; 4]>,
    liveness: &'static str,
    readiness: &'static str,
}

struct Svc {
    name: &'static str,
    kind: &'static str,
    port: u64,
    target: u64,
    node_port: Option<u64>,
}

struct Seed {
    file: &'static str,
    release: &'static str,
    namespace: &'static str,
    deployments: Vec<Deploy>,
    services: Vec<Svc>,
    /// (name or None for "the backend's ConfigMap", keys)
    config_maps: Vec<(&'static str, Vec<&'static str>)>,
    secrets: Vec<(&'static str, Vec<&'static str>)>,
    /// (Deployment, variable, expected Secret key) for secrets read under another name
    secret_env: Vec<(&'static str, &'static str, &'static str)>,
    absent_kinds: Vec<&'static str>,
}

fn seeds() -> Vec<Seed> {
    vec![
        // 000_89ad65e95daf8143: frontend/backend sub-charts, NodePort 80 -> 3000/8000 on 30080/30081.
        Seed {
            file: "seed-000.yaml",
            release: "todo",
            namespace: "default",
            deployments: vec![
                Deploy {
                    name: "todo-frontend",
                    replicas: 1,
                    image: "todo-frontend:local",
                    port: 3000,
                    resources: Some(["100m", "128Mi", "500m", "512Mi"]),
                    liveness: "/api/health",
                    readiness: "/api/health",
                },
                Deploy {
                    name: "todo-backend",
                    replicas: 1,
                    image: "todo-backend:local",
                    port: 8000,
                    resources: Some(["200m", "256Mi", "1000m", "1Gi"]),
                    liveness: "/health",
                    readiness: "/ready",
                },
            ],
            services: vec![
                Svc {
                    name: "todo-frontend",
                    kind: "NodePort",
                    port: 80,
                    target: 3000,
                    node_port: Some(30080),
                },
                Svc {
                    name: "todo-backend",
                    kind: "NodePort",
                    port: 80,
                    target: 8000,
                    node_port: Some(30081),
                },
            ],
            config_maps: vec![("todo-backend-config", vec!["PYTHONUNBUFFERED", "LOG_LEVEL"])],
            secrets: vec![(
                "todo-backend-secrets",
                vec!["DATABASE_URL", "GEMINI_API_KEY", "SECRET_KEY"],
            )],
            secret_env: vec![("todo-backend", "BETTER_AUTH_SECRET", "SECRET_KEY")],
            absent_kinds: vec!["StatefulSet"],
        },
        // 001_26e4bad851a78a1a: 2 replicas each, backend ClusterIP 7860, frontend NodePort 3000 -> 30080.
        Seed {
            file: "seed-001.yaml",
            release: "todo",
            namespace: "default",
            deployments: vec![
                Deploy {
                    name: "todo-backend",
                    replicas: 2,
                    image: "todo-backend:1.0.0",
                    port: 7860,
                    resources: Some(["250m", "512Mi", "500m", "1Gi"]),
                    liveness: "/health",
                    readiness: "/health",
                },
                Deploy {
                    name: "todo-frontend",
                    replicas: 2,
                    image: "todo-frontend:1.0.0",
                    port: 3000,
                    resources: Some(["100m", "256Mi", "250m", "512Mi"]),
                    liveness: "/api/health",
                    readiness: "/api/health",
                },
            ],
            services: vec![
                Svc {
                    name: "todo-backend",
                    kind: "ClusterIP",
                    port: 7860,
                    target: 7860,
                    node_port: None,
                },
                Svc {
                    name: "todo-frontend",
                    kind: "NodePort",
                    port: 3000,
                    target: 3000,
                    node_port: Some(30080),
                },
            ],
            config_maps: vec![(
                "todo-config",
                vec!["BACKEND_URL", "FRONTEND_URL", "LOG_LEVEL"],
            )],
            secrets: vec![(
                "todo-secrets",
                vec!["database-url", "cohere-api-key", "better-auth-secret"],
            )],
            secret_env: vec![
                ("todo-backend", "DATABASE_URL", "database-url"),
                ("todo-backend", "COHERE_API_KEY", "cohere-api-key"),
                ("todo-backend", "BETTER_AUTH_SECRET", "better-auth-secret"),
            ],
            absent_kinds: vec!["StatefulSet"],
        },
        // 002_e197cab04b37d9d2: namespace todo-local, frontend/backend/mcp, images :phase4.
        Seed {
            file: "seed-002.yaml",
            release: "todo-chatbot",
            namespace: "todo-local",
            deployments: vec![
                Deploy {
                    name: "todo-frontend",
                    replicas: 1,
                    image: "todo-frontend:phase4",
                    port: 3000,
                    resources: Some(["100m", "128Mi", "500m", "512Mi"]),
                    liveness: "/api/health",
                    readiness: "/api/health",
                },
                Deploy {
                    name: "todo-backend",
                    replicas: 1,
                    image: "todo-backend:phase4",
                    port: 8000,
                    resources: Some(["100m", "128Mi", "500m", "512Mi"]),
                    liveness: "/health",
                    readiness: "/ready",
                },
                Deploy {
                    name: "todo-mcp",
                    replicas: 1,
                    image: "todo-backend:phase4",
                    port: 8001,
                    resources: Some(["50m", "64Mi", "250m", "256Mi"]),
                    liveness: "/health",
                    readiness: "/ready",
                },
            ],
            services: vec![
                Svc {
                    name: "todo-frontend",
                    kind: "NodePort",
                    port: 3000,
                    target: 3000,
                    node_port: Some(30080),
                },
                Svc {
                    name: "todo-backend",
                    kind: "NodePort",
                    port: 8000,
                    target: 8000,
                    node_port: Some(30081),
                },
                Svc {
                    name: "todo-mcp",
                    kind: "ClusterIP",
                    port: 8001,
                    target: 8001,
                    node_port: None,
                },
            ],
            config_maps: vec![(
                "todo-chatbot-config",
                vec![
                    "CORS_ORIGINS",
                    "BETTER_AUTH_URL",
                    "MCP_SERVER_URL",
                    "MCP_SERVER_PORT",
                    "NEXT_PUBLIC_API_URL",
                    "NEXT_PUBLIC_APP_URL",
                ],
            )],
            secrets: vec![(
                "todo-chatbot-secrets",
                vec![
                    "DATABASE_URL",
                    "BETTER_AUTH_SECRET",
                    "OPENAI_API_KEY",
                    "CHATKIT_WORKFLOW_ID",
                ],
            )],
            secret_env: vec![],
            absent_kinds: vec!["StatefulSet"],
        },
        // 003_037589e4b51b01df: backend NodePort 30800, frontend NodePort 30300.
        Seed {
            file: "seed-003.yaml",
            release: "todo",
            namespace: "default",
            deployments: vec![
                Deploy {
                    name: "todo-backend",
                    replicas: 1,
                    image: "todo-backend:v1.0.0",
                    port: 8000,
                    resources: None,
                    liveness: "/health",
                    readiness: "/ready",
                },
                Deploy {
                    name: "todo-frontend",
                    replicas: 1,
                    image: "todo-frontend:v1.0.0",
                    port: 3000,
                    resources: None,
                    liveness: "/api/health",
                    readiness: "/api/health",
                },
            ],
            services: vec![
                Svc {
                    name: "todo-backend",
                    kind: "NodePort",
                    port: 8000,
                    target: 8000,
                    node_port: Some(30800),
                },
                Svc {
                    name: "todo-frontend",
                    kind: "NodePort",
                    port: 3000,
                    target: 3000,
                    node_port: Some(30300),
                },
            ],
            config_maps: vec![
                ("todo-frontend-config", vec!["BETTER_AUTH_URL"]),
                (
                    "todo-backend-config",
                    vec!["BACKEND_BETTER_AUTH_URL", "FRONTEND_URL"],
                ),
            ],
            secrets: vec![(
                "todo-secrets",
                vec!["DATABASE_URL", "BETTER_AUTH_SECRET", "OPENAI_API_KEY"],
            )],
            secret_env: vec![],
            absent_kinds: vec!["StatefulSet"],
        },
        // 004_bf72ad9a82c9cd7f: -deployment/-service names, /health + /ready, MCP ClusterIP 8001.
        Seed {
            file: "seed-004.yaml",
            release: "ai-todo",
            namespace: "default",
            deployments: vec![
                Deploy {
                    name: "ai-todo-backend-deployment",
                    replicas: 1,
                    image: "todo-backend:v1.0.0",
                    port: 8000,
                    resources: Some(["250m", "256Mi", "500m", "512Mi"]),
                    liveness: "/health",
                    readiness: "/ready",
                },
                Deploy {
                    name: "ai-todo-mcp-deployment",
                    replicas: 1,
                    image: "todo-backend:v1.0.0",
                    port: 8001,
                    resources: Some(["250m", "256Mi", "500m", "512Mi"]),
                    liveness: "/health",
                    readiness: "/ready",
                },
                Deploy {
                    name: "ai-todo-frontend-deployment",
                    replicas: 1,
                    image: "todo-frontend:v1.0.0",
                    port: 3000,
                    resources: Some(["250m", "256Mi", "500m", "512Mi"]),
                    liveness: "/api/health",
                    readiness: "/api/health",
                },
            ],
            services: vec![
                Svc {
                    name: "ai-todo-backend-service",
                    kind: "NodePort",
                    port: 8000,
                    target: 8000,
                    node_port: Some(30081),
                },
                Svc {
                    name: "ai-todo-mcp-service",
                    kind: "ClusterIP",
                    port: 8001,
                    target: 8001,
                    node_port: None,
                },
                Svc {
                    name: "ai-todo-frontend-service",
                    kind: "NodePort",
                    port: 3000,
                    target: 3000,
                    node_port: Some(30080),
                },
            ],
            config_maps: vec![(
                "ai-todo-backend-config",
                vec![
                    "MCP_SERVER_URL",
                    "BETTER_AUTH_ISSUER",
                    "BETTER_AUTH_JWKS_URL",
                    "LOG_LEVEL",
                ],
            )],
            secrets: vec![(
                "ai-todo-backend-secrets",
                vec!["DATABASE_URL", "OPENAI_API_KEY", "BETTER_AUTH_SECRET"],
            )],
            secret_env: vec![("ai-todo-mcp-deployment", "DATABASE_URL", "DATABASE_URL")],
            absent_kinds: vec!["StatefulSet"],
        },
    ]
}

#[test]
fn each_seed_topology_is_reproduced_by_its_example_values() {
    let Some(helm) = tool("helm") else { return };
    for seed in seeds() {
        let file = repo_root().join("deploy/examples").join(seed.file);
        let objects = render(&helm, seed.release, &["-f", &file.display().to_string()]);
        let ctx = seed.file;
        for o in objects.iter().filter(|o| o["kind"] != "Namespace") {
            // Hook and test objects included: everything lands in the seed's namespace.
            assert_eq!(
                o["metadata"]["namespace"], seed.namespace,
                "{ctx}: {}",
                o["metadata"]["name"]
            );
        }
        for want in &seed.deployments {
            let d = find(&objects, "Deployment", want.name)
                .unwrap_or_else(|| panic!("{ctx}: Deployment {}", want.name));
            assert_eq!(d["spec"]["replicas"], want.replicas, "{ctx} {}", want.name);
            let c = &d["spec"]["template"]["spec"]["containers"][0];
            assert_eq!(c["image"], want.image, "{ctx} {}", want.name);
            assert_eq!(c["imagePullPolicy"], "Never", "{ctx} {}", want.name);
            assert_eq!(
                c["ports"][0]["containerPort"], want.port,
                "{ctx} {}",
                want.name
            );
            assert_eq!(
                c["livenessProbe"]["httpGet"]["path"], want.liveness,
                "{ctx} {}",
                want.name
            );
            assert_eq!(
                c["readinessProbe"]["httpGet"]["path"], want.readiness,
                "{ctx} {}",
                want.name
            );
            if let Some([rc, rm, lc, lm]) = want.resources {
                let r = &c["resources"];
                assert_eq!(
                    (
                        &r["requests"]["cpu"],
                        &r["requests"]["memory"],
                        &r["limits"]["cpu"],
                        &r["limits"]["memory"]
                    ),
                    (&json!(rc), &json!(rm), &json!(lc), &json!(lm)),
                    "{ctx} {} resources",
                    want.name
                );
            }
            // The port the binary binds is the container port (PORT in its ConfigMap).
            let cms = env_from_names(c);
            let port_set = cms
                .iter()
                .filter_map(|n| find(&objects, "ConfigMap", n))
                .any(|cm| cm["data"]["PORT"].as_str() == Some(want.port.to_string().as_str()));
            assert!(
                port_set,
                "{ctx} {}: PORT={} in none of {cms:?}",
                want.name, want.port
            );
        }
        for want in &seed.services {
            let s = find(&objects, "Service", want.name)
                .unwrap_or_else(|| panic!("{ctx}: Service {}", want.name));
            assert_eq!(s["spec"]["type"], want.kind, "{ctx} {}", want.name);
            let p = &s["spec"]["ports"][0];
            assert_eq!(p["port"], want.port, "{ctx} {}", want.name);
            assert_eq!(p["targetPort"], want.target, "{ctx} {}", want.name);
            assert_eq!(
                p["nodePort"],
                want.node_port.map_or(Value::Null, |n| json!(n)),
                "{ctx} {}",
                want.name
            );
            // The Service selects the pods of the Deployment that listens on its target port.
            let selector = &s["spec"]["selector"];
            let backing = of_kind(&objects, "Deployment").into_iter().find(|d| {
                let labels = &d["spec"]["template"]["metadata"]["labels"];
                selector
                    .as_object()
                    .unwrap()
                    .iter()
                    .all(|(k, v)| &labels[k] == v)
            });
            let backing =
                backing.unwrap_or_else(|| panic!("{ctx}: {} selects no Deployment", want.name));
            assert_eq!(
                backing["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"],
                want.target,
                "{ctx} {}",
                want.name
            );
        }
        for (name, keys) in &seed.config_maps {
            let cm = find(&objects, "ConfigMap", name)
                .unwrap_or_else(|| panic!("{ctx}: ConfigMap {name}"));
            let have = data_keys(cm);
            for k in keys {
                assert!(
                    have.contains(&k.to_string()),
                    "{ctx}: ConfigMap {name} lacks {k} (has {have:?})"
                );
            }
        }
        for (name, keys) in &seed.secrets {
            let s =
                find(&objects, "Secret", name).unwrap_or_else(|| panic!("{ctx}: Secret {name}"));
            let have = data_keys(s);
            for k in keys {
                assert!(
                    have.contains(&k.to_string()),
                    "{ctx}: Secret {name} lacks {k} (has {have:?})"
                );
            }
        }
        for (deployment, var, key) in &seed.secret_env {
            let d = find(&objects, "Deployment", deployment).unwrap();
            let env = d["spec"]["template"]["spec"]["containers"][0]["env"]
                .as_array()
                .unwrap_or_else(|| panic!("{ctx}: {deployment} has no env"));
            let e = env
                .iter()
                .find(|e| e["name"] == *var)
                .unwrap_or_else(|| panic!("{ctx}: {deployment} lacks {var}"));
            assert_eq!(
                e["valueFrom"]["secretKeyRef"]["key"], *key,
                "{ctx} {deployment} {var}"
            );
        }
        for kind in &seed.absent_kinds {
            assert!(
                of_kind(&objects, kind).is_empty(),
                "{ctx}: unexpected {kind}"
            );
        }
    }
}

/// Webhooks: nothing new by default; `webhooks.allowPrivate` reaches the config, and
/// `webhooks.egress.enabled` limits the backend's egress to DNS, its namespace and HTTP(S) to public
/// addresses (never the cluster's or other private ranges), plus `extra` rules. Web Push services
/// (FCM, Mozilla's, Apple's) are public HTTPS endpoints: the same rule lets them through.
#[test]
fn webhook_egress_and_private_targets_are_values() {
    let Some(helm) = tool("helm") else { return };
    let objects = render(&helm, "todo", &[]);
    assert!(find(&objects, "NetworkPolicy", "todo-backend-egress").is_none());
    let config = find(&objects, "ConfigMap", "todo-config").unwrap();
    assert!(config["data"]["WEBHOOK_ALLOW_PRIVATE"].is_null());

    let extra = r#"webhooks.egress.extra[0].ports[0].port=5432"#;
    let objects = render(
        &helm,
        "todo",
        &[
            "--set",
            "webhooks.allowPrivate=true",
            "--set",
            "webhooks.egress.enabled=true",
            "--set",
            extra,
        ],
    );
    let config = find(&objects, "ConfigMap", "todo-config").unwrap();
    assert_eq!(config["data"]["WEBHOOK_ALLOW_PRIVATE"], "true");
    let np = find(&objects, "NetworkPolicy", "todo-backend-egress").unwrap();
    assert_eq!(np["spec"]["policyTypes"], json!(["Egress"]));
    assert_eq!(
        np["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"],
        "backend"
    );
    let rules = np["spec"]["egress"].as_array().unwrap();
    let web = &rules[2];
    assert_eq!(
        web["ports"],
        json!([{"port": 443, "protocol": "TCP"}, {"port": 80, "protocol": "TCP"}])
    );
    // Any public address, IPv4 and IPv6: webhook receivers and push services alike.
    assert_eq!(web["to"][0]["ipBlock"]["cidr"], "0.0.0.0/0");
    assert_eq!(web["to"][1]["ipBlock"]["cidr"], "::/0");
    let except = &web["to"][0]["ipBlock"]["except"];
    for private in [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
    ] {
        assert!(
            except.as_array().unwrap().contains(&json!(private)),
            "{private}"
        );
    }
    assert_eq!(rules[3]["ports"][0]["port"], 5432);
}

/// The backend container's `VAPID_PRIVATE_KEY` variable, if it has one.
fn vapid_env(objects: &[Value], deployment: &str) -> Option<Value> {
    let d = find(objects, "Deployment", deployment).unwrap_or_else(|| panic!("{deployment}"));
    d["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == "VAPID_PRIVATE_KEY")
        .cloned()
}

fn secret_key_ref(env: &str, name: &str, key: &str) -> Value {
    json!({"name": env, "valueFrom": {"secretKeyRef": {"name": name, "key": key}}})
}

/// Web Push needs nothing by default (the backend keeps a generated key in the database). A VAPID key
/// given inline goes into a Secret only the backend reads (never a ConfigMap, nor the Secret every
/// component loads), or is read from an existing Secret by name and key; the subject is config. The
/// same in the umbrella and in the backend chart installed alone.
#[test]
fn the_vapid_key_comes_from_a_secret_and_the_subject_is_config() {
    let Some(helm) = tool("helm") else { return };
    let objects = render(&helm, "todo", &[]);
    assert_eq!(vapid_env(&objects, "todo-backend"), None);
    assert!(find(&objects, "Secret", "todo-backend-vapid").is_none());
    let text = serde_json::to_string(&objects).unwrap();
    assert!(!text.contains("VAPID"), "nothing about VAPID by default");

    let pem = std::fs::read_to_string(vapid_pem()).unwrap();
    let key_file = format!("backend.push.vapidPrivateKey={}", vapid_pem().display());
    let inline = [
        "--namespace",
        "todo",
        "--set-file",
        &key_file,
        "--set",
        "backend.push.subject=mailto:ops@example.com",
    ];
    let objects = render(&helm, "todo", &inline);
    let secret = find(&objects, "Secret", "todo-backend-vapid").expect("the key's Secret");
    assert_eq!(secret["metadata"]["namespace"], "todo");
    assert_eq!(data_keys(secret), ["VAPID_PRIVATE_KEY"]);
    assert_eq!(
        decode_b64(secret["data"]["VAPID_PRIVATE_KEY"].as_str().unwrap()),
        pem.as_bytes()
    );
    assert_eq!(
        vapid_env(&objects, "todo-backend"),
        Some(secret_key_ref(
            "VAPID_PRIVATE_KEY",
            "todo-backend-vapid",
            "VAPID_PRIVATE_KEY"
        ))
    );
    for other in ["todo-frontend", "todo-mcp"] {
        assert_eq!(vapid_env(&objects, other), None, "{other}");
    }
    let shared = find(&objects, "Secret", "todo-secrets").unwrap();
    assert!(!data_keys(shared).contains(&"VAPID_PRIVATE_KEY".to_string()));
    let body = pem.lines().nth(1).unwrap();
    for cm in of_kind(&objects, "ConfigMap") {
        let text = cm.to_string();
        assert!(
            !text.contains("VAPID_PRIVATE_KEY") && !text.contains(body),
            "the key in a ConfigMap: {text}"
        );
    }
    let config = find(&objects, "ConfigMap", "todo-backend-config").unwrap();
    assert_eq!(config["data"]["VAPID_SUBJECT"], "mailto:ops@example.com");
    // Another key rolls the backend's pods.
    let checksum = |objects: &[Value]| {
        find(objects, "Deployment", "todo-backend").unwrap()["spec"]["template"]["metadata"]
            ["annotations"]["checksum/config"]
            .clone()
    };
    let pinned = |key: &Path| {
        let file = format!("backend.push.vapidPrivateKey={}", key.display());
        checksum(&render(
            &helm,
            "todo",
            &[
                "--set-file",
                &file,
                "--set",
                "global.secret.data.BETTER_AUTH_SECRET=abcdefghijklmnopqrstuvwxyz0123456789",
                "--set",
                "postgresql.password=0123456789abcdef",
            ],
        ))
    };
    let other_key = repo_root().join("crates/todo/tests/fixtures/rs256.pem");
    assert_eq!(pinned(&vapid_pem()), pinned(&vapid_pem()));
    assert_ne!(pinned(&vapid_pem()), pinned(&other_key));

    // An existing Secret, with the backend chart on its own (as seed 004 installs it).
    let backend = chart_dir().join("charts/backend");
    let alone = |args: &[&str]| {
        parse_yaml_stream(
            &helm_template(&helm, "todo", &backend, args).unwrap_or_else(|e| panic!("{e}")),
        )
    };
    let objects = alone(&[
        "--set",
        "push.existingSecret.name=todo-vapid",
        "--set",
        "push.existingSecret.key=private-key",
        "--set",
        "push.subject=https://todo.example.com",
    ]);
    assert_eq!(
        vapid_env(&objects, "todo-backend"),
        Some(secret_key_ref(
            "VAPID_PRIVATE_KEY",
            "todo-vapid",
            "private-key"
        ))
    );
    assert!(
        of_kind(&objects, "Secret").is_empty(),
        "the Secret exists already"
    );
    let config = find(&objects, "ConfigMap", "todo-backend-config").unwrap();
    assert_eq!(config["data"]["VAPID_SUBJECT"], "https://todo.example.com");
    // The key's name defaults to the variable's.
    let objects = alone(&["--set", "push.existingSecret.name=todo-vapid"]);
    assert_eq!(
        vapid_env(&objects, "todo-backend"),
        Some(secret_key_ref(
            "VAPID_PRIVATE_KEY",
            "todo-vapid",
            "VAPID_PRIVATE_KEY"
        ))
    );
    // Inline, alone: the chart's own Secret.
    let file = format!("push.vapidPrivateKey={}", vapid_pem().display());
    let objects = alone(&["--set-file", &file]);
    assert!(find(&objects, "Secret", "todo-backend-vapid").is_some());

    // Both at once is refused, naming both.
    let err = helm_template(
        &helm,
        "todo",
        &chart_dir(),
        &[
            "--set-file",
            &key_file,
            "--set",
            "backend.push.existingSecret.name=todo-vapid",
        ],
    )
    .expect_err("a key inline and an existing Secret");
    assert!(
        err.contains("vapidPrivateKey") && err.contains("existingSecret.name"),
        "{err}"
    );
}

/// The OAuth issuer is the web app's ingress host (https with TLS), and the MCP resource the MCP
/// server's own ingress when it has one; without an ingress OAuth stays off.
#[test]
fn the_oauth_issuer_is_the_ingress_host() {
    let Some(helm) = tool("helm") else { return };
    let objects = render(
        &helm,
        "todo",
        &[
            "--namespace",
            "todo",
            "--set",
            "frontend.ingress.enabled=true",
            "--set",
            "frontend.ingress.host=todo.example.com",
            "--set",
            "frontend.ingress.tls[0].hosts[0]=todo.example.com",
            "--set",
            "mcp.ingress.enabled=true",
            "--set",
            "mcp.ingress.host=mcp.example.com",
        ],
    );
    let config = find(&objects, "ConfigMap", "todo-config").unwrap();
    assert_eq!(config["data"]["PUBLIC_URL"], "https://todo.example.com");
    assert_eq!(
        config["data"]["MCP_RESOURCE_URL"],
        "http://mcp.example.com/mcp"
    );
    let plain = render(&helm, "todo", &["--namespace", "todo"]);
    let config = find(&plain, "ConfigMap", "todo-config").unwrap();
    assert!(config["data"].get("PUBLIC_URL").is_none());
}
