"""studio: latency of a 5 s mood render over HTTP to `musicpipe serve` (stream, .mid, .wav
and piano roll written, the answer's JSON back), one client at a time and 4 at once.

BENCH_STUDIO_RENDERS (default 40) sets how many renders each row measures.
"""

import http.client
import os
import re
import signal
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

SECTION = "studio"


def _render(port: int, seed: int) -> tuple[float, int]:
    body = ('{"mood": "calm", "seconds": 5, "seed": %d}' % seed).encode()
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", "/api/render", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return time.perf_counter() - start, response.status


def _percentiles(times: list[float]) -> str:
    q = statistics.quantiles(times, n=20, method="inclusive")
    return f"p50 {statistics.median(times) * 1000:.0f} ms, p95 {q[18] * 1000:.0f} ms"


def run(bench):
    n = int(os.environ.get("BENCH_STUDIO_RENDERS", "40"))
    cmd = f"musicpipe serve --port 0 --root {bench.WORK / 'studio'}"
    proc = subprocess.Popen(cmd.split(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=bench.ENV)
    try:
        port = int(re.search(rb"127\.0\.0\.1:(\d+)", proc.stderr.readline()).group(1))
        for _ in range(200):
            try:
                _render(port, 0)  # also warms the SoundFont into the page cache
                break
            except OSError:
                time.sleep(0.05)
        alone = [_render(port, seed) for seed in range(1, n + 1)]
        with ThreadPoolExecutor(4) as pool:
            together = list(pool.map(lambda seed: _render(port, seed), range(n + 1, 2 * n + 1)))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    refused = sum(1 for _, status in alone + together if status == 429)
    failed = sum(1 for _, status in alone + together if status not in (200, 429))
    ok_together = [t for t, status in together if status == 200]
    request = "POST /api/render {\"mood\": \"calm\", \"seconds\": 5, \"seed\": N}"
    return [
        bench.Row(f"5 s mood render over HTTP, one client ({n} renders)",
                  _percentiles([t for t, _ in alone]), "p95 < 2 s", f"{cmd}; {request}"),
        bench.Row(f"the same, 4 clients at once ({n} renders, 2 render workers)",
                  _percentiles(ok_together), "", request),
        bench.Row("answers other than 200 (429: queue full)", f"{refused} x 429, {failed} other",
                  "0 other"),
    ]
