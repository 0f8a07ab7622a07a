"""Business operations on signals: filing, triage, referral, answers, actions and closing.

Every step writes a SignalEvent (author, time, whether the school sees it) and refuses a step
out of order with a ValidationError that changes nothing. E-mails only say that something
needs attention and link to it; they never carry a pupil's data.
"""

import datetime

import holidays
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from spolu.actors.models import SCHOOL_KINDS, Organisation

from . import notify
from .models import (
    ALWAYS_FOR_SCHOOL,
    OPEN_STATUSES,
    Category,
    EventKind,
    Outcome,
    Referral,
    ReferralStatus,
    Signal,
    SignalEvent,
    SignalStatus,
    TriageDecision,
)

MIN_BIRTH_YEAR_AGE, MAX_BIRTH_YEAR_AGE = 2, 26


def add_working_days(start: datetime.date, days: int, country: str) -> datetime.date:
    """The date `days` working days after `start`, skipping weekends and public holidays."""
    years = range(start.year, start.year + 2)
    public = holidays.country_holidays(country, years=years)
    current = start
    while days > 0:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5 and current not in public:
            days -= 1
    return current


def _event(signal, kind, *, acting_user, organisation=None, text="", visible=None, **extra):
    visible = True if kind in ALWAYS_FOR_SCHOOL else bool(visible)
    event = SignalEvent.objects.create(
        territory_id=signal.territory_id,
        signal=signal,
        kind=kind,
        author=acting_user,
        organisation=organisation,
        text=text,
        visible_to_school=visible,
        **extra,
    )
    if visible and kind not in (EventKind.FILED, EventKind.RECEIVED, EventKind.SUPPLEMENT):
        if signal.first_feedback_at is None:
            signal.first_feedback_at = event.created_at
            signal.save(update_fields=["first_feedback_at"])
        notify.school_has_news(signal)
    return event


def _require_status(signal, allowed, message):
    if signal.status not in allowed:
        raise ValidationError(message)


def _validate_signal(signal: Signal, today: datetime.date) -> None:
    errors = {}
    if signal.category not in Category.values:
        errors["category"] = _("Choose one of the listed categories.")
    if signal.birth_year is not None and not (
        today.year - MAX_BIRTH_YEAR_AGE <= signal.birth_year <= today.year - MIN_BIRTH_YEAR_AGE
    ):
        errors["birth_year"] = _("Enter a year of birth between %(low)s and %(high)s.") % {
            "low": today.year - MAX_BIRTH_YEAR_AGE,
            "high": today.year - MIN_BIRTH_YEAR_AGE,
        }
    if (
        signal.school_id is None
        or signal.school.territory_id != signal.territory_id
        or signal.school.kind not in SCHOOL_KINDS
    ):
        errors["school"] = _("Choose a school of this territory.")
    if errors:
        raise ValidationError(errors)
    signal.full_clean(exclude=["territory", "number", "triage_due", "school", "filed_by"])


@transaction.atomic
def do_file_signal(signal: Signal, *, acting_user) -> Signal:
    """A school files a signal; it is acknowledged at once and waits for triage."""
    today = timezone.localdate()
    _validate_signal(signal, today)
    signal.filed_by = acting_user
    signal.status = SignalStatus.RECEIVED
    signal.triage_due = add_working_days(
        today, settings.SPOLU_CASES_TRIAGE_DAYS, signal.territory.country
    )
    for _attempt in range(3):
        last = Signal.objects.filter(territory_id=signal.territory_id).aggregate(n=Max("number"))
        signal.number = (last["n"] or 0) + 1
        try:
            with transaction.atomic():
                signal.save()
            break
        except IntegrityError:  # another signal took the number meanwhile
            signal.pk = None
            continue
    else:
        raise ValidationError(_("The signal could not be numbered; please send it again."))
    _event(signal, EventKind.FILED, acting_user=acting_user, organisation=signal.school)
    _event(
        signal,
        EventKind.RECEIVED,
        acting_user=None,
        text=_("The department received the signal. It will be triaged by %(date)s.")
        % {"date": signal.triage_due.strftime("%d.%m.%Y")},
    )
    notify.signal_received(signal)
    notify.department_needs_triage(signal)
    return signal


