#!/usr/bin/env bash
# Soak: runs the Redis tests (tests/redis.rs) RUNS times (default 200) while a
# pauser SIGSTOPs the test's own redis-servers at random moments for 100-600 ms
# (then SIGCONT). Only servers whose socket is under this script's own temporary
# directory are touched. Prints runs, failures and the time taken.
#
# Skipped by default (SKIP, space-separated; SKIP= runs everything): the
# webhook dedup test, whose RedisDedup keeps redis-rs's 500 ms response
# timeout (a longer pause fails it by design), and the rate-limit tests, which
# assert Redis-clock timings and a throughput that a pause changes by design.
#
#   bash bench/redis-soak.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-200}
soak=$(mktemp -d /tmp/redis-soak.XXXXXX)
trap 'kill "$pauser" 2>/dev/null || true; rm -rf "$soak"' EXIT
bin=$(cargo test --all-features --test redis --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="redis" and m.get("executable"): print(m["executable"])')
[ -x "$bin" ] || { echo "no test binary"; exit 1; }
# A copy: rebuilding during the soak does not change what it runs.
cp "$bin" "$soak/redis-tests"
bin="$soak/redis-tests"

pause_loop() {
  while true; do
    sleep "0.$(( RANDOM % 9 + 1 ))"
    pids=$(pgrep -f "redis-server.*$soak" || true)
    [ -z "$pids" ] && continue
    kill -STOP $pids 2>/dev/null || true
    n=$(( $(cat "$soak/pauses" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$soak/pauses"
    sleep "0.$(( RANDOM % 6 + 1 ))"
    kill -CONT $pids 2>/dev/null || true
  done
}
pause_loop &
pauser=$!

skip=${SKIP-redis_msg_id_dedup_across_stores redis_gcra_budget_is_shared_by_two_limiters clients_sharing_a_redis_budget_stay_under_the_cap}
args=(-q)
for s in $skip; do args+=(--skip "$s"); done
failures=0
start=$(date +%s)
for i in $(seq 1 "$runs"); do
  if ! TMPDIR="$soak" "$bin" "${args[@]}" >"$soak/run.log" 2>&1; then
    failures=$((failures + 1))
    echo "run $i failed:"; grep -E "panicked|FAILED|failed" "$soak/run.log" | head -5
  fi
done
end=$(date +%s)
pauses=$(cat "$soak/pauses" 2>/dev/null || echo 0)
echo "soak: $runs runs, $failures failures, $((end - start)) s, $pauses pauses of live servers"
