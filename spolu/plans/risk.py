"""When a measure is at risk, computed in the database so that lists stay one query.

A measure is at risk when it is
- past its end date and neither done nor cancelled, or
- responsible for an open task whose due date has passed, or
- in progress with no progress update for SPOLU_STALE_PROGRESS_DAYS days (counted from its
  start when it never had one).
"""

import datetime

from django.conf import settings
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import FINISHED_MEASURE_STATUSES, MeasureStatus, Task, TaskStatus


def stale_days() -> int:
    return settings.SPOLU_STALE_PROGRESS_DAYS


def annotate_risk(measures, today: datetime.date):
    """Add `is_late`, `has_overdue_tasks`, `is_stale` and `at_risk` to a measure queryset."""
    stale_before = today - datetime.timedelta(days=stale_days())
    overdue = Task.objects.filter(measure=OuterRef("pk"), status=TaskStatus.OPEN, due__lt=today)
    return measures.annotate(
        is_late=Case(
            When(Q(end__lt=today) & ~Q(status__in=FINISHED_MEASURE_STATUSES), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        has_overdue_tasks=Exists(overdue),
        is_stale=Case(
            When(
                Q(status=MeasureStatus.IN_PROGRESS) & Q(progress_since__lt=stale_before),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
    ).annotate(
        at_risk=Case(
            When(Q(is_late=True) | Q(has_overdue_tasks=True) | Q(is_stale=True), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def with_progress_since(measures):
    # The date the stale rule counts from: the last update, else the start, else creation.
    return measures.annotate(
        progress_since=Coalesce(F("last_progress_on"), F("start"), F("created__date"))
    )


def measures_with_risk(measures, today: datetime.date):
    return annotate_risk(with_progress_since(measures), today)


def risk_reasons(measure, today: datetime.date) -> list[str]:
    """Why an annotated measure is at risk, in words for the page."""
    reasons = []
    if measure.is_late:
        reasons.append(
            _("Its end date (%(date)s) has passed and it is not done.")
            % {"date": date_format(measure.end, "SHORT_DATE_FORMAT")}
        )
    if measure.has_overdue_tasks:
        reasons.append(_("It has overdue tasks."))
    if measure.is_stale:
        days = stale_days()
        reasons.append(
            ngettext(
                "It is in progress but had no progress update for %(days)s day.",
                "It is in progress but had no progress update for %(days)s days.",
                days,
            )
            % {"days": days}
        )
    return reasons


def rule_explanation() -> str:
    days = stale_days()
    return ngettext(
        "A measure is at risk when its end date has passed and it is not done, when it has "
        "overdue tasks, or when it is in progress and had no progress update for %(days)s day.",
        "A measure is at risk when its end date has passed and it is not done, when it has "
        "overdue tasks, or when it is in progress and had no progress update for %(days)s days.",
        days,
    ) % {"days": days}
