"""Signal statistics: aggregates only, with small numbers hidden so no child can be singled out.

Who reads them: every member of the territory ("cases.statistics": coordinators, viewers,
partners…) and the members of a network, over all its territories. None of them may see a
single signal, so the pages show counts, medians and shares, never a row.

What is counted: the signals *filed* in the period, which is the current calendar month and the
`months - 1` months before it, in the territory's local time (Czech and Polish territories share
the same time-zone rules, so a network uses the zone of its first territory). "Overdue now" is
the exception: every signal still waiting for triage past its due date, however old.

How small numbers are hidden (`suppress_counts`), with N = settings.SPOLU_CASES_MIN_COUNT:
- a count from 1 to N - 1 is hidden, zero is shown as 0;
- in a table that shows a total, a hidden cell could be worked out by subtraction: when only one
  cell is hidden, or the hidden cells add up to less than N (two hidden cells of 1 and 1 in a
  total of 22 would both be known), the smallest shown non-zero cell is hidden too, until the
  hidden cells are at least two and add up to N or more (complementary suppression);
- a total below N is hidden;
- a median or a share is shown only when it rests on at least N signals.
A hidden cell carries no number (`Cell.value` is None), so the templates cannot leak it, nor
why it is hidden: a total or a number on its own reads "fewer than N" (it is only ever hidden
for being small), every hidden cell of a table reads "hidden" (a complement is N or more, and
two labels would tell the small cell from its complement).

Queries: a fixed number whatever the amount of data. One aggregate (counts by category, status,
outcome and month, time-to-triage share, overdue) as COUNT … FILTER; one GROUP BY school; one
that fetches only the timestamps of the period (filed, triaged, first feedback) for the medians,
which are not portable SQL. Signals are never loaded as model instances: their free text is
encrypted and must not be decrypted for statistics.
"""

import datetime
import statistics
import zoneinfo
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.shortcuts import render
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from spolu.core.access import network_view, territory_view

from .models import OPEN_STATUSES, WAITING_FOR_TRIAGE, Category, Outcome, Signal, SignalStatus

SECONDS_PER_DAY = 86400


def min_count() -> int:
    return settings.SPOLU_CASES_MIN_COUNT


@dataclass(frozen=True)
class Cell:
    """One published number; `value` is None when it is hidden to protect the pupils."""

    value: int | float | None
    suppressed: bool = False


HIDDEN = Cell(None, suppressed=True)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cell: Cell
    group: str = ""  # the territory of a school, on a network's page


@dataclass(frozen=True)
class Table:
    """Rows of counts and their total, after suppression."""

    rows: list[Row]
    total: Cell

    def cell(self, key: str) -> Cell:
        return next(row.cell for row in self.rows if row.key == key)


@dataclass(frozen=True)
class TerritoryRow:
    territory: str
    count: Cell
    median_days_to_triage: Cell


@dataclass(frozen=True)
class SignalStatistics:
    period_start: datetime.date
    period_end: datetime.date  # included
    months: int
    min_count: int
    total: Cell
    by_category: Table
    by_month: Table
    # Status and outcome in one table, suppressed in one pass: as two tables, "closed" in one
    # and the outcomes in the other would let a hidden outcome be worked out.
    by_state: Table
    # Not computed for the home page's summary: None and [].
    by_school: Table | None
    by_territory: list[TerritoryRow]
    territory_total: Cell | None
    median_days_to_triage: Cell
    median_days_to_feedback: Cell
    triaged_on_time_percent: Cell
    overdue: Cell

    @property
    def has_signals(self) -> bool:
        return self.total != Cell(0)

    @property
    def largest_hidden(self) -> int:
        return self.min_count - 1


def small_count(n: int) -> Cell:
    """A single count on its own: hidden from 1 to N - 1."""
    return HIDDEN if 0 < n < min_count() else Cell(n)


def suppress_counts(counts: list[int], *, with_total: bool = True) -> tuple[list[Cell], Cell]:
    """The cells of one table column and its total, with small and derivable counts hidden."""
    minimum = min_count()
    hidden = {i for i, n in enumerate(counts) if 0 < n < minimum}

    def not_protected():
        return len(hidden) == 1 or sum(counts[i] for i in hidden) < minimum

    while with_total and hidden and not_protected():
        shown = [i for i, n in enumerate(counts) if n > 0 and i not in hidden]
        if not shown:
            break  # every non-zero cell is hidden: the total is below N and hidden too
        hidden.add(min(shown, key=lambda i: (counts[i], i)))
    cells = [HIDDEN if i in hidden else Cell(n) for i, n in enumerate(counts)]
    return cells, small_count(sum(counts))