@transaction.atomic
def do_add_supplement(signal: Signal, text: str, *, acting_user) -> SignalEvent:
    """The school adds what it learned since; the signal itself is never rewritten."""
    _require_status(signal, OPEN_STATUSES, _("The signal is closed."))
    if not text.strip():
        raise ValidationError({"text": _("Write what you want to add.")})
    event = _event(
        signal, EventKind.SUPPLEMENT, acting_user=acting_user, organisation=signal.school, text=text
    )
    notify.department_has_news(signal)
    return event


@transaction.atomic
def do_triage(signal: Signal, decision: str, reason: str, *, acting_user, organisation=None):
    """A case worker decides who takes the signal up; the school always hears the decision."""
    _require_status(
        signal,
        (SignalStatus.FILED, SignalStatus.RECEIVED, SignalStatus.TRIAGED),
        _("Only a signal that is waiting for triage can be triaged."),
    )
    if decision not in TriageDecision.values:
        raise ValidationError({"decision": _("Choose one of the listed decisions.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why: the school will read it.")})
    signal.status = SignalStatus.TRIAGED
    signal.triage_decision = decision
    # Time to triage counts to the first decision; a change of mind does not reset it.
    signal.triaged_at = signal.triaged_at or timezone.now()
    signal.save(update_fields=["status", "triage_decision", "triaged_at"])
    return _event(
        signal,
        EventKind.TRIAGED,
        acting_user=acting_user,
        organisation=organisation,
        text=reason.strip(),
        code=decision,
    )


@transaction.atomic
def do_refer(
    signal: Signal,
    organisations,
    note: str,
    *,
    acting_user,
    organisation=None,
    visible_to_school=True,
) -> list[Referral]:
    """Refer a triaged signal to organisations of the territory; each answers on its own."""
    _require_status(
        signal,
        (SignalStatus.TRIAGED, SignalStatus.REFERRED),
        _("Triage the signal before referring it."),
    )
    if signal.triage_decision not in (TriageDecision.REFER, TriageDecision.DEPARTMENT):
        raise ValidationError(
            _("The triage decision does not refer the signal: change the decision first.")
        )
    organisations = list(organisations)
    if not organisations:
        raise ValidationError({"organisations": _("Choose at least one organisation.")})
    if any(o.territory_id != signal.territory_id for o in organisations):
        raise ValidationError({"organisations": _("Choose organisations of this territory.")})
    if any(o.pk == signal.school_id for o in organisations):
        raise ValidationError(
            {"organisations": _("The signal cannot be referred to the school that filed it.")}
        )
    active = set(
        signal.referrals.filter(
            status__in=(ReferralStatus.PENDING, ReferralStatus.ACCEPTED)
        ).values_list("organisation_id", flat=True)
    )
    already = [o for o in organisations if o.pk in active]
    if already:
        raise ValidationError(
            {
                "organisations": _("Already referred to: %(names)s.")
                % {"names": ", ".join(str(o) for o in already)}
            }
        )
    referrals = []
    for target in organisations:
        referral, _created = Referral.objects.update_or_create(
            territory_id=signal.territory_id,
            signal=signal,
            organisation=target,
            defaults={
                "note": note,
                "status": ReferralStatus.PENDING,
                "created_by": acting_user,
                "answered_at": None,
                "answered_by": None,
                "return_reason": "",
            },
        )
        if not _created:  # a returned referral asked again counts from now
            Referral.objects.filter(pk=referral.pk).update(created_at=timezone.now())
            referral.refresh_from_db()
        referrals.append(referral)
        _event(
            signal,
            EventKind.REFERRED,
            acting_user=acting_user,
            organisation=organisation,
            referral=referral,
            text=_("Referred to %(organisation)s.") % {"organisation": target},
            visible=visible_to_school,
        )
        notify.organisation_has_referral(referral)
    signal.status = SignalStatus.REFERRED
    signal.save(update_fields=["status"])
    return referrals


