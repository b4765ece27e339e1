//! deploy/minikube.sh, driven through stand-in `minikube`, `kubectl`, `helm` and `docker` commands
//! (no cluster is reachable where the suite runs). The stand-ins replay what the real tools print for
//! the queries the script makes (pod lists in the script's jsonpath format, image IDs, events), and
//! log every call, so the tests check both what the script reports and what it asks the tools to do.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use todo_deploy_tests::{output, repo_root, tool};

const STANDINS: &[(&str, &str)] = &[
    (
        "minikube",
        r#"#!/usr/bin/env bash
echo "minikube $*" >> "$STANDIN/log"
case "$*" in
  *"status"*) cat "$STANDIN/cluster" ;;
  *"start"*) echo Running > "$STANDIN/cluster" ;;
  *"docker-env"*) echo 'export DOCKER_HOST="tcp://192.168.49.2:2376"' ;;
  *"image ls"*) cat "$STANDIN/images" 2>/dev/null ;;
  *"image load"*) echo "docker.io/library/${*: -1}" >> "$STANDIN/images" ;;
  *" ip"*) echo 192.168.49.2 ;;
esac
"#,
    ),
    (
        "docker",
        r#"#!/usr/bin/env bash
echo "docker $* DOCKER_HOST=${DOCKER_HOST:-}" >> "$STANDIN/log"
case "$1" in
  build) [ ! -f "$STANDIN/build-fails" ] ;;
  image) name=${*: -1}; name=${name%%:*}; echo "sha256:$(cat "$STANDIN/id-$name")" ;;
  tag) [ "${IMAGE_LOAD:-docker-env}" = load ] || echo "docker.io/library/$3" >> "$STANDIN/images" ;;
esac
"#,
    ),
    (
        "helm",
        r#"#!/usr/bin/env bash
echo "helm $*" >> "$STANDIN/log"
case "$1" in
  upgrade) touch "$STANDIN/installed" ;;
  status) [ -f "$STANDIN/installed" ] ;;
  uninstall) rm -f "$STANDIN/installed" ;;
esac
"#,
    ),
    (
        "kubectl",
        r#"#!/usr/bin/env bash
echo "kubectl $*" >> "$STANDIN/log"
component=$(grep -o 'component=[a-z]*' <<<"$*" | head -1 | cut -d= -f2)
case "$2" in
  pods)
    # Replays the component's recorded answers in order; the last one repeats.
    n=$(cat "$STANDIN/calls-$component" 2>/dev/null || echo 0)
    echo $((n + 1)) > "$STANDIN/calls-$component"
    awk -v want="$n" 'BEGIN{RS="---\n"} NR-1==want {printf "%s", $0; found=1} END{}' "$STANDIN/pods-$component" > "$STANDIN/answer"
    if [ ! -s "$STANDIN/answer" ]; then awk 'BEGIN{RS="---\n"} {last=$0} END{printf "%s", last}' "$STANDIN/pods-$component" > "$STANDIN/answer"; fi
    grep -v '^EMPTY$' "$STANDIN/answer" || true ;;
  deployments,statefulsets) [ -f "$STANDIN/pods-$component" ] && echo "deployment.apps/todo-$component" ;;
  events) cat "$STANDIN/events" 2>/dev/null ;;
  services) printf 'todo-frontend|NodePort|30080\ntodo-backend|NodePort|30081\ntodo-mcp|ClusterIP|\n' ;;
esac
"#,
    ),
];

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        for (name, script) in STANDINS {
            let p = bin.join(name);
            std::fs::write(&p, script).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let sb = Sandbox { dir };
        sb.write("cluster", "Stopped\n");
        sb.write(
            "id-todo-backend",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        );
        sb.write(
            "id-todo-frontend",
            "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
        );
        sb
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).unwrap();
    }

    /// Recorded `kubectl get pods` answers for one component, one per call.
    fn pods(&self, component: &str, answers: &[&str]) {
        let text: Vec<String> = answers
            .iter()
            .map(|a| {
                if a.is_empty() {
                    "EMPTY\n".to_string()
                } else {
                    format!("{a}\n")
                }
            })
            .collect();
        self.write(&format!("pods-{component}"), &text.join("---\n"));
        let _ = std::fs::remove_file(self.path().join(format!("calls-{component}")));
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> (Output, String) {
        let path = format!(
            "{}:{}",
            self.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("deploy/minikube.sh"))
            .args(args)
            .env("PATH", path)
            .env("STANDIN", self.path())
            .env("POLL_SECONDS", "0.05")
            .env("WAIT_TIMEOUT_SECONDS", "20")
            .env_remove("DOCKER_HOST");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = output(&mut cmd);
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out, text)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.path().join("log")).unwrap_or_default()
    }
}