def _table(items: list[tuple[str, str, int]]) -> Table:
    cells, total = suppress_counts([n for _key, _label, n in items])
    return Table(
        rows=[Row(key, label, cell) for (key, label, _n), cell in zip(items, cells, strict=True)],
        total=total,
    )


def _median_days(durations: list[datetime.timedelta]) -> Cell:
    if len(durations) < min_count():
        return HIDDEN
    seconds = statistics.median(d.total_seconds() for d in durations)
    return Cell(round(max(seconds, 0) / SECONDS_PER_DAY, 1))


def _percent(part: int, whole: int) -> Cell:
    if whole < min_count():
        return HIDDEN
    return Cell(round(100 * part / whole))


@dataclass(frozen=True)
class _Period:
    zone: zoneinfo.ZoneInfo
    month_starts: list[datetime.datetime]  # local midnight of each month's first day
    end: datetime.datetime  # local midnight after `today` (excluded)

    @property
    def start(self):
        return self.month_starts[0]

    def month_ranges(self):
        ends = [*self.month_starts[1:], self.end]
        return zip(self.month_starts, ends, strict=True)


def _period(territories, today: datetime.date, months: int) -> _Period:
    zone = zoneinfo.ZoneInfo(territories[0].time_zone if territories else settings.TIME_ZONE)
    first = today.replace(day=1) - relativedelta(months=months - 1)

    def midnight(day):
        return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)

    return _Period(
        zone=zone,
        month_starts=[midnight(first + relativedelta(months=i)) for i in range(months)],
        end=midnight(today + datetime.timedelta(days=1)),
    )


def _counts(signals, period: _Period, today: datetime.date) -> dict[str, int]:
    """Every count of the statistics in one aggregate query."""
    in_period = Q(filed_at__gte=period.start, filed_at__lt=period.end)
    triaged = Q(triaged_at__isnull=False)
    counts = {
        "total": Count("pk", filter=in_period),
        # Triage on time: triaged by the end of the due day; the denominator adds the signals
        # still waiting whose due day has passed (they can no longer be on time).
        "triage_measured": Count("pk", filter=in_period & (triaged | Q(triage_due__lt=today))),
        "triaged_on_time": Count(
            "pk", filter=in_period & triaged & Q(triaged_on__lte=F("triage_due"))
        ),
        "overdue": Count("pk", filter=Q(status__in=WAITING_FOR_TRIAGE, triage_due__lt=today)),
    }
    for value in Category.values:
        counts[f"category_{value}"] = Count("pk", filter=in_period & Q(category=value))
    for value in OPEN_STATUSES:
        counts[f"status_{value}"] = Count("pk", filter=in_period & Q(status=value))
    for value in Outcome.values:
        counts[f"outcome_{value}"] = Count(
            "pk", filter=in_period & Q(status=SignalStatus.CLOSED, outcome=value)
        )
    for i, (start, end) in enumerate(period.month_ranges()):
        counts[f"month_{i}"] = Count("pk", filter=Q(filed_at__gte=start, filed_at__lt=end))
    # Every count but the overdue one is of the period: reading only those rows and the ones
    # waiting for triage lets the database use its indexes instead of reading every signal
    # the territory ever had (years of them, kept until three years after closing).
    rows = signals.filter(in_period | Q(status__in=WAITING_FOR_TRIAGE, triage_due__lt=today))
    return rows.alias(triaged_on=TruncDate("triaged_at", tzinfo=period.zone)).aggregate(**counts)


