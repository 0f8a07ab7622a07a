"""Measure the key pages on the benchmark dataset: `bench [--requests N] [--json out.json]`."""

import datetime as dt
import json
import os
import platform
import sys

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings
from django.urls import reverse
from django_scopes import scopes_disabled

from spolu.bench import measure, report
from spolu.bench.pages import detect_scale, pages, users


def database_description() -> dict:
    vendor = connection.vendor
    if vendor == "sqlite":
        version = connection.Database.sqlite_version
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    return {"vendor": vendor, "version": version}


def in_memory_database() -> bool:
    name = str(connection.settings_dict.get("NAME") or "")
    return connection.vendor == "sqlite" and (name in ("", ":memory:") or "mode=memory" in name)


def dataset_counts() -> dict:
    from spolu.cases.models import Signal
    from spolu.catalog.models import GoodPractice, Intervention
    from spolu.meetings.models import Attendance, Meeting
    from spolu.plans.models import Measure, ProgressUpdate, Task
    from spolu.territories.models import Network, Territory

    models = [
        Territory,
        Network,
        Measure,
        Task,
        ProgressUpdate,
        Meeting,
        Attendance,
        Signal,
        Intervention,
        GoodPractice,
    ]
    with scopes_disabled():
        return {model._meta.label: model.objects.count() for model in models}


