"""The benchmark instrument: dataset, measurement and report (no timing is asserted here)."""

import json

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scope, scopes_disabled

from spolu.bench import report
from spolu.bench.generate import FOCUS_SLUG, TOWN
from spolu.bench.measure import replay, without
from spolu.cases.models import Signal
from spolu.plans.models import Measure, Task
from spolu.territories.models import Territory

FIELDS = {
    "name",
    "url",
    "user",
    "status",
    "queries",
    "own_queries",
    "bytes",
    "gzip_bytes",
    "median_ms",
    "p95_ms",
    "raw_sql_ms",
    "floor_ms",
    "ratio",
    "budget",
}


@pytest.fixture
def town(db):
    call_command("bench_data", "--scale", "town", verbosity=0)


def test_town_dataset_has_the_promised_size_with_czech_names(town):
    territory = Territory.objects.get(slug=FOCUS_SLUG)
    assert "č" in territory.name
    with scope(territory=territory):
        assert Measure.objects.count() == TOWN.plans * TOWN.measures_per_plan
        assert Task.objects.count() == Measure.objects.count() * TOWN.tasks_per_measure
        assert Signal.objects.count() == TOWN.signals
        # Free text is encrypted like any other signal's.
        signal = Signal.objects.first()
        assert signal.description
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM cases_signal LIMIT 1")
        assert cursor.fetchone()[0].startswith("enc:")


def test_the_dataset_is_generated_only_into_a_database_without_one(town):
    with pytest.raises(CommandError, match="already holds benchmark data"):
        call_command("bench_data", "--scale", "town", verbosity=0)


def test_bench_refuses_without_data(db):
    with pytest.raises(CommandError, match="bench_data"):
        call_command("bench", "--no-http", verbosity=0)


def test_bench_smoke_every_page_answers_and_the_json_has_every_figure(town, tmp_path, capsys):
    out = tmp_path / "town.json"
    call_command("bench", "--requests", "2", "--warmup", "1", "--no-http", "--json", str(out))
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["meta"]["scale"] == "town"
    assert result["meta"]["dataset"]["cases.Signal"] == TOWN.signals
    names = [page["name"] for page in result["pages"]]
    assert {"coordinator home", "signal list", "catalogue search", "network statistics"} <= set(
        names
    )
    for page in result["pages"]:
        assert page["status"] == 200, page["name"]
        assert FIELDS <= set(page), page["name"]
        assert page["raw_sql_ms"] is not None, page.get("raw_sql_error")
        assert page["queries"] > page["own_queries"] or page["user"] == "anonymous"
    assert set(result["floors"]) == {"anonymous", "coordinator", "caseworker", "advisor"}
    printed = capsys.readouterr().out
    assert "signal statistics" in printed and "median ms" in printed

    # Compared with itself, every page has the same query count and a scaling figure.
    again = tmp_path / "again.json"
    call_command(
        "bench", "--requests", "1", "--no-http", "--compare", str(out), "--json", str(again)
    )
    compared = json.loads(again.read_text(encoding="utf-8"))
    assert all(page["queries_same_as_baseline"] for page in compared["pages"])
    assert all(page["scaling"] > 0 and page["scaling_raw"] > 0 for page in compared["pages"])

    # An earlier run judged again without measuring: same figures, budgets applied.
    judged = tmp_path / "judged.json"
    call_command("bench", "--report", str(again), "--json", str(judged))
    assert json.loads(judged.read_text(encoding="utf-8"))["pages"] == compared["pages"]


def test_raw_sql_excludes_the_floor_and_replays_without_changing_anything(town):
    floor = [("SELECT session", (), False), ("SELECT user", (), False)]
    page = [("SELECT session", (), False), ("SELECT user", (), False), ("SELECT x", (), False)]
    assert without(page, floor) == [("SELECT x", (), False)]

    with scopes_disabled():
        before = Task.objects.count()
    statements = [
        ("DELETE FROM plans_task", (), False),
        ("SELECT COUNT(*) FROM plans_task", (), False),
    ]
    assert len(replay(statements, 2)) == 2
    with scopes_disabled():
        assert Task.objects.count() == before


def test_judge_marks_figures_over_budget():
    budgets = {
        "default": {"max_queries": 15, "max_ratio": 2.5, "max_gzip_kb": 60, "max_scaling": 1.3},
        "pages": {"network home": {"max_scaling": 3.0}},
        "load": {"max_load_errors": 0, "max_load_p95_ms": 1000},
    }
    pages = [
        {"name": "a", "status": 200, "queries": 16, "ratio": 2.0, "gzip_bytes": 1024},
        {
            "name": "network home",
            "status": 200,
            "queries": 5,
            "ratio": 1.0,
            "gzip_bytes": 100,
            "scaling": 2.0,
            "queries_same_as_baseline": True,
        },
        {
            "name": "b",
            "status": 200,
            "queries": 5,
            "ratio": 1.0,
            "gzip_bytes": 100,
            "scaling": 1.5,
            "queries_same_as_baseline": False,
            "baseline_queries": 4,
            "baseline_scale": "town",
        },
    ]
    load = {"ratio": 5.0, "mix": {"failures": 2, "p95_ms": 300}}
    over = report.judge(pages, load, budgets)
    assert over == [
        "a: queries 16 > 15",
        "b: scaling 1.5 > 1.3",
        "b: 5 queries here, 4 at town scale",
        "load: load_errors 2 > 0",
    ]
    assert pages[1]["budget"]["scaling"]["within"] is True
    assert "OVER" in report.table({"pages": pages})


def test_explain_prints_the_plans_of_a_pages_slowest_statements(town, capsys):
    call_command("bench", "--explain", "tasks list")
    printed = capsys.readouterr().out
    assert "plans_task" in printed
    assert ("SCAN" in printed or "SEARCH" in printed) or "Scan" in printed
    with pytest.raises(CommandError, match="No page 'nothing'"):
        call_command("bench", "--explain", "nothing")
