"""How long pupil data stays: anonymising closed signals, and data-subject requests.

A closed signal keeps its free text and the pupil's reference for SPOLU_CASES_RETENTION_YEARS
after closing; then `do_anonymise_expired` (a daily task, or `manage.py anonymise_signals`)
removes them and keeps what statistics count. A family may ask what Spolu holds about a pupil
(`subject_export_json`, `subject_export_pdf`) or ask for it to be erased (`do_erase_subject`);
the head of case work answers from spolu/cases/subject.py. Every export, change and erasure
leaves an audit entry.
"""

import datetime
import json
import logging
import re
import secrets
import zoneinfo

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_scopes import scope, scopes_disabled

from spolu.core.audit import acting_as, log_export
from spolu.core.documents import html_to_pdf

from .models import EventKind, Referral, Signal, SignalEvent, SignalStatus

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
JSON_CONTENT_TYPE = "application/json"
PDF_CONTENT_TYPE = "application/pdf"


def anonymous_reference() -> str:
    """A token that stands in for the pupil's reference and means nothing at the school."""
    return "anon-" + secrets.token_hex(4)


# Anonymising -------------------------------------------------------------------------------

ANONYMISED_FIELDS = [
    "pupil_reference",
    "pupil_initials",
    "description",
    "school_actions",
    "birth_year",
    "grade",
]


def _anonymise(signal: Signal, *, acting_user, now) -> tuple[Signal, bool]:
    with scope(territory=signal.territory_id), transaction.atomic(), acting_as(acting_user):
        locked = Signal.objects.select_for_update().get(pk=signal.pk)
        if locked.anonymised_at is not None:
            return locked, False
        locked.pupil_reference = anonymous_reference()
        locked.pupil_initials = ""
        locked.description = ""
        locked.school_actions = ""
        # The year of birth goes and the grade keeps only its level ("7.B" -> "7"): with the
        # school and the dates they could still point to one child.
        locked.birth_year = None
        locked.grade = _grade_level(locked.grade)
        locked.anonymised_at = now
        # save() rather than update() so that the audit log records the anonymisation (the
        # encrypted fields themselves are excluded from the log; `anonymised` is not).
        locked.save(update_fields=[*ANONYMISED_FIELDS, "anonymised_at"])
        # The texts are encrypted and not audited: a bulk update loses nothing in the log.
        SignalEvent.objects.filter(signal=locked).update(text="", support_item="")
        Referral.objects.filter(signal=locked).update(note="", return_reason="")
        SignalEvent.objects.create(
            territory_id=locked.territory_id,
            signal=locked,
            kind=EventKind.ANONYMISED,
            author=acting_user,
            visible_to_school=False,
        )
    return locked, True


def _grade_level(grade: str) -> str:
    digits = re.match(r"\s*(\d+)", grade or "")
    return digits.group(1) if digits else ""


def do_anonymise(signal: Signal, *, acting_user=None, now=None) -> Signal:
    """Remove the pupil's details and every free text from a signal; keep what is counted.

    Kept: category, urgency, dates, school, status, triage decision, outcome, the grade's
    level (not the class), referrals (who, when, answer) and material support (what, who
    paid, how much).
    Running it again on an anonymised signal changes nothing.
    """
    anonymised, _changed = _anonymise(signal, acting_user=acting_user, now=now or timezone.now())
    return anonymised


def retention_cutoff(now=None) -> datetime.datetime:
    """Signals closed before this moment have been kept long enough."""
    now = now or timezone.now()
    return now - relativedelta(years=settings.SPOLU_CASES_RETENTION_YEARS)


def _expired(now):
    # Callers open scopes_disabled(): retention runs across every territory on purpose.
    return Signal.objects.filter(
        status=SignalStatus.CLOSED,
        closed_at__lt=retention_cutoff(now),
        anonymised_at__isnull=True,
    )


def count_expired(*, now=None) -> int:
    """How many closed signals are past the retention period and not yet anonymised."""
    with scopes_disabled():
        return _expired(now or timezone.now()).count()


