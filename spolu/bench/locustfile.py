"""Locust user for `manage.py bench`: GETs pages from a JSON load plan.

Only locust imports this file, in its own process (see spolu.bench.load). Never import it
from Django: locust monkey-patches the standard library with gevent.

The plan file is named by SPOLU_BENCH_LOAD_PLAN and holds a list of
{"name": str, "path": str, "cookie": str, "weight": int}.
"""

import json
import os
import random

from locust import HttpUser, constant, task


def _read_plan() -> list[dict]:
    """Read and check the load plan, so that a bad plan stops locust before it starts."""
    path = os.environ.get("SPOLU_BENCH_LOAD_PLAN")
    if not path:
        raise RuntimeError("SPOLU_BENCH_LOAD_PLAN is not set")
    with open(path, encoding="utf-8") as f:
        plan = json.load(f)
    if not isinstance(plan, list) or not plan:
        raise RuntimeError("the load plan must be a non-empty list")
    for entry in plan:
        for key, kind in (("name", str), ("path", str), ("cookie", str), ("weight", int)):
            if not isinstance(entry.get(key), kind):
                raise RuntimeError(f"load plan entry {entry!r}: {key} must be {kind.__name__}")
        if entry["weight"] < 0:
            raise RuntimeError(f"load plan entry {entry['name']!r}: weight must not be negative")
    if not any(entry["weight"] for entry in plan):
        raise RuntimeError("the load plan needs at least one entry with a positive weight")
    return plan


PLAN = _read_plan()
WEIGHTS = [entry["weight"] for entry in PLAN]


class PlanUser(HttpUser):
    """Closed-loop user: picks a plan entry by weight and GETs it, with no pause."""

    wait_time = constant(0)

    @task
    def get_page(self) -> None:
        entry = random.choices(PLAN, weights=WEIGHTS)[0]
        # Only the plan's cookie goes out: forget any cookie a response has set.
        self.client.cookies.clear()
        headers = {"Cookie": entry["cookie"]} if entry["cookie"] else {}
        with self.client.get(
            entry["path"],
            headers=headers,
            name=entry["name"],
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")