const READY: &str = "|Running|true|||PodScheduled||0";

fn pod(name: &str, rest: &str) -> String {
    format!("{name}{rest}")
}

/// The states printed for one component, in order.
fn states_of(text: &str, component: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(component))
        .filter(|rest| rest.starts_with(' '))
        .map(|rest| rest.trim().to_string())
        .collect()
}

fn happy(sb: &Sandbox) {
    let be = "todo-backend-7d9f";
    sb.pods(
        "backend",
        &[
            "",
            &pod(be, "|Pending|false|ContainerCreating||PodScheduled||0"),
            &pod(be, "|Running|false|||PodScheduled||0"),
            &pod(be, READY),
        ],
    );
    sb.pods(
        "frontend",
        &[
            &pod("todo-frontend-1", "|Pending|||||0"),
            &pod("todo-frontend-1", READY),
        ],
    );
    sb.pods("mcp", &[&pod("todo-mcp-1", READY)]);
    sb.pods(
        "database",
        &[
            &pod("todo-postgresql-0", "|Running|false|||PodScheduled||0"),
            &pod("todo-postgresql-0", READY),
        ],
    );
}

#[test]
fn up_builds_tags_by_content_installs_and_reports_each_state_until_ready() {
    let sb = Sandbox::new();
    happy(&sb);
    let (out, text) = sb.run(&["up"], &[]);
    assert!(out.status.success(), "{text}");
    assert_eq!(
        states_of(&text, "backend"),
        [
            "Building",
            "Loading",
            "Installing",
            "Pending",
            "Running",
            "Ready"
        ],
        "{text}"
    );
    assert_eq!(
        states_of(&text, "frontend"),
        ["Building", "Loading", "Installing", "Pending", "Ready"],
        "{text}"
    );
    assert_eq!(states_of(&text, "database"), ["Running", "Ready"], "{text}");
    assert!(
        text.contains("starting minikube profile minikube"),
        "{text}"
    );
    assert!(
        text.contains("url       todo-frontend: http://192.168.49.2:30080"),
        "{text}"
    );
    assert!(
        text.contains("url       todo-backend: http://192.168.49.2:30081"),
        "{text}"
    );

    let log = sb.log();
    // Images built inside Minikube's Docker, one per Dockerfile target, then tagged by image ID.
    assert!(
        log.contains("docker build --quiet --target backend -t todo-backend:dev"),
        "{log}"
    );
    assert!(
        log.contains("docker build --quiet --target frontend -t todo-frontend:dev"),
        "{log}"
    );
    assert!(log.contains("DOCKER_HOST=tcp://192.168.49.2:2376"), "{log}");
    assert!(
        log.contains("docker tag todo-backend:dev todo-backend:0123456789ab"),
        "{log}"
    );
    let helm = log
        .lines()
        .find(|l| l.starts_with("helm upgrade --install todo"))
        .expect(&log);
    for want in [
        "--namespace todo",
        "--set frontend.image.tag=fedcba987654",
        "--set backend.image.tag=0123456789ab",
        "--set mcp.image.tag=0123456789ab",
    ] {
        assert!(helm.contains(want), "{want} not in {helm}");
    }
}

#[test]
fn a_rebuild_with_new_content_is_deployed_under_a_new_tag() {
    let sb = Sandbox::new();
    happy(&sb);
    let (out, text) = sb.run(&["up"], &[]);
    assert!(out.status.success(), "{text}");
    // Same cluster, changed source: a new image ID, so a new tag, so the pods roll.
    sb.write(
        "id-todo-backend",
        "aaaaaaaaaaaa0123456789abcdef0123456789abcdef0123456789abcdef0000",
    );
    happy(&sb);
    let (out, text) = sb.run(&["up"], &[]);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("reusing minikube profile minikube"), "{text}");
    let log = sb.log();
    let helms: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("helm upgrade"))
        .collect();
    assert_eq!(helms.len(), 2);
    assert!(helms[0].contains("backend.image.tag=0123456789ab"));
    assert!(
        helms[1].contains("backend.image.tag=aaaaaaaaaaaa"),
        "{}",
        helms[1]
    );
    assert!(
        helms[1].contains("frontend.image.tag=fedcba987654"),
        "unchanged image keeps its tag"
    );
}

#[test]
fn image_load_mode_loads_images_built_on_the_host() {
    let sb = Sandbox::new();
    happy(&sb);
    let (out, text) = sb.run(&["up"], &[("IMAGE_LOAD", "load")]);
    assert!(out.status.success(), "{text}");
    let log = sb.log();
    assert!(!log.contains("docker-env"), "{log}");
    assert!(
        log.contains("minikube -p minikube image load todo-backend:0123456789ab"),
        "{log}"
    );
    assert!(
        log.contains("minikube -p minikube image load todo-frontend:fedcba987654"),
        "{log}"
    );
}

