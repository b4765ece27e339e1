#!/usr/bin/env bash
# Deploy todo to a local Minikube cluster:  deploy/minikube.sh up | status | down [--purge]
#
#   up      start (or reuse) the cluster, build both images inside Minikube's Docker, tag them by
#           content (the image ID), install or upgrade the Helm release, follow every component
#           until it is Ready (or Failed, with the reason), then print the URLs.
#   status  the cluster, the release, each component's state and the URLs.
#   down    uninstall the release (--purge also deletes the database volume and the namespace).
#
# Lifecycle states printed per component: Building -> Loading -> Installing -> Pending -> Running
# -> Ready, or Failed (image pull | crash loop | failing probe | unschedulable) with the cause.
#
# Settings (environment): RELEASE=todo NAMESPACE=todo PROFILE=minikube (minikube profile)
#   VALUES="file.yaml …" (extra values files)  WAIT_TIMEOUT_SECONDS=300  PROBE_GRACE_SECONDS=60
#   POLL_SECONDS=2  MINIKUBE_CPUS=2  MINIKUBE_MEMORY=4096  IMAGE_LOAD=docker-env|load
#   (load: build with the host's Docker, then `minikube image load`).
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RELEASE=${RELEASE:-todo}
NAMESPACE=${NAMESPACE:-todo}
PROFILE=${PROFILE:-minikube}
VALUES=${VALUES:-}
WAIT_TIMEOUT_SECONDS=${WAIT_TIMEOUT_SECONDS:-300}
PROBE_GRACE_SECONDS=${PROBE_GRACE_SECONDS:-60}
POLL_SECONDS=${POLL_SECONDS:-2}
IMAGE_LOAD=${IMAGE_LOAD:-docker-env}
COMPONENTS=(frontend backend mcp database)

