#!/usr/bin/env python3
"""Scale-out: completed jobs per second with 1 and with 2 worker processes,
side by side in one run, on PostgreSQL with the local engine.

For each worker count, a fresh database gets JOBS async CaptureIQ jobs queued
through one `--role api` process while no worker runs; then the worker
processes (`--role worker`, MYQA_WORKERS slots each) start and the clock runs
until every job is completed. Queue-draining time is what is measured: the
API's admission cost is outside it.

    cargo build --release -p myqa
    python3 bench/scaleout.py [--jobs 400] [--slots 1] [--binary target/release/myqa]

Needs the local PostgreSQL (trust auth on 127.0.0.1:5432) and psql.
Standard library only.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

TRANSCRIPT = (
    "Auditor: Let's start at goods-in. The temperature log for the chiller is complete.\n"
    "QA Manager: We check it twice a day.\n"
    "Auditor: The probe thermometer's calibration expired last month and it is still in use.\n"
    "QA Manager: I'll book the calibration today and quarantine the probe.\n"
    "Auditor: Allergen changeover records on line 2 are signed and verified. Good practice.\n"
)


def psql(database, sql):
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atc", sql],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def start(binary, env, role, port, extra=()):
    env = dict(env, MYQA_BIND=f"127.0.0.1:{port}")
    return subprocess.Popen(
        [binary, "serve", "--role", role, *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )


def wait_ready(port, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"the process on port {port} did not start")


def submit(port, key, n, repeat):
    def one(i):
        body = json.dumps({"transcript": TRANSCRIPT * repeat + f"Auditor: Point {i}.",
                           "session_type": "audit"}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/captureiq/analyze", data=body, method="POST",
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                     "Prefer": "respond-async"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 202, response.status
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(n)))


def run(binary, workers, jobs, slots, repeat):
    database = f"myqa_bench_{os.getpid()}_{workers}"
    psql("postgres", f"CREATE DATABASE {database}")
    data = tempfile.mkdtemp()
    env = dict(os.environ, MYQA_DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
               MYQA_DATA_DIR=data, MYQA_WORKERS=str(slots), MYQA_LOG_FORMAT="json",
               MYQA_JOB_POLL_INTERVAL="200ms", RUST_LOG="warn")
    processes = []
    try:
        api = start(binary, env, "api", 18180, ["--bootstrap"])
        processes.append(api)
        wait_ready(18180)
        key = next(line.strip() for line in api.stdout if line.startswith("myqa_"))
        submit(18180, key, jobs, repeat)
        assert int(psql(database, "SELECT COUNT(*) FROM jobs WHERE state = 'queued'")) == jobs
        began = time.time()
        for w in range(workers):
            processes.append(start(binary, env, "worker", 18181 + w))
        while int(psql(database, "SELECT COUNT(*) FROM jobs WHERE state = 'completed'")) < jobs:
            time.sleep(0.05)
        elapsed = time.time() - began
        return jobs / elapsed, elapsed
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(30)
        psql("postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--slots", type=int, default=1, help="MYQA_WORKERS per worker process")
    parser.add_argument("--binary", default="target/release/myqa")
    parser.add_argument("--repeat", type=int, default=20,
                        help="copies of the 5-turn transcript per job (job size)")
    args = parser.parse_args()
    results = {}
    for workers in (1, 2):
        rate, elapsed = run(args.binary, workers, args.jobs, args.slots, args.repeat)
        results[workers] = rate
        print(f"{workers} worker process(es) × {args.slots} slot(s), "
              f"{len(TRANSCRIPT) * args.repeat // 1000} kB transcripts: "
              f"{args.jobs} jobs in {elapsed:.2f} s = {rate:.1f} jobs/s")
    print(f"ratio 2 : 1 = {results[2] / results[1]:.2f}")


if __name__ == "__main__":
    main()
