"""Figure (c) of BENCHMARKS.md: the PyPI package `bytedance` (1.0.0) driving the
voucher query (查询用户券列表, POST /api/trade/v2/fulfillment/query_user_certificates/)
against the local sandbox from N threads for S seconds.

The package is pointed at the sandbox with its own `api_domains` option (both the
API host and the client-token host map to the local URL); it fetches its client
token with the sandbox credentials and caches it its own way (`access_token_type`
"file", in a temporary directory), exactly as it would against open.douyin.com.
Its requests.Session gets a connection pool as large as the thread count, so no
thread waits for a connection.

Prints one JSON line: calls, errors, seconds, calls_per_second, cpu_seconds
(this process's CPU time during the timed part).
Run by `cargo xtask bench`; by hand:
    python voucher_calls.py --url http://127.0.0.1:PORT --threads 16 --seconds 5
"""
import argparse
import json
import os
import tempfile
import threading
import time

import requests
from requests.adapters import HTTPAdapter

import bytedance
from bytedance import ByteDance

# The sandbox's public credentials and sample user (douyin_goodlife::mock::sample).
CLIENT_KEY = "awsandbox00000001"
CLIENT_SECRET = "sandbox-secret-0123456789abcdef"
ACCOUNT_ID = "7136075595087087628"
OPEN_ID = "ba253642-0590-40bc-9bdf-9a1334b94059"
MAX_SECONDS = 120.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    seconds = min(args.seconds, MAX_SECONDS)

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=args.threads)
    session.mount("http://", adapter)
    tmp = tempfile.mkdtemp(prefix="bytedance-bench-")
    app = ByteDance(
        app_id=CLIENT_KEY,
        app_secret=CLIENT_SECRET,
        access_token_type="file",
        ac_path=os.path.join(tmp, "access_token"),
        api_domains={"https://open.douyin.com": args.url},
        session=session,
    )
    tool = app.locallife.general_ability.self_operated_trading.write_off.fulfill_tool
    body = {"account_id": ACCOUNT_ID, "open_id": OPEN_ID}

    def call():
        result = tool.query_user_certificates(body=body)
        orders = result["data"]["orders"]
        if not orders:
            raise RuntimeError("no orders in the answer")
        return result

    call()  # the token fetch, outside the timed part
    counts = [0] * args.threads
    errors = [0] * args.threads
    start_barrier = threading.Barrier(args.threads + 1)
    stop = threading.Event()

    def worker(i):
        call()  # this thread's keep-alive connection
        start_barrier.wait()
        while not stop.is_set():
            try:
                call()
                counts[i] += 1
            except Exception:  # counted, not raised: the run goes on
                errors[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
    for t in threads:
        t.start()
    start_barrier.wait()
    cpu_started = time.process_time()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    app.close()
    calls = sum(counts)
    print(json.dumps({
        "mode": "python",
        "package": "bytedance " + bytedance.__version__,
        "threads": args.threads,
        "calls": calls,
        "errors": sum(errors),
        "seconds": elapsed,
        "calls_per_second": calls / elapsed,
        "cpu_seconds": cpu,
    }))


if __name__ == "__main__":
    main()
