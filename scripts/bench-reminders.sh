#!/usr/bin/env bash
# Builds the reminders benchmark and the server in release and runs it: delivery delay p50/p99 of
# BENCH_REMINDERS (default 10,000) reminders due within one minute with two backend replicas on
# PostgreSQL, and the idle scheduler's database transactions per minute.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p todo -p todo-bench --bin todo --bin todo-bench-reminders
exec target/release/todo-bench-reminders
