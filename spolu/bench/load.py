"""Run a short headless locust load test and sum up its numbers.

Locust runs in a subprocess with this interpreter, because it monkey-patches the standard
library with gevent: never import locust in the Django process.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

LOCUSTFILE = Path(__file__).with_name("locustfile.py")

# Locust exits with this code when any request failed (we pass it with --exit-code-on-error).
EXIT_CODE_ON_FAILURES = 1


def run_load(
    base_url: str,
    plan: list[dict],
    *,
    seconds: int,
    users: int,
    spawn_rate: float | None = None,
) -> dict:
    """Load base_url with `users` closed-loop users for `seconds`, following the plan.

    Each plan entry is {"name", "path", "cookie", "weight"}. A response other than 200
    (redirects too) counts as a failure. By default all users start within the first second.
    Returns requests, failures, rps and p50/p95 in ms, in total and per entry name.
    Raises RuntimeError when locust fails to run or its output can't be read.
    """
    if seconds < 1 or users < 1:
        raise ValueError("seconds and users must be at least 1")
    rate = float(users) if spawn_rate is None else float(spawn_rate)
    with tempfile.TemporaryDirectory(prefix="spolu-bench-") as tmp:
        plan_path = Path(tmp) / "plan.json"
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        cmd = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(rate),
            "--run-time",
            f"{seconds}s",
            "--host",
            base_url,
            "--only-summary",
            "--json",
            "--exit-code-on-error",
            str(EXIT_CODE_ON_FAILURES),
        ]
        env = {**os.environ, "SPOLU_BENCH_LOAD_PLAN": str(plan_path)}
        try:
            proc = subprocess.run(
                cmd,
                cwd=tmp,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=seconds + 60,
            )
        except subprocess.TimeoutExpired as e:
            raise RuntimeError(
                f"locust did not finish within {seconds + 60}s:\n{_tail(e.stderr)}"
            ) from e

    if proc.returncode not in (0, EXIT_CODE_ON_FAILURES):
        raise RuntimeError(f"locust exited with code {proc.returncode}:\n{_tail(proc.stderr)}")
    try:
        entries = _parse_stats(proc.stdout)
    except (ValueError, KeyError, TypeError) as e:
        raise RuntimeError(
            f"could not read locust's stats ({e}), exit code {proc.returncode}:\n"
            f"{_tail(proc.stderr)}"
        ) from e
    result = _summarise(entries, seconds=seconds, users=users)
    if result["requests"] == 0:
        raise RuntimeError(f"locust made no requests:\n{_tail(proc.stderr)}")
    if proc.returncode == EXIT_CODE_ON_FAILURES and result["failures"] == 0:
        # Exit code 1 without failed requests: an error in the locustfile or its setup.
        raise RuntimeError(f"locust exited with code 1 but no failures:\n{_tail(proc.stderr)}")
    return result


def _tail(text: str | bytes | None, chars: int = 3000) -> str:
    """The end of a process's output, for error messages."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return (text or "")[-chars:]


def _parse_stats(stdout: str) -> list[dict]:
    """The list of stats entries that locust's --json prints to stdout."""
    text = stdout.strip()
    if not text.startswith("["):
        # Skip anything printed before the JSON, which starts with a line holding "[".
        start = text.find("\n[")
        if start < 0:
            raise ValueError("no JSON in locust's output")
        text = text[start + 1 :]
    entries = json.loads(text)
    if not isinstance(entries, list):
        raise ValueError("locust's JSON is not a list")
    for entry in entries:
        entry["num_requests"] = int(entry["num_requests"])
        entry["num_failures"] = int(entry["num_failures"])
    return entries


def _percentile(histogram: dict[int, int], percent: float) -> float:
    """Locust's own percentile over its histogram of rounded response times in ms."""
    count = sum(histogram.values())
    if not count:
        return 0.0
    below = int(count * percent)
    seen = 0
    for ms in sorted(histogram, reverse=True):
        seen += histogram[ms]
        if count - seen <= below:
            return float(ms)
    return 0.0


def _histogram(entry: dict) -> dict[int, int]:
    return {int(ms): int(n) for ms, n in entry["response_times"].items()}


def _summarise(entries: list[dict], *, seconds: int, users: int) -> dict:
    """Add up locust's per-name entries into totals and per-name numbers."""
    total: dict[int, int] = {}
    per_name: dict[str, dict] = {}
    for entry in entries:
        histogram = _histogram(entry)
        for ms, n in histogram.items():
            total[ms] = total.get(ms, 0) + n
        per_name[entry["name"]] = {
            "requests": entry["num_requests"],
            "failures": entry["num_failures"],
            "p50_ms": _percentile(histogram, 0.50),
            "p95_ms": _percentile(histogram, 0.95),
        }
    requests = sum(e["num_requests"] for e in entries)
    starts = [e["start_time"] for e in entries if e.get("start_time")]
    ends = [e["last_request_timestamp"] for e in entries if e.get("last_request_timestamp")]
    elapsed = max(ends) - min(starts) if starts and ends else 0.0
    return {
        "seconds": seconds,
        "users": users,
        "requests": requests,
        "failures": sum(e["num_failures"] for e in entries),
        "rps": requests / elapsed if elapsed > 0 else 0.0,
        "p50_ms": _percentile(total, 0.50),
        "p95_ms": _percentile(total, 0.95),
        "per_name": per_name,
    }
