#!/usr/bin/env bash
# Property-based fuzzing of the API from its own /openapi.json with schemathesis (installed into
# .venv-fuzz on first use). Starts a fresh `todo serve` on SQLite, signs up a user so the fuzzer gets
# past authentication, runs every check, and fails if the server ever answered 5xx.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-fuzz
[ -x "$venv/bin/schemathesis" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet 'schemathesis>=4'; }
cargo build --release -p todo
work=$(mktemp -d)
port=${FUZZ_PORT:-39517}
PORT=$port DATABASE_URL="sqlite://$work/fuzz.db" LOG_FORMAT=json target/release/todo serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
base=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$base/ready" >/dev/null && break; sleep 0.1; done
json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
session=$(curl -sf "$base/api/auth/sign-up/email" -H 'content-type: application/json' \
  -d '{"email":"fuzz@example.com","password":"correct horse battery"}' | json '["token"]')
jwt=$(curl -sf "$base/api/auth/token" -H "authorization: Bearer $session" | json '["token"]')
me=$(curl -sf "$base/api/auth/get-session" -H "authorization: Bearer $session" | json '["user"]["id"]')
printf '[parameters]\n"path.user_id" = "%s"\n' "$me" >"$work/schemathesis.toml"
set +e
(cd "$work" && "$OLDPWD/$venv/bin/schemathesis" run "$base/openapi.json" -H "Authorization: Bearer $jwt" \
  --checks all --max-examples "${FUZZ_EXAMPLES:-150}" --seed "${FUZZ_SEED:-1}" --no-color --generation-database none)
rc=$?
set -e
errors=$(grep -c '"status":5' "$work/server.log" || true)
echo "server answered 5xx $errors times"
[ "$errors" -eq 0 ] || exit 1
exit $rc
