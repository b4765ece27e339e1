#!/usr/bin/env bash
# Builds the release binary and floods `todo serve` (SQLite) with sign-ins and sign-ups, printing the
# server's RSS at rest, at peak, at the end and 1 s later, and the latencies. BENCH_SECONDS sets the length (30).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p todo -p todo-bench
exec target/release/todo-bench-memory
