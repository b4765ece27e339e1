#!/usr/bin/env bash
# Builds the import benchmark and the server in release and runs it: seconds per import of 10,000 tasks
# (50 lists, subtasks) as an export document and as a Todoist CSV, on SQLite and PostgreSQL. BENCH_RUNS
# sets the runs per case (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p todo -p todo-bench --bin todo --bin todo-bench-import
exec target/release/todo-bench-import