say() { printf '%s\n' "$*"; }
state() { printf '%-9s %s\n' "$1" "$2"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

need() {
  local missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  [ "${#missing[@]}" -eq 0 ] || die "missing ${missing[*]} (see README, Deploy to Minikube)"
}

cluster_up() {
  if [ "$(minikube status -p "$PROFILE" --format '{{.Host}}' 2>/dev/null || true)" = "Running" ]; then
    say "cluster   reusing minikube profile $PROFILE"
  else
    say "cluster   starting minikube profile $PROFILE"
    minikube start -p "$PROFILE" --cpus "${MINIKUBE_CPUS:-2}" --memory "${MINIKUBE_MEMORY:-4096}"
  fi
}

# Builds one image and prints its content tag: the first 12 hex digits of the image ID, which
# changes exactly when the image's content does, so a rebuild is always what the pods run.
build_image() { # target name
  docker build --quiet --target "$1" -t "$2:dev" "$ROOT" >/dev/null || return 1
  local id
  id=$(docker image inspect --format '{{.Id}}' "$2:dev")
  id=${id#sha256:}
  docker tag "$2:dev" "$2:${id:0:12}"
  printf '%s' "${id:0:12}"
}

build_and_load() {
  for c in frontend backend mcp; do state "$c" "Building"; done
  if [ "$IMAGE_LOAD" = "docker-env" ]; then
    # Build straight into the cluster's Docker: nothing to copy afterwards.
    eval "$(minikube -p "$PROFILE" docker-env --shell bash)"
  fi
  BACKEND_TAG=$(build_image backend todo-backend) || die "building todo-backend failed"
  FRONTEND_TAG=$(build_image frontend todo-frontend) || die "building todo-frontend failed"
  for c in frontend backend mcp; do state "$c" "Loading"; done
  if [ "$IMAGE_LOAD" = "load" ]; then
    minikube -p "$PROFILE" image load "todo-backend:$BACKEND_TAG"
    minikube -p "$PROFILE" image load "todo-frontend:$FRONTEND_TAG"
  fi
  local images
  images=$(minikube -p "$PROFILE" image ls)
  for img in "todo-backend:$BACKEND_TAG" "todo-frontend:$FRONTEND_TAG"; do
    grep -q "$img" <<<"$images" || die "$img is not in the cluster after loading"
  done
  say "images    todo-backend:$BACKEND_TAG todo-frontend:$FRONTEND_TAG"
}

install() {
  for c in frontend backend mcp; do state "$c" "Installing"; done
  local args=(upgrade --install "$RELEASE" "$ROOT/charts/todo-app" --namespace "$NAMESPACE" --create-namespace
    --set "frontend.image.tag=$FRONTEND_TAG" --set "backend.image.tag=$BACKEND_TAG" --set "mcp.image.tag=$BACKEND_TAG"
    --timeout "${WAIT_TIMEOUT_SECONDS}s")
  local f
  for f in $VALUES; do args+=(-f "$f"); done
  helm "${args[@]}" >/dev/null || die "helm upgrade --install failed (helm status -n $NAMESPACE $RELEASE)"
}

# One line per pod of a component: phase, ready, waiting reason, waiting message, scheduling reason,
# scheduling message, restarts.
pods_of() {
  kubectl get pods -n "$NAMESPACE" -l "app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/component=$1" \
    -o jsonpath='{range .items[*]}{.metadata.name}{"|"}{.status.phase}{"|"}{.status.containerStatuses[0].ready}{"|"}{.status.containerStatuses[0].state.waiting.reason}{"|"}{.status.containerStatuses[0].state.waiting.message}{"|"}{.status.conditions[?(@.type=="PodScheduled")].reason}{"|"}{.status.conditions[?(@.type=="PodScheduled")].message}{"|"}{.status.containerStatuses[0].restartCount}{"\n"}{end}'
}

# Whether the release runs this component at all (a Deployment or StatefulSet exists).
deployed() {
  [ -n "$(kubectl get deployments,statefulsets -n "$NAMESPACE" -l "app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/component=$1" -o name 2>/dev/null)" ]
}

# The newest readiness/liveness failure reported for a pod.
probe_failure() {
  kubectl get events -n "$NAMESPACE" --field-selector "involvedObject.name=$1,reason=Unhealthy" \
    -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' 2>/dev/null | tail -n 1
}

# Sets STATE for a component from its pods: Pending | Running | Ready | Failed (reason: detail).
# Not run in a subshell: it remembers since when each pod has been running unready.
component_state() {
  local c=$1 lines name phase ready wreason wmsg sreason smsg restarts all_ready=1 any_running=0 n=0
  lines=$(pods_of "$c")
  [ -n "$lines" ] || { STATE="Pending"; return; }
  while IFS='|' read -r name phase ready wreason wmsg sreason smsg restarts; do
    [ -n "$name" ] || continue
    n=$((n + 1))
    case "$wreason" in
      ErrImagePull|ImagePullBackOff|ErrImageNeverPull|InvalidImageName)
        STATE="Failed (image pull: $name $wreason${wmsg:+: $wmsg})"; return ;;
      CrashLoopBackOff)
        STATE="Failed (crash loop: $name restarted ${restarts:-?} times; kubectl logs -n $NAMESPACE $name --previous)"; return ;;
      CreateContainerConfigError)
        STATE="Failed (configuration: $name${wmsg:+: $wmsg})"; return ;;
    esac
    if [ "$sreason" = "Unschedulable" ]; then
      STATE="Failed (unschedulable: $name${smsg:+: $smsg})"; return
    fi
    if [ "$phase" = "Running" ]; then any_running=1; fi
    if [ "$ready" != "true" ]; then
      all_ready=0
      if [ "$phase" = "Running" ]; then
        local since_var="UNREADY_SINCE_${name//[^a-zA-Z0-9]/_}"
        if [ -z "${!since_var:-}" ]; then printf -v "$since_var" '%s' "$SECONDS"; fi
        if [ $((SECONDS - ${!since_var})) -ge "$PROBE_GRACE_SECONDS" ]; then
          local why
          why=$(probe_failure "$name")
          STATE="Failed (failing probe: $name not ready for ${PROBE_GRACE_SECONDS}s${why:+: $why})"; return
        fi
      fi
    fi
  done <<<"$lines"
  if [ "$n" -gt 0 ] && [ "$all_ready" -eq 1 ]; then STATE="Ready"
  elif [ "$any_running" -eq 1 ]; then STATE="Running"
  else STATE="Pending"; fi
}