/// Runs `up` with the backend's pods answering `backend`; returns the output, which must fail.
fn failing(backend: &[&str], env: &[(&str, &str)]) -> String {
    let sb = Sandbox::new();
    happy(&sb);
    sb.pods("backend", backend);
    sb.write(
        "events",
        "Readiness probe failed: HTTP probe failed with statuscode: 503\n",
    );
    let (out, text) = sb.run(&["up"], env);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("did not become ready"), "{text}");
    text
}

#[test]
fn failures_are_reported_with_their_reason() {
    let be = "todo-backend-7d9f";
    let text = failing(
        &[&pod(be, "|Pending|false|ErrImageNeverPull|Container image \"todo-backend:0123456789ab\" is not present with pull policy of Never|PodScheduled||0")],
        &[],
    );
    let last = states_of(&text, "backend").pop().unwrap();
    assert!(
        last.starts_with(
            "Failed (image pull: todo-backend-7d9f ErrImageNeverPull: Container image"
        ),
        "{text}"
    );

    let text = failing(
        &[&pod(be, "|Running|false|||PodScheduled||0"), &pod(be, "|Running|false|CrashLoopBackOff|back-off 10s restarting failed container|PodScheduled||4")],
        &[],
    );
    let last = states_of(&text, "backend").pop().unwrap();
    assert!(
        last.starts_with("Failed (crash loop: todo-backend-7d9f restarted 4 times"),
        "{text}"
    );

    let text = failing(
        &[&pod(
            be,
            "|Pending||||Unschedulable|0/1 nodes are available: 1 Insufficient memory.|",
        )],
        &[],
    );
    let last = states_of(&text, "backend").pop().unwrap();
    assert_eq!(last, "Failed (unschedulable: todo-backend-7d9f: 0/1 nodes are available: 1 Insufficient memory.)", "{text}");

    // Running but never ready: a failing probe once the grace period is over, with the probe's message.
    let text = failing(
        &[&pod(be, "|Running|false|||PodScheduled||0")],
        &[("PROBE_GRACE_SECONDS", "1")],
    );
    let states = states_of(&text, "backend");
    assert_eq!(states[states.len() - 2], "Running", "{text}");
    assert_eq!(
        states.last().unwrap(),
        "Failed (failing probe: todo-backend-7d9f not ready for 1s: Readiness probe failed: HTTP probe failed with statuscode: 503)",
        "{text}"
    );
}

#[test]
fn status_and_down() {
    let sb = Sandbox::new();
    let (out, text) = sb.run(&["status"], &[]);
    assert!(!out.status.success(), "nothing installed: {text}");
    assert!(
        text.contains("cluster   Stopped") && text.contains("not installed"),
        "{text}"
    );

    happy(&sb);
    assert!(sb.run(&["up"], &[]).0.status.success());
    for c in ["backend", "frontend", "mcp", "database"] {
        sb.pods(c, &[&pod(&format!("todo-{c}-1"), READY)]);
    }
    let (out, text) = sb.run(&["status"], &[]);
    assert!(out.status.success(), "{text}");
    for c in ["frontend", "backend", "mcp", "database"] {
        assert_eq!(states_of(&text, c), ["Ready"], "{text}");
    }
    assert!(text.contains("http://192.168.49.2:30080"), "{text}");

    let (out, text) = sb.run(&["down"], &[]);
    assert!(
        out.status.success() && text.contains("uninstalled"),
        "{text}"
    );
    assert!(sb.log().contains("helm uninstall -n todo todo"));
    assert!(
        !sb.log().contains("delete namespace"),
        "a plain down keeps the data"
    );
    let (out, _) = sb.run(&["down", "--purge"], &[]);
    assert!(out.status.success());
    assert!(sb.log().contains("kubectl delete namespace todo"));

    let (out, text) = sb.run(&["sideways"], &[]);
    assert_eq!(out.status.code(), Some(2), "{text}");
}

#[test]
fn a_failed_build_stops_before_installing() {
    let sb = Sandbox::new();
    happy(&sb);
    sb.write("build-fails", "");
    let (out, text) = sb.run(&["up"], &[]);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("building todo-backend failed"), "{text}");
    assert!(!sb.log().contains("helm upgrade"));
}

#[test]
fn the_shell_scripts_are_shellcheck_clean() {
    let Some(shellcheck) = tool("shellcheck") else {
        return;
    };
    let root = repo_root();
    let scripts: Vec<PathBuf> = ["deploy/minikube.sh", "deploy/install-tools.sh", ".ci/run"]
        .iter()
        .map(|s| root.join(s))
        .collect();
    let out = output(Command::new(shellcheck).args(&scripts));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