def do_anonymise_expired(*, now=None) -> int:
    """Anonymise every closed signal past the retention period, in every territory."""
    now = now or timezone.now()
    with scopes_disabled():
        pks = list(_expired(now).order_by("pk").values_list("pk", flat=True))
    count = 0
    for start in range(0, len(pks), BATCH_SIZE):
        with scopes_disabled():
            batch = list(
                Signal.objects.filter(pk__in=pks[start : start + BATCH_SIZE]).only(
                    "pk", "territory_id"
                )
            )
        for signal in batch:
            _signal, changed = _anonymise(signal, acting_user=None, now=now)
            count += changed
    logger.info(
        "Anonymised %d closed signals (closed more than %d years ago)",
        count,
        settings.SPOLU_CASES_RETENTION_YEARS,
    )
    return count


# Data-subject requests -------------------------------------------------------------------


def _same_reference(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def subject_signals(territory, school, reference: str) -> list[Signal]:
    """The signals a school filed about the pupil with this reference, oldest first.

    The reference is encrypted, so SQL cannot compare it: every signal of the school is
    decrypted here (only that column) and compared without case and surrounding spaces.
    """
    if not reference.strip() or school.territory_id != territory.pk:
        return []
    with scope(territory=territory):
        candidates = Signal.objects.filter(territory=territory, school=school).only(
            "pk", "pupil_reference"
        )
        pks = [s.pk for s in candidates if _same_reference(s.pupil_reference, reference)]
        if not pks:
            return []
        return list(Signal.objects.filter(pk__in=pks).order_by("number"))


def _loaded(signals) -> list[Signal]:
    """The signals again with everything an export shows, in a fixed number of queries."""
    signals = list(signals)
    if not signals:
        return []
    territories = {s.territory_id for s in signals}
    if len(territories) != 1:
        raise ValueError("A data-subject request concerns one territory.")
    with scope(territory=territories.pop()):
        return list(
            Signal.objects.filter(pk__in=[s.pk for s in signals])
            .select_related("territory", "school", "filed_by")
            .prefetch_related(
                Prefetch(
                    "referrals",
                    queryset=Referral.objects.select_related(
                        "organisation", "created_by", "answered_by"
                    ).order_by("created_at", "pk"),
                ),
                Prefetch(
                    "events",
                    queryset=SignalEvent.objects.select_related(
                        "author", "organisation", "support_paid_by", "referral__organisation"
                    ).order_by("created_at", "pk"),
                ),
            )
            .order_by("number")
        )


def _name(obj) -> str:
    return str(obj) if obj is not None else ""


def _signal_record(signal: Signal) -> dict:
    """Everything Spolu holds about one signal, as labelled values (labels translated)."""
    fields = [
        ("reference", pgettext("case", "Signal"), signal.reference),
        ("school", _("School"), signal.school.name),
        ("pupil_reference", _("School's reference for the pupil"), signal.pupil_reference),
        ("pupil_initials", _("Initials"), signal.pupil_initials),
        ("birth_year", _("Year of birth"), signal.birth_year),
        ("grade", _("Grade"), signal.grade),
        ("category", _("Category"), signal.get_category_display()),
        ("urgency", _("Urgency"), signal.get_urgency_display()),
        ("description", _("What the school noticed"), signal.description),
        ("school_actions", _("What the school already did"), signal.school_actions),
        ("filed_at", _("Filed"), signal.filed_at),
        ("filed_by", _("Filed by"), _name(signal.filed_by)),
        ("status", _("Status"), signal.get_status_display()),
        ("triage_due", _("Triage due"), signal.triage_due),
        ("triaged_at", _("Triaged"), signal.triaged_at),
        ("triage_decision", _("Triage decision"), signal.get_triage_decision_display()),
        ("first_feedback_at", _("First feedback to the school"), signal.first_feedback_at),
        ("closed_at", _("Closed"), signal.closed_at),
        ("outcome", _("Outcome"), signal.get_outcome_display()),
        ("anonymised_at", _("Anonymised"), signal.anonymised_at),
    ]
    referrals = [
        {
            "organisation": referral.organisation.name,
            "status": referral.get_status_display(),
            "note": referral.note,
            "created_at": referral.created_at,
            "created_by": _name(referral.created_by),
            "answered_at": referral.answered_at,
            "answered_by": _name(referral.answered_by),
            "return_reason": referral.return_reason,
        }
        for referral in signal.referrals.all()
    ]
    events = [
        {
            "kind": event.get_kind_display(),
            "created_at": event.created_at,
            "author": _name(event.author),
            "organisation": event.organisation.name if event.organisation else "",
            "referral_to": event.referral.organisation.name if event.referral else "",
            "decision_or_outcome": str(event.code_label),
            "text": event.text,
            "visible_to_school": event.visible_to_school,
            "support_item": event.support_item,
            "support_paid_by": event.support_paid_by.name if event.support_paid_by else "",
            "support_amount": event.support_amount,
        }
        for event in signal.events.all()
    ]
    return {
        "reference": signal.reference,
        "fields": fields,
        "referrals": referrals,
        "events": events,
    }


def _document(signals) -> dict:
    signals = _loaded(signals)
    territory = signals[0].territory if signals else None
    return {
        "territory": territory.name if territory else "",
        "time_zone": territory.time_zone if territory else settings.TIME_ZONE,
        "generated_at": timezone.now(),
        "language": translation.get_language(),
        "signals": [_signal_record(signal) for signal in signals],
    }


def subject_export_json(signals) -> bytes:
    """What Spolu holds about the pupil, as UTF-8 JSON (labels in the current language)."""
    document = _document(signals)
    data = {
        "territory": document["territory"],
        "generated_at": document["generated_at"],
        "language": document["language"],
        "signals": [
            {
                **{key: value for key, _label, value in record["fields"]},
                "referrals": record["referrals"],
                "events": record["events"],
            }
            for record in document["signals"]
        ],
    }
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def subject_export_pdf(signals) -> bytes:
    """The same content as the JSON, as an A4 PDF; ExportUnavailable without WeasyPrint."""
    document = _document(signals)
    # Times as the territory's clock shows them, whoever downloads the document.
    with timezone.override(zoneinfo.ZoneInfo(document["time_zone"])):
        html = render_to_string("cases/documents/subject.html", {"document": document})
    return html_to_pdf(html)


SUBJECT_EXPORTS = {
    "json": (subject_export_json, JSON_CONTENT_TYPE),
    "pdf": (subject_export_pdf, PDF_CONTENT_TYPE),
}


def do_export_subject(signals, fmt: str, *, acting_user) -> bytes:
    """The export in `fmt` ("json" or "pdf"), written to the audit log once it is made."""
    export, _content_type = SUBJECT_EXPORTS[fmt]
    signals = list(signals)
    content = export(signals)
    log_export(signals, acting_user=acting_user, what=f"subject.{fmt}")
    return content


def do_erase_subject(signals, *, acting_user) -> int:
    """Delete the signals with their events and referrals; returns how many were deleted.

    The audit log keeps a delete entry per signal, event and referral (without any text or
    the pupil's reference, which it never records).
    """
    signals = list(signals)
    if not signals:
        return 0
    territories = {s.territory_id for s in signals}
    if len(territories) != 1:
        raise ValueError("A data-subject request concerns one territory.")
    territory_id = territories.pop()
    with scope(territory=territory_id), transaction.atomic(), acting_as(acting_user):
        # The collector sends a delete signal for every row (the models are audited), so
        # each signal, event and referral gets its own audit entry.
        _total, deleted = Signal.objects.filter(pk__in=[s.pk for s in signals]).delete()
        count = deleted.get(Signal._meta.label, 0)
    logger.info(
        "Erased %d signals of territory %s on a data-subject request (user %s)",
        count,
        territory_id,
        getattr(acting_user, "pk", None),
    )
    return count