class Command(BaseCommand):
    help = (
        "Request the key pages of the benchmark's focus town N times as the right user, "
        "in-process and over HTTP (gunicorn), with a short locust load; print the figures "
        "against the budgets in spolu/bench/budgets.toml. Run bench_data first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["town", "national"], help="Expect this dataset.")
        parser.add_argument("--requests", type=int, default=20, help="Timed requests per page.")
        parser.add_argument("--warmup", type=int, default=3, help="Untimed requests first.")
        parser.add_argument("--json", dest="json_path", help="Write every figure to this file.")
        parser.add_argument(
            "--compare",
            help="JSON of a run at the other scale: adds the per-page scaling ratio.",
        )
        parser.add_argument("--no-http", action="store_true", help="Skip gunicorn and locust.")
        parser.add_argument(
            "--load-seconds", type=int, default=60, help="Locust run length (0: no load test)."
        )
        parser.add_argument("--load-users", type=int, default=8, help="Concurrent locust users.")
        parser.add_argument(
            "--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers."
        )
        parser.add_argument(
            "--explain",
            metavar="PAGE",
            help="Print the query plans of this page's slowest statements, and stop.",
        )
        parser.add_argument(
            "--report",
            metavar="FILE",
            help="Measure nothing: judge the figures of an earlier run's JSON again "
            "(with --compare and the current budgets).",
        )
        parser.add_argument("--budgets", help="Budgets file (default: spolu/bench/budgets.toml).")

    def handle(self, *args, **options):
        if options["requests"] < 1:
            raise CommandError("--requests must be at least 1.")
        report.load_budgets(options["budgets"])  # a broken budgets file fails at once
        if options["report"]:
            result = self._read(options["report"])
            self.finish(result, options)
            return
        scale = detect_scale()
        if scale is None:
            raise CommandError(
                "This database holds no benchmark data: run `manage.py bench_data --scale town` "
                "(or national) first."
            )
        if options["scale"] and options["scale"] != scale:
            raise CommandError(f"This database holds the {scale} dataset, not {options['scale']}.")
        if options["compare"]:
            self._read(options["compare"])  # fail before measuring, not after
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        if options["explain"]:
            with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
                self.explain(options["explain"])
            return
        # Measure the application as production runs it: no query log, no template debugging.
        with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
            result = self.run(scale, options)
        self.finish(result, options)

    def _read(self, path) -> dict:
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc

    def finish(self, result, options):
        """Compare, judge against the budgets, print the table and write the JSON."""
        budgets = report.load_budgets(options["budgets"])
        if options["compare"]:
            report.compare(result["pages"], self._read(options["compare"]))
        over = report.judge(result["pages"], result.get("load"), budgets)
        result["budgets"] = budgets
        result["over_budget"] = over

        self.stdout.write("")
        self.stdout.write(report.table(result))
        self.stdout.write("")
        if over:
            self.stdout.write(self.style.WARNING(f"{len(over)} figures over budget:"))
            for line in over:
                self.stdout.write(f"  {line}")
        else:
            self.stdout.write(self.style.SUCCESS("Every figure is within its budget."))
        if options["json_path"]:
            with open(options["json_path"], "w", encoding="utf-8") as handle:
                json.dump(result, handle, indent=2, ensure_ascii=False, default=str)
            self.stdout.write(f"Written to {options['json_path']}.")

    def explain(self, name):
        with scopes_disabled():
            page_list = {page.name: page for page in pages()}
            bench_users = users()
        if name not in page_list:
            raise CommandError(f"No page {name!r}; the pages are: {', '.join(page_list)}.")
        page = page_list[name]
        sessions = measure.Sessions(bench_users)
        client = sessions.client(page.user)
        client.get(page.url)
        with measure.recording() as recorder:
            client.get(page.url)
        for item in measure.explain(recorder.calls):
            self.stdout.write(f"--- {item['ms']:.2f} ms\n{item['sql']}\n{item['plan']}\n")

    def run(self, scale, options) -> dict:
        requests, warmup = options["requests"], options["warmup"]
        meta = {
            "scale": scale,
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": database_description(),
            "cpu_count": os.cpu_count(),
            "machine": platform.machine(),
            "python": sys.version.split()[0],
            "django": django.get_version(),
            "requests": requests,
            "warmup": warmup,
            "dataset": dataset_counts(),
        }
        self.stdout.write(
            f"Benchmark at {scale} scale on {meta['database']['vendor']} "
            f"{meta['database']['version']}, {meta['cpu_count']} cores, {requests} requests a page."
        )
        with scopes_disabled():
            bench_users = users()
            page_list = pages()
        sessions = measure.Sessions(bench_users)
        floors = {}
        for key in sorted({page.user for page in page_list}):
            floors[key] = measure.measure_floor(sessions, key, requests, warmup)
        results = []
        for page in page_list:
            outcome = measure.measure_page(page, sessions, floors[page.user], requests, warmup)
            results.append(outcome)
            self.stdout.write(
                f"  {page.name}: {outcome['status']}, {outcome['queries']} queries, "
                f"{outcome['median_ms']:.1f} ms"
            )
        result = {
            "meta": meta,
            "floors": {
                key: {k: v for k, v in floor.items() if k != "calls"}
                for key, floor in floors.items()
            },
            "pages": results,
        }
        if options["no_http"]:
            return result
        if in_memory_database():
            self.stdout.write("HTTP and load skipped: the database is in memory.")
            return result
        self.http(result, page_list, sessions, options)
        return result

    def http(self, result, page_list, sessions, options):
        requests, warmup, workers = options["requests"], options["warmup"], options["workers"]
        floor_path = reverse(measure.FLOOR_URL_NAME)
        self.stdout.write(f"Over HTTP: gunicorn with {workers} workers on 127.0.0.1…")
        with measure.gunicorn(workers) as port:
            warm = max(warmup, 2 * workers)
            http_floors = {}
            for key in result["floors"]:
                times, _status = measure.http_times(
                    port, floor_path, sessions.cookie(key), requests, warm
                )
                http_floors[key] = times
                result["floors"][key]["http_median_ms"] = times["median_ms"]
                result["floors"][key]["http_p95_ms"] = times["p95_ms"]
            by_name = {page.name: page for page in page_list}
            for page_result in result["pages"]:
                page = by_name[page_result["name"]]
                times, status = measure.http_times(
                    port, page.url, sessions.cookie(page.user), requests, warm
                )
                page_result["http_status"] = status
                page_result["http_median_ms"] = times["median_ms"]
                page_result["http_p95_ms"] = times["p95_ms"]
                page_result["http_floor_ms"] = http_floors[page.user]["median_ms"]
                base = page_result["http_floor_ms"] + (page_result.get("raw_sql_ms") or 0)
                page_result["http_ratio"] = round(times["median_ms"] / base, 3) if base else None
            if options["load_seconds"] > 0:
                result["load"] = self.load(port, page_list, sessions, options)

    def load(self, port, page_list, sessions, options):
        from spolu.bench.load import run_load

        seconds, users_count = options["load_seconds"], options["load_users"]
        base_url = f"http://127.0.0.1:{port}"
        mix = [
            {
                "name": page.name,
                "path": page.url,
                "cookie": sessions.cookie(page.user),
                "weight": page.weight,
            }
            for page in page_list
        ]
        floor = [
            {
                "name": "floor",
                "path": reverse(measure.FLOOR_URL_NAME),
                "cookie": sessions.cookie("coordinator"),
                "weight": 1,
            }
        ]
        self.stdout.write(f"Load: {users_count} users for {seconds} s, the mix then the floor…")
        mix_result = run_load(base_url, mix, seconds=seconds, users=users_count)
        floor_result = run_load(base_url, floor, seconds=seconds, users=users_count)
        ratio = round(floor_result["rps"] / mix_result["rps"], 3) if mix_result["rps"] else None
        return {
            "seconds": seconds,
            "users": users_count,
            "workers": options["workers"],
            "mix": mix_result,
            "floor": floor_result,
            "ratio": ratio,
        }