def _school_counts(signals, period: _Period):
    """(territory id, school name, count) of the period, grouped in the database."""
    rows = (
        signals.filter(filed_at__gte=period.start, filed_at__lt=period.end)
        .values("territory_id", "school_id", "school__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(row["territory_id"], row["school__name"], row["n"]) for row in rows]


def _durations(signals, period: _Period):
    """(territory id, filed, triaged, first feedback) of the period: timestamps only."""
    return list(
        signals.filter(filed_at__gte=period.start, filed_at__lt=period.end)
        .filter(Q(triaged_at__isnull=False) | Q(first_feedback_at__isnull=False))
        .order_by()
        .values_list("territory_id", "filed_at", "triaged_at", "first_feedback_at")
    )


def signal_statistics(
    territories, *, today: datetime.date, months: int = 12, schools: bool = True
) -> SignalStatistics:
    """The statistics of the signals of these territories, filed in the last `months` months.

    `territories` is a list (or queryset, read once) of Territory; call it inside a
    django-scopes scope that covers them. Three queries, four when given a queryset.
    """
    return _statistics(list(territories), today=today, months=months, details=True, schools=schools)


def signal_summary(territory, *, today: datetime.date, months: int = 12) -> SignalStatistics:
    """The same numbers for the territory's home page, without the school table: two queries.

    The home page shows the period, the total and the median time to triage of the
    statistics page, hidden the same way: a number hidden there is never shown here.
    """
    return _statistics([territory], today=today, months=months, details=False, schools=False)


def _statistics(territories, *, today, months, details, schools) -> SignalStatistics:
    period = _period(territories, today, months)
    signals = Signal.objects.filter(territory__in=[t.pk for t in territories]).order_by()
    counts = _counts(signals, period, today)
    school_counts = _school_counts(signals, period) if details else []
    durations = _durations(signals, period)
    names = {t.pk: t.name for t in territories}

    by_category = _table(
        [(value, label, counts[f"category_{value}"]) for value, label in Category.choices]
    )
    by_state = _table(
        [
            *(
                (value, label, counts[f"status_{value}"])
                for value, label in SignalStatus.choices
                if value in OPEN_STATUSES
            ),
            *(
                (
                    f"closed_{value}",
                    _("Closed: %(outcome)s") % {"outcome": label},
                    counts[f"outcome_{value}"],
                )
                for value, label in Outcome.choices
            ),
        ]
    )
    by_month = _table(
        [
            (
                start.date().isoformat()[:7],
                formats.date_format(start.date(), "YEAR_MONTH_FORMAT"),
                counts[f"month_{i}"],
            )
            for i, start in enumerate(period.month_starts)
        ]
    )

    by_school = by_territory = territory_total = None
    if schools:
        # Not on a network's page: each territory's count is published there, and schools
        # suppressed across the network could be worked out within one territory.
        school_counts.sort(key=lambda r: (names[r[0]].casefold(), r[1].casefold()))
        cells, total = suppress_counts([n for _t, _name, n in school_counts])
        by_school = Table(
            rows=[
                Row(name, name, cell, group=names[territory_id])
                for (territory_id, name, _n), cell in zip(school_counts, cells, strict=True)
            ],
            total=total,
        )

    to_triage, to_feedback = [], []
    triage_by_territory: dict[int, list] = {pk: [] for pk in names}
    for territory_id, filed_at, triaged_at, feedback_at in durations:
        if triaged_at is not None:
            to_triage.append(triaged_at - filed_at)
            triage_by_territory[territory_id].append(triaged_at - filed_at)
        if feedback_at is not None:
            to_feedback.append(feedback_at - filed_at)

    if details:
        # A network's page: signals and median time to triage by territory.
        per_territory = dict.fromkeys(names, 0)
        for territory_id, _name, n in school_counts:
            per_territory[territory_id] += n
        ordered = sorted(territories, key=lambda t: t.name.casefold())
        cells, territory_total = suppress_counts([per_territory[t.pk] for t in ordered])
        by_territory = [
            TerritoryRow(t.name, cell, _median_days(triage_by_territory[t.pk]))
            for t, cell in zip(ordered, cells, strict=True)
        ]

    return SignalStatistics(
        period_start=period.start.date(),
        period_end=today,
        months=months,
        min_count=min_count(),
        total=by_category.total,
        by_category=by_category,
        by_month=by_month,
        by_state=by_state,
        by_school=by_school,
        by_territory=by_territory or [],
        territory_total=territory_total,
        median_days_to_triage=_median_days(to_triage),
        median_days_to_feedback=_median_days(to_feedback),
        triaged_on_time_percent=_percent(counts["triaged_on_time"], counts["triage_measured"]),
        overdue=small_count(counts["overdue"]),
    )


# --- pages ---------------------------------------------------------------------------------


@territory_view("cases.statistics")
def territory_statistics(request):
    stats = signal_statistics([request.territory], today=timezone.localdate())
    return render(request, "cases/statistics.html", {"stats": stats})


@network_view("network.view")
def network_statistics(request):
    territories = list(request.network.territories.order_by("name"))
    with scope(territory=territories):
        stats = signal_statistics(territories, today=timezone.localdate(), schools=False)
    return render(request, "cases/statistics_network.html", {"stats": stats})


urlpatterns = [
    path(
        "t/<slug:territory>/cases/statistics/",
        territory_statistics,
        name="statistics",
    ),
    path(
        "n/<slug:network>/cases/statistics/",
        network_statistics,
        name="network-statistics",
    ),
]
