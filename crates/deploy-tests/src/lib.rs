//! Helpers for the deployment tests: finding the external tools (helm, kubernetes-validate, checkov,
//! hadolint, podman, shellcheck), running them, and reading rendered manifests.
//!
//! A missing tool skips its test with a warning on a developer machine, and fails it under `CI=true`
//! (as a missing PostgreSQL does in `todo-testkit`): `.ci/run` installs every one of them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf()
}

pub fn chart_dir() -> PathBuf {
    repo_root().join("charts/todo-app")
}

/// Where `deploy/install-tools.sh` puts what Debian does not package.
pub const TOOLS_BIN: &str = "/opt/tools/bin";

/// Where a tool lives: on PATH, or under `/opt/tools` as `deploy/install-tools.sh` installs it.
/// `None` (outside CI only) when it is missing.
pub fn tool(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.push(PathBuf::from(TOOLS_BIN));
    dirs.push(PathBuf::from("/opt/tools/venv-k8sval/bin"));
    dirs.push(PathBuf::from("/opt/tools/venv-checkov/bin"));
    if let Some(found) = dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()) {
        return Some(found);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but `{name}` is missing: run deploy/install-tools.sh (as .ci/run does)"
    );
    eprintln!(
        "warning: `{name}` not found; this test is skipped (deploy/install-tools.sh installs it)"
    );
    None
}

/// Runs a command and returns its output, whatever the exit status.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs a command that must succeed; returns its standard output.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = output(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// All documents of a multi-document YAML stream, as JSON values (empty documents dropped).
pub fn parse_yaml_stream(text: &str) -> Vec<Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).expect("valid YAML"))
        .filter(|v| !v.is_null())
        .collect()
}

/// `helm template RELEASE CHART ARGS…`: the manifests, or the error text when rendering fails.
pub fn helm_template(
    helm: &Path,
    release: &str,
    chart: &Path,
    args: &[&str],
) -> Result<String, String> {
    let out = output(
        Command::new(helm)
            .arg("template")
            .arg(release)
            .arg(chart)
            .args(args),
    );
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Objects of one kind, by name.
pub fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

pub fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

/// The keys of a ConfigMap's or Secret's `data`, sorted.
pub fn data_keys(object: &Value) -> Vec<String> {
    let mut keys: Vec<String> = object["data"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}
