"""Budgets, the comparison between scales, and the printed table."""

import tomllib
from pathlib import Path

BUDGETS_FILE = Path(__file__).with_name("budgets.toml")


def load_budgets(path: Path | None = None) -> dict:
    with open(path or BUDGETS_FILE, "rb") as handle:
        return tomllib.load(handle)


def page_budget(budgets: dict, name: str) -> dict:
    return {**budgets.get("default", {}), **budgets.get("pages", {}).get(name, {})}


def compare(pages: list[dict], baseline: dict) -> None:
    """Add the national/town ratio and the baseline's query count to each page."""
    before = {page["name"]: page for page in baseline.get("pages", [])}
    for page in pages:
        other = before.get(page["name"])
        if other is None:
            continue
        page["baseline_scale"] = baseline.get("meta", {}).get("scale")
        page["baseline_median_ms"] = other["median_ms"]
        page["baseline_floor_ms"] = other["floor_ms"]
        page["baseline_queries"] = other["queries"]
        page["scaling_raw"] = round(page["median_ms"] / other["median_ms"], 3)
        # Each median in units of its own run's floor: the trivial view does not depend on the
        # data, so a slower floor means a busier machine, not a bigger database.
        page["scaling"] = round(
            (page["median_ms"] / page["floor_ms"]) / (other["median_ms"] / other["floor_ms"]), 3
        )
        page["queries_same_as_baseline"] = page["queries"] == other["queries"]


def judge(pages: list[dict], load: dict | None, budgets: dict) -> list[str]:
    """Mark each figure within or over its budget; return the list of what is over."""
    over = []
    for page in pages:
        budget = page_budget(budgets, page["name"])
        checks = {
            "queries": (page["queries"], budget.get("max_queries")),
            "ratio": (page.get("ratio"), budget.get("max_ratio")),
            "gzip_kb": (round(page["gzip_bytes"] / 1024, 1), budget.get("max_gzip_kb")),
            "scaling": (page.get("scaling"), budget.get("max_scaling")),
        }
        page["budget"] = {}
        for key, (value, limit) in checks.items():
            if value is None or limit is None or limit is False:  # false: reported only
                continue
            within = value <= limit
            page["budget"][key] = {"value": value, "max": limit, "within": within}
            if not within:
                over.append(f"{page['name']}: {key} {value} > {limit}")
        if page.get("queries_same_as_baseline") is False:
            over.append(
                f"{page['name']}: {page['queries']} queries here, "
                f"{page['baseline_queries']} at {page['baseline_scale']} scale"
            )
        if page["status"] != 200:
            over.append(f"{page['name']}: answered {page['status']}")
    if load:
        limits = budgets.get("load", {})
        checks = {
            "load_errors": (load["mix"]["failures"], limits.get("max_load_errors")),
            "load_p95_ms": (load["mix"].get("p95_ms"), limits.get("max_load_p95_ms")),
        }
        load["budget"] = {}
        for key, (value, limit) in checks.items():
            if value is None or limit is None:
                continue
            within = value <= limit
            load["budget"][key] = {"value": value, "max": limit, "within": within}
            if not within:
                over.append(f"load: {key} {value} > {limit}")
    return over


def _mark(page, key, text):
    verdict = page.get("budget", {}).get(key)
    if verdict is None:
        return text
    return text + ("" if verdict["within"] else " OVER")


def _num(value, digits=1):
    return "–" if value is None else f"{value:.{digits}f}"


def table(result: dict) -> str:
    """A plain-text table of every page: figures, floors, ratios and budget marks."""
    headers = [
        "page",
        "status",
        "queries",
        "median ms",
        "p95 ms",
        "http ms",
        "raw SQL ms",
        "floor ms",
        "ratio",
        "http ratio",
        "gzip KB",
        "scaling",
    ]
    rows = []
    for page in result["pages"]:
        rows.append(
            [
                page["name"],
                str(page["status"]),
                _mark(page, "queries", str(page["queries"])),
                _num(page.get("median_ms")),
                _num(page.get("p95_ms")),
                _num(page.get("http_median_ms")),
                _num(page.get("raw_sql_ms"), 2),
                _num(page.get("floor_ms"), 2),
                _mark(page, "ratio", _num(page.get("ratio"), 2)),
                _num(page.get("http_ratio"), 2),
                _mark(page, "gzip_kb", _num(page["gzip_bytes"] / 1024)),
                _mark(page, "scaling", _num(page.get("scaling"), 2)),
            ]
        )
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    load = result.get("load")
    if load:
        mix, floor = load["mix"], load["floor"]
        lines.append("")
        lines.append(
            f"load ({load['users']} users, {load['seconds']} s, gunicorn with {load['workers']} "
            f"workers): mix {mix['rps']:.1f} req/s, p50 {mix['p50_ms']:.0f} ms, "
            f"p95 {mix['p95_ms']:.0f} ms, {mix['failures']} errors of {mix['requests']}; "
            f"floor {floor['rps']:.1f} req/s, p50 {floor['p50_ms']:.0f} ms; "
            f"ratio {_num(load.get('ratio'), 2)}"
        )
    return "\n".join(lines)
