"""Measure pages in-process (Django's test client) and over HTTP (gunicorn on 127.0.0.1).

For every page: wall-time median and p95, SQL query count, response size (gzip), and two
floors from the same run: the trivial view through the same middleware stack as the same
user (the framework floor), and the page's own SQL replayed raw on the same connection.
"""

import gzip
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

FLOOR_URL_NAME = "bench:floor"
LANGUAGE = "cs"  # the focus town is Czech


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(seconds: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 3),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 3),
    }


class Recorder:
    """Records every statement (sql, params, many) that Django sends to the database."""

    def __init__(self):
        self.calls = []

    def __call__(self, execute, sql, params, many, context):
        self.calls.append((sql, params, many))
        return execute(sql, params, many, context)


@contextmanager
def recording():
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        yield recorder


def without(calls, floor_calls):
    """The page's own statements: those the trivial view also runs (session, user) removed."""
    remaining = Counter(sql for sql, _params, _many in floor_calls)
    own = []
    for call in calls:
        if remaining[call[0]] > 0:
            remaining[call[0]] -= 1
            continue
        own.append(call)
    return own


# Transaction control is the replay's own business (it runs in one transaction, rolled back).
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


def _execute(cursor, sql, params, many) -> None:
    """One statement as the page ran it, with its rows fetched."""
    if many:
        cursor.executemany(sql, params)
    else:
        cursor.execute(sql, params)
    if cursor.description:
        cursor.fetchall()


def replay(calls, repeats: int) -> list[float]:
    """Run the statements raw on the same connection, in a transaction that is rolled back."""
    calls = [call for call in calls if not TRANSACTION_CONTROL.match(call[0])]
    times = []
    for _ in range(repeats):
        with transaction.atomic():
            with connection.cursor() as cursor:
                started = time.perf_counter()
                for call in calls:
                    _execute(cursor, *call)
                times.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    return times


def slowest(calls, count: int = 3, repeats: int = 3) -> list[dict]:
    """The page's slowest statements, each replayed alone: where to look first."""
    calls = [call for call in calls if not TRANSACTION_CONTROL.match(call[0])]
    timed = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            for sql, params, many in calls:
                times = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    _execute(cursor, sql, params, many)
                    times.append(time.perf_counter() - started)
                timed.append({"ms": round(statistics.median(times) * 1000, 3), "sql": sql[:4000]})
        transaction.set_rollback(True)
    return sorted(timed, key=lambda item: -item["ms"])[:count]


def explain(calls, count: int = 3) -> list[dict]:
    """The query plans of the page's slowest statements (for `bench --explain PAGE`)."""
    calls = [c for c in calls if not TRANSACTION_CONTROL.match(c[0]) and not c[2]]
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    plans = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            for sql, params, _many in calls:
                started = time.perf_counter()
                cursor.execute(sql, params)
                if cursor.description:
                    cursor.fetchall()
                took = time.perf_counter() - started
                cursor.execute(prefix + sql, params)
                plan = "\n".join(" ".join(str(col) for col in row) for row in cursor.fetchall())
                plans.append({"ms": round(took * 1000, 3), "sql": sql, "plan": plan})
        transaction.set_rollback(True)
    return sorted(plans, key=lambda item: -item["ms"])[:count]


class Sessions:
    """A logged-in test client per benchmark user, and its cookie for HTTP and locust."""

    def __init__(self, users):
        self.clients = {"anonymous": Client(HTTP_ACCEPT_LANGUAGE=LANGUAGE)}
        for key, user in users.items():
            client = Client(HTTP_ACCEPT_LANGUAGE=LANGUAGE)
            client.force_login(user)
            self.clients[key] = client

    def client(self, key) -> Client:
        return self.clients[key]

    def cookie(self, key) -> str:
        parts = [f"django_language={LANGUAGE}"]
        session = self.clients[key].cookies.get("sessionid")
        if session is not None:
            parts.append(f"sessionid={session.value}")
        return "; ".join(parts)


def measure_floor(sessions, user, requests, warmup):
    client = sessions.client(user)
    url = reverse(FLOOR_URL_NAME)
    for _ in range(warmup):
        client.get(url)
    with recording() as recorder:
        client.get(url)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return {**summary_ms(times), "queries": len(recorder.calls), "calls": recorder.calls}


def measure_page(page, sessions, floor, requests, warmup) -> dict:
    client = sessions.client(page.user)
    for _ in range(warmup):
        client.get(page.url)
    with recording() as recorder:
        response = client.get(page.url)
    content = response.content
    result = {
        "name": page.name,
        "url": page.url,
        "user": page.user,
        "status": response.status_code,
        "queries": len(recorder.calls),
        "bytes": len(content),
        "gzip_bytes": len(gzip.compress(content, compresslevel=6)),
    }
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        client.get(page.url)
        times.append(time.perf_counter() - started)
    result.update(summary_ms(times))
    own = without(recorder.calls, floor["calls"])
    result["own_queries"] = len(own)
    try:
        raw = summary_ms(replay(own, max(3, requests)))
        result["raw_sql_ms"] = raw["median_ms"]
        result["slowest_queries"] = slowest(own)
    except Exception as exc:  # a statement that cannot be replayed is reported, not fatal
        result["raw_sql_ms"] = None
        result["raw_sql_error"] = f"{exc.__class__.__name__}: {exc}"[:300]
    result["floor_ms"] = floor["median_ms"]
    base = result["floor_ms"] + (result["raw_sql_ms"] or 0)
    result["ratio"] = round(result["median_ms"] / base, 3) if base else None
    return result


# -- over HTTP ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(workers: int):
    """A gunicorn serving the project (debug off) on a free port of 127.0.0.1."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "spolu.settings"),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "spolu.bench.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _body = http_get(port, "/healthz", "")
                if status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start; see its output above")
            time.sleep(0.2)
        yield port
    finally:
        stop(process)


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate a server process, and kill it if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def http_get(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Accept-Language": LANGUAGE, "Accept-Encoding": "identity"}
        if cookie:
            headers["Cookie"] = cookie
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def http_times(port, path, cookie, requests, warmup) -> tuple[dict, int]:
    status = None
    for _ in range(warmup):
        status, _body = http_get(port, path, cookie)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        status, _body = http_get(port, path, cookie)
        times.append(time.perf_counter() - started)
    return summary_ms(times), status
