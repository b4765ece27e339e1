#!/usr/bin/env bash
# Builds the list benchmark in release and runs it: median latency of a 20-task page for 100, 10,000 and
# 100,000 tasks, per filter, search and sort, on SQLite and PostgreSQL. BENCH_SECONDS sets each case's length.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p todo-bench --bin todo-bench-list
exec target/release/todo-bench-list
