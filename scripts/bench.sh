#!/usr/bin/env bash
# Builds the release binary and runs the load benchmark (SQLite and PostgreSQL). BENCH_SECONDS sets each run's length.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p todo -p todo-bench
exec target/release/todo-bench