# Follows every deployed component until all are Ready; stops at the first Failed.
follow() {
  local deadline=$((SECONDS + WAIT_TIMEOUT_SECONDS)) c s pending
  declare -A last=()
  local present=()
  for c in "${COMPONENTS[@]}"; do deployed "$c" && present+=("$c"); done
  [ "${#present[@]}" -gt 0 ] || die "release $RELEASE has no components in namespace $NAMESPACE"
  while :; do
    pending=0
    for c in "${present[@]}"; do
      component_state "$c"; s=$STATE
      if [ "${last[$c]:-}" != "$s" ]; then state "$c" "$s"; last[$c]=$s; fi
      case "$s" in
        Failed*) return 1 ;;
        Ready) ;;
        *) pending=1 ;;
      esac
    done
    [ "$pending" -eq 1 ] || return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "timeout   not all components Ready after ${WAIT_TIMEOUT_SECONDS}s (kubectl get pods -n $NAMESPACE)"
      return 1
    fi
    sleep "$POLL_SECONDS"
  done
}

urls() {
  local ip name type port
  ip=$(minikube -p "$PROFILE" ip)
  while IFS='|' read -r name type port; do
    [ -n "$name" ] || continue
    if [ "$type" = "NodePort" ]; then say "url       $name: http://$ip:$port"
    else say "in-cluster $name (ClusterIP)"; fi
  done < <(kubectl get services -n "$NAMESPACE" -l "app.kubernetes.io/instance=$RELEASE" \
    -o jsonpath='{range .items[*]}{.metadata.name}{"|"}{.spec.type}{"|"}{.spec.ports[0].nodePort}{"\n"}{end}')
}

cmd_up() {
  need minikube kubectl helm docker
  cluster_up
  build_and_load
  install
  if follow; then
    urls
    say "done      helm test -n $NAMESPACE $RELEASE checks every component from inside the cluster"
  else
    die "deployment did not become ready (kubectl get pods,events -n $NAMESPACE)"
  fi
}

cmd_status() {
  need minikube kubectl helm
  say "cluster   $(minikube status -p "$PROFILE" --format '{{.Host}}' 2>/dev/null || echo "not running")"
  helm status -n "$NAMESPACE" "$RELEASE" >/dev/null 2>&1 || { say "release   $RELEASE not installed in $NAMESPACE"; return 1; }
  say "release   $RELEASE in $NAMESPACE"
  local c s ok=0
  for c in "${COMPONENTS[@]}"; do
    if deployed "$c"; then
      component_state "$c"; s=$STATE
      state "$c" "$s"
      case "$s" in Ready) ;; *) ok=1 ;; esac
    fi
  done
  urls
  return "$ok"
}

cmd_down() {
  need kubectl helm
  if helm status -n "$NAMESPACE" "$RELEASE" >/dev/null 2>&1; then
    helm uninstall -n "$NAMESPACE" "$RELEASE" >/dev/null
    say "release   $RELEASE uninstalled"
  else
    say "release   $RELEASE not installed"
  fi
  if [ "${1:-}" = "--purge" ]; then
    # The database volume outlives the release on purpose; --purge removes it with the namespace.
    kubectl delete namespace "$NAMESPACE" --ignore-not-found >/dev/null
    say "namespace $NAMESPACE deleted (database volume included)"
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) shift; cmd_down "$@" ;;
  *) say "usage: $0 up | status | down [--purge]"; exit 2 ;;
esac
