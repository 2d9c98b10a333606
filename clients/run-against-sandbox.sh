#!/usr/bin/env bash
# Generates the Python client (openapi-python-client) and the TypeScript one
# (openapi-typescript + openapi-fetch) from openapi/goodlife.yaml and runs each
# against `goodlife mock` for every operation of the spec.
#
# Usage: clients/run-against-sandbox.sh [path/to/goodlife]   (default target/debug/goodlife)
# Needs python3 (3.11+) with venv, node 20 + npm; installs pinned packages
# from PyPI and npm. The sandbox credentials go to the clients through the
# environment, never on a command line.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${1:-target/debug/goodlife}
[ -x "$bin" ] || { echo "run-against-sandbox: $bin is not built (cargo build --features cli --bin goodlife)" >&2; exit 1; }

work=$(mktemp -d)
mock_pid=
cleanup() {
  if [ -n "$mock_pid" ]; then kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

t0=$(date +%s)
lap() { echo "--- $* ($(( $(date +%s) - t0 )) s)"; }

# The sandbox on a free port (--port 0); it prints its base URL and credentials.
"$bin" mock --port 0 >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
base_url=
for _ in $(seq 1 100); do
  kill -0 "$mock_pid" 2>/dev/null || { cat "$work/mock.err" >&2; echo "run-against-sandbox: goodlife mock exited" >&2; exit 1; }
  base_url=$(sed -n 's/^export DOUYIN_BASE_URL=//p' "$work/mock.out")
  [ -n "$base_url" ] && break
  sleep 0.1
done
[ -n "$base_url" ] || { echo "run-against-sandbox: goodlife mock printed no base URL within 10 s" >&2; exit 1; }
port=${base_url##*:}
ready=
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
[ -n "$ready" ] || { echo "run-against-sandbox: nothing listens on port $port after 10 s" >&2; exit 1; }
DOUYIN_BASE_URL=$base_url
DOUYIN_CLIENT_KEY=$(sed -n 's/^export DOUYIN_CLIENT_KEY=//p' "$work/mock.out")
DOUYIN_CLIENT_SECRET=$(sed -n 's/^export DOUYIN_CLIENT_SECRET=//p' "$work/mock.out")
[ -n "$DOUYIN_CLIENT_KEY" ] && [ -n "$DOUYIN_CLIENT_SECRET" ] \
  || { echo "run-against-sandbox: goodlife mock printed no client key / secret" >&2; exit 1; }
export DOUYIN_BASE_URL DOUYIN_CLIENT_KEY DOUYIN_CLIENT_SECRET
lap "sandbox ready on $DOUYIN_BASE_URL"

# Python: a virtual environment with the pinned generator, a client generated
# from the spec (warnings are failures), the run.
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r clients/python/requirements.txt
lap "python packages installed"
"$work/venv/bin/openapi-python-client" generate --path openapi/goodlife.yaml \
  --config clients/python/config.yaml --meta none --fail-on-warning \
  --output-path "$work/py/goodlife_client" >"$work/generate.log" 2>&1 \
  || { cat "$work/generate.log" >&2; echo "run-against-sandbox: openapi-python-client failed on the spec" >&2; exit 1; }
lap "python client generated"
"$work/venv/bin/python" clients/python/call_sandbox.py --spec openapi/goodlife.yaml \
  --package goodlife_client --package-dir "$work/py"
lap "python client ran"

# TypeScript: the pinned packages, the types generated from the spec (and
# type-checked, usage.ts included), the run.
(
  cd ts
  npm ci --no-audit --no-fund --loglevel=error
  npm run --silent generate
  npx --no-install tsc --noEmit -p .
)
lap "typescript client generated and type-checked"
(cd ts && node src/call_sandbox.mjs "$root/openapi/goodlife.yaml")
lap "typescript client ran"