@transaction.atomic
def do_answer_referral(referral: Referral, *, accept: bool, reason: str = "", acting_user):
    """The referred organisation accepts the signal or returns it with a reason."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    signal = referral.signal
    if referral.status != ReferralStatus.PENDING:
        raise ValidationError(_("This referral was already answered."))
    _require_status(signal, (SignalStatus.REFERRED,), _("The signal is no longer referred."))
    if not accept and not reason.strip():
        raise ValidationError({"reason": _("Say why you return the signal.")})
    referral.status = ReferralStatus.ACCEPTED if accept else ReferralStatus.RETURNED
    referral.answered_at = timezone.now()
    referral.answered_by = acting_user
    referral.return_reason = "" if accept else reason.strip()
    referral.save()
    event = _event(
        signal,
        EventKind.ACCEPTED if accept else EventKind.RETURNED,
        acting_user=acting_user,
        organisation=referral.organisation,
        referral=referral,
        text=referral.return_reason,
    )
    if not accept:
        notify.department_has_news(signal)
    return event


RECORDABLE = (EventKind.ACTION, EventKind.SUPPORT, EventKind.FEEDBACK)


@transaction.atomic
def do_record_event(
    signal: Signal,
    kind: str,
    text: str,
    *,
    acting_user,
    organisation=None,
    visible_to_school=False,
    support_item="",
    support_paid_by=None,
    support_amount=None,
) -> SignalEvent:
    """A case worker or an organisation that accepted the referral records what happened."""
    _require_status(
        signal,
        (SignalStatus.TRIAGED, SignalStatus.REFERRED),
        _("Actions are recorded on a triaged signal that is not closed."),
    )
    if kind not in RECORDABLE:
        raise ValidationError({"kind": _("Choose one of the listed kinds.")})
    if not text.strip() and kind != EventKind.SUPPORT:
        raise ValidationError({"text": _("Describe what was done.")})
    if kind == EventKind.SUPPORT:
        if not support_item.strip():
            raise ValidationError({"support_item": _("Say what was provided.")})
        if support_paid_by is not None and support_paid_by.territory_id != signal.territory_id:
            raise ValidationError(
                {"support_paid_by": _("Choose an organisation of this territory.")}
            )
        if support_amount is not None and support_amount < 0:
            raise ValidationError({"support_amount": _("The amount cannot be negative.")})
    else:
        support_item, support_paid_by, support_amount = "", None, None
    event = _event(
        signal,
        kind,
        acting_user=acting_user,
        organisation=organisation,
        text=text.strip(),
        visible=visible_to_school or kind == EventKind.FEEDBACK,
        support_item=support_item.strip(),
        support_paid_by=support_paid_by,
        support_amount=support_amount,
    )
    if organisation is not None and organisation.pk != signal.school_id:
        notify.department_has_news(signal, exclude=acting_user)
    return event


@transaction.atomic
def do_close(signal: Signal, outcome: str, text: str, *, acting_user, organisation=None):
    """Close a triaged signal with an outcome; the school always hears it."""
    if signal.status in (SignalStatus.FILED, SignalStatus.RECEIVED):
        raise ValidationError(_("A signal must be triaged before it can be closed."))
    _require_status(signal, OPEN_STATUSES, _("The signal is already closed."))
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose one of the listed outcomes.")})
    signal.status = SignalStatus.CLOSED
    signal.outcome = outcome
    signal.closed_at = timezone.now()
    signal.save(update_fields=["status", "outcome", "closed_at"])
    # An organisation that never answered loses the signal with its closing.
    for referral in signal.referrals.filter(status=ReferralStatus.PENDING):
        referral.status = ReferralStatus.WITHDRAWN
        referral.answered_at = signal.closed_at
        referral.save(update_fields=["status", "answered_at"])
    return _event(
        signal,
        EventKind.CLOSED,
        acting_user=acting_user,
        organisation=organisation,
        text=text.strip(),
        code=outcome,
    )


def department_organisation(request) -> Organisation | None:
    """The organisation a case worker acts for: their department, if they are linked to one."""
    from .access import own_organisations

    own = own_organisations(request)
    if not own:
        return None
    return Organisation.objects.filter(pk__in=own).order_by("name").first()
