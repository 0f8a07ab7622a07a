"""A platform's rhythm as an RFC 5545 RRULE: built from a simple form, read out in words."""

import datetime
import zoneinfo

from dateutil.rrule import rrulestr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

WEEKDAYS = [
    ("MO", pgettext_lazy("weekday", "Monday")),
    ("TU", pgettext_lazy("weekday", "Tuesday")),
    ("WE", pgettext_lazy("weekday", "Wednesday")),
    ("TH", pgettext_lazy("weekday", "Thursday")),
    ("FR", pgettext_lazy("weekday", "Friday")),
]
ORDINALS = [
    ("1", gettext_lazy("first")),
    ("2", gettext_lazy("second")),
    ("3", gettext_lazy("third")),
    ("4", gettext_lazy("fourth")),
    ("-1", gettext_lazy("last")),
]
FREQUENCIES = [
    ("", gettext_lazy("No regular rhythm")),
    ("weekly", gettext_lazy("Every week")),
    ("biweekly", gettext_lazy("Every two weeks")),
    ("monthly", gettext_lazy("Every month")),
    ("quarterly", gettext_lazy("Every three months")),
]


def build_rule(frequency: str, weekday: str, ordinal: str = "1") -> str:
    """The RRULE for a form's choice, e.g. ("monthly", "TH", "1") → FREQ=MONTHLY;BYDAY=+1TH."""
    if not frequency:
        return ""
    if frequency in ("weekly", "biweekly"):
        interval = ";INTERVAL=2" if frequency == "biweekly" else ""
        return f"FREQ=WEEKLY{interval};BYDAY={weekday}"
    interval = ";INTERVAL=3" if frequency == "quarterly" else ""
    sign = "" if ordinal.startswith("-") else "+"
    return f"FREQ=MONTHLY{interval};BYDAY={sign}{ordinal}{weekday}"


def parse_rule(rule: str) -> dict:
    """The form's choices back from an RRULE written by build_rule ({} if it is another rule)."""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    frequency, interval, byday = (
        parts.get("FREQ"),
        parts.get("INTERVAL", "1"),
        parts.get("BYDAY", ""),
    )
    weekday = byday[-2:]
    ordinal = byday[:-2].lstrip("+")
    if frequency == "WEEKLY":
        return {"frequency": "biweekly" if interval == "2" else "weekly", "weekday": weekday}
    if frequency == "MONTHLY" and ordinal:
        name = "quarterly" if interval == "3" else "monthly"
        return {"frequency": name, "weekday": weekday, "ordinal": ordinal}
    return {}


def describe(rule: str) -> str:
    """The rhythm in words, in the current language ("Monthly on the first Thursday")."""
    if not rule:
        return _("No regular rhythm")
    choice = parse_rule(rule)
    if not choice:
        return rule
    day = str(dict(WEEKDAYS).get(choice["weekday"], choice["weekday"]))
    if choice["frequency"] == "weekly":
        return _("Every week on %(day)s") % {"day": day}
    if choice["frequency"] == "biweekly":
        return _("Every two weeks on %(day)s") % {"day": day}
    ordinal = str(dict(ORDINALS).get(choice["ordinal"], choice["ordinal"]))
    if choice["frequency"] == "quarterly":
        return _("Every three months on the %(ordinal)s %(day)s") % {"ordinal": ordinal, "day": day}
    return _("Every month on the %(ordinal)s %(day)s") % {"ordinal": ordinal, "day": day}


def occurrences(rule: str, first: datetime.datetime, time_zone: str, *, after, count=1):
    """The next `count` start times of the series strictly after `after`, as aware datetimes.

    The series runs in local time, so a meeting stays at 14:00 across daylight-saving changes.
    """
    if not rule or first is None:
        return []
    zone = zoneinfo.ZoneInfo(time_zone)
    local_first = first.astimezone(zone).replace(tzinfo=None)
    local_after = after.astimezone(zone).replace(tzinfo=None)
    series = rrulestr(rule, dtstart=local_first)
    found = []
    moment = series.after(local_after, inc=False)
    while moment is not None and len(found) < count:
        found.append(moment.replace(tzinfo=zone))
        moment = series.after(moment, inc=False)
    return found


def between(rule: str, first, time_zone: str, start, end):
    """All start times of the series in [start, end], as aware datetimes."""
    if not rule or first is None:
        return []
    zone = zoneinfo.ZoneInfo(time_zone)
    local = lambda moment: moment.astimezone(zone).replace(tzinfo=None)  # noqa: E731
    series = rrulestr(rule, dtstart=local(first))
    return [m.replace(tzinfo=zone) for m in series.between(local(start), local(end), inc=True)]
