#!/usr/bin/env bash
# Builds the release binaries and runs the assistant benchmark (MCP tool calls, chat turns with a stand-in
# model and the built-in assistant, many chats at once) on SQLite and PostgreSQL. BENCH_SECONDS sets each
# run's length.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p todo -p todo-bench
exec target/release/todo-bench-assistant
