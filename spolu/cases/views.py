"""Signal pages: the list of one's signals, filing, the signal with its steps, the case log.

Every view that touches a single signal is declared with `hide=True`, so that a user who may
not see signals gets 404 (the signal's existence is not confirmed), and fetches the signal
through `access.get_signal`, which scopes it to the user's part in it and logs the read.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from spolu.actors.models import SCHOOL_KINDS, Organisation
from spolu.core.access import territory_view
from spolu.core.audit import describe_entries, entries_for_territory, log_export, log_read
from spolu.core.crypto import encrypted_fields
from spolu.core.exports import ListExporter
from spolu.core.forms import posted
from spolu.core.paging import paginate
from spolu.core.permissions import role_can

from . import services
from .access import get_signal, is_department, own_organisations, visible_signals
from .forms import (
    AnswerForm,
    CloseForm,
    EventForm,
    ReferForm,
    SignalForm,
    SupplementForm,
    TriageForm,
)
from .models import (
    OPEN_STATUSES,
    WAITING_FOR_TRIAGE,
    Category,
    Referral,
    ReferralStatus,
    Signal,
    SignalStatus,
)

OVERDUE = Q(status__in=WAITING_FOR_TRIAGE)


def _detail(request, signal):
    return redirect("cases:signal-detail", territory=request.territory.slug, pk=signal.pk)


def _filtered(request, signals):
    """Apply the list's filters (status, category, overdue, school); unknown values are ignored."""
    status = request.GET.get("status", "")
    if status == "open":
        signals = signals.exclude(status=SignalStatus.CLOSED)
    elif status in SignalStatus.values:
        signals = signals.filter(status=status)
    category = request.GET.get("category", "")
    if category in Category.values:
        signals = signals.filter(category=category)
    if request.GET.get("overdue"):
        signals = signals.filter(OVERDUE, triage_due__lt=timezone.localdate())
    return signals


@territory_view("cases.view")
def signal_list(request):
    today = timezone.localdate()
    signals = (
        _filtered(request, visible_signals(request))
        .select_related("school")
        .defer(*encrypted_fields(Signal))  # the list shows no pupil data: nothing to decrypt
    )
    page_obj = paginate(request, signals.order_by("-filed_at", "-pk"))
    own = own_organisations(request)
    pending = (
        Referral.objects.filter(
            territory=request.territory,
            organisation__in=own,
            status=ReferralStatus.PENDING,
            signal__status__in=OPEN_STATUSES,
        ).count()
        if own
        else 0
    )
    context = {
        "page_obj": page_obj,
        "today": today,
        "statuses": [("open", _("Open")), *SignalStatus.choices],
        "categories": Category.choices,
        "may_file": role_can(request.role, "cases.file") and _schools_of(request).exists(),
        "may_export": role_can(request.role, "cases.export"),
        "department": is_department(request),
        "pending_referrals": pending,
        "overdue_count": (
            visible_signals(request).filter(OVERDUE, triage_due__lt=today).count()
            if is_department(request)
            else 0
        ),
    }
    return render(request, "cases/signal_list.html", context)


def _schools_of(request):
    return Organisation.objects.filter(
        pk__in=own_organisations(request), kind__in=SCHOOL_KINDS, active=True
    ).order_by("name")


@territory_view("cases.file")
def signal_add(request):
    schools = _schools_of(request)
    if not schools.exists():
        messages.error(
            request,
            _(
                "Your account is not linked to a school in this territory. Ask the "
                "coordinator to add you to your school's people."
            ),
        )
        return redirect("cases:signal-list", territory=request.territory.slug)
    form = SignalForm(posted(request)[0], schools=schools)
    if request.method == "POST" and form.is_valid():
        signal = form.save(commit=False)
        signal.territory = request.territory
        try:
            signal = services.do_file_signal(signal, acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Signal %(ref)s was sent. The department confirmed its receipt.")
                % {"ref": signal.reference},
            )
            return _detail(request, signal)
    return render(request, "cases/signal_form.html", {"form": form})


@territory_view("cases.view", hide=True)
def signal_detail(request, pk):
    signal, party = get_signal(request, pk)
    return _render_detail(request, signal, party)


def _render_detail(request, signal, party, *, answer_bound=None, **bound):
    """The signal's page; `bound` replaces an empty action form with one that has errors.

    Each form has its own prefix, so that fields of different forms never share an id.
    """
    events = [
        event
        for event in signal.events.select_related("author", "organisation", "support_paid_by")
        if party.sees_event(event)
    ]
    # The school learns about referrals from the events the department shares with it.
    referrals = [
        r for r in signal.referrals.all() if party.department or r.organisation_id in party.referred
    ]
    context = {
        "signal": signal,
        "party": party,
        "events": events,
        "referrals": referrals,
        "overdue": signal.status in WAITING_FOR_TRIAGE and signal.triage_due < timezone.localdate(),
        "pending_referrals": [
            (r, (answer_bound or {}).get(r.pk) or AnswerForm(prefix=f"answer-{r.pk}"))
            for r in party.referred.values()
            if r.status == ReferralStatus.PENDING and signal.is_open
        ],
    }
    if signal.is_open:
        if party.department:
            if signal.status in (SignalStatus.FILED, SignalStatus.RECEIVED, SignalStatus.TRIAGED):
                context["triage_form"] = TriageForm(
                    prefix="triage", initial={"decision": signal.triage_decision or None}
                )
            if signal.status in (SignalStatus.TRIAGED, SignalStatus.REFERRED):
                context["refer_form"] = ReferForm(
                    prefix="refer", territory=request.territory, signal=signal
                )
                context["close_form"] = CloseForm(prefix="close")
        if signal.status in (SignalStatus.TRIAGED, SignalStatus.REFERRED) and (
            party.department or party.accepted_organisations
        ):
            context["event_form"] = EventForm(prefix="event", territory=request.territory)
        if party.school:
            context["supplement_form"] = SupplementForm(prefix="supplement")
    context.update(bound)
    return render(request, "cases/signal_detail.html", context)


def _step(request, pk, action_check, run, form_class, *, name, form_kwargs=None, done):
    """Run one workflow step posted from the signal page.

    A form with errors, or a step the service refuses, shows the signal page again with the
    typed text kept and the errors beside the fields.
    """
    signal, party = get_signal(request, pk, log=False)
    if not action_check(party):
        raise PermissionDenied
    form = form_class(
        request.POST,
        prefix=name.removesuffix("_form"),
        **(form_kwargs(signal) if form_kwargs else {}),
    )
    if form.is_valid():
        try:
            run(signal, party, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, done)
            return _detail(request, signal)
    log_read(signal)  # the page shows the signal again
    signal.refresh_from_db()
    return _render_detail(request, signal, party, **{name: form})


@territory_view("cases.triage", hide=True)
@require_POST
def signal_triage(request, pk):
    return _step(
        request,
        pk,
        lambda party: party.department,
        lambda signal, party, data: services.do_triage(
            signal,
            data["decision"],
            data["reason"],
            acting_user=request.user,
            organisation=services.department_organisation(request),
        ),
        TriageForm,
        name="triage_form",
        done=_("The signal was triaged. The school can read the decision."),
    )


@territory_view("cases.triage", hide=True)
@require_POST
def signal_refer(request, pk):
    return _step(
        request,
        pk,
        lambda party: party.department,
        lambda signal, party, data: services.do_refer(
            signal,
            data["organisations"],
            data["note"],
            acting_user=request.user,
            organisation=services.department_organisation(request),
            visible_to_school=data["visible_to_school"],
        ),
        ReferForm,
        name="refer_form",
        form_kwargs=lambda signal: {"territory": request.territory, "signal": signal},
        done=_("The signal was referred. The organisations were notified."),
    )


@territory_view("cases.handle", hide=True)
@require_POST
def referral_answer(request, pk, referral):
    signal, party = get_signal(request, pk, log=False)
    target = get_object_or_404(signal.referrals.all(), pk=referral)
    if target.organisation_id not in party.referred:
        raise PermissionDenied
    form = AnswerForm(request.POST, prefix=f"answer-{target.pk}")
    accept = False
    if form.is_valid():
        accept = form.cleaned_data["answer"] == "accept"
        try:
            services.do_answer_referral(
                target, accept=accept, reason=form.cleaned_data["reason"], acting_user=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    if form.errors:
        log_read(signal)
        signal.refresh_from_db()
        return _render_detail(request, signal, party, answer_bound={target.pk: form})
    if accept:
        messages.success(request, _("You accepted the signal. Record what you do on this page."))
        return _detail(request, signal)
    messages.success(request, _("The signal was returned to the department."))
    return redirect("cases:signal-list", territory=request.territory.slug)


def _acting_organisation(request, party):
    if party.department:
        return services.department_organisation(request)
    accepted = party.accepted_organisations
    return Organisation.objects.filter(pk=accepted[0]).first() if accepted else None


@territory_view("cases.handle", hide=True)
@require_POST
def signal_event_add(request, pk):
    def run(signal, party, data):
        services.do_record_event(
            signal,
            data["kind"],
            data["text"],
            acting_user=request.user,
            organisation=_acting_organisation(request, party),
            visible_to_school=data["visible_to_school"],
            support_item=data["support_item"],
            support_paid_by=data["support_paid_by"],
            support_amount=data["support_amount"],
        )

    return _step(
        request,
        pk,
        lambda party: party.department or bool(party.accepted_organisations),
        run,
        EventForm,
        name="event_form",
        form_kwargs=lambda signal: {"territory": request.territory},
        done=_("It was recorded."),
    )


@territory_view("cases.handle", hide=True)
@require_POST
def signal_supplement(request, pk):
    return _step(
        request,
        pk,
        lambda party: party.school,
        lambda signal, party, data: services.do_add_supplement(
            signal, data["text"], acting_user=request.user
        ),
        SupplementForm,
        name="supplement_form",
        done=_("Your addition was sent to the department."),
    )


@territory_view("cases.triage", hide=True)
@require_POST
def signal_close(request, pk):
    return _step(
        request,
        pk,
        lambda party: party.department,
        lambda signal, party, data: services.do_close(
            signal,
            data["outcome"],
            data["text"],
            acting_user=request.user,
            organisation=services.department_organisation(request),
        ),
        CloseForm,
        name="close_form",
        done=_("The signal was closed. The school can read the outcome."),
    )


class SignalExporter(ListExporter):
    """The department's list of signals, without any data about the pupil or free text."""

    name = "signals"

    def __init__(self, signals):
        self.signals = signals

    @property
    def headers(self):
        return [
            _("Number"),
            _("Filed"),
            _("School"),
            _("Category"),
            _("Urgency"),
            _("Status"),
            _("Triage due"),
            _("Triaged"),
            pgettext("triage", "Decision"),
            _("Referrals"),
            _("Closed"),
            _("Outcome"),
        ]

    def rows(self):
        for s in self.signals:
            yield [
                s.reference,
                timezone.localtime(s.filed_at).date(),
                s.school.name,
                s.get_category_display(),
                s.get_urgency_display(),
                s.get_status_display(),
                s.triage_due,
                timezone.localtime(s.triaged_at).date() if s.triaged_at else None,
                s.get_triage_decision_display(),
                s.referral_count,
                timezone.localtime(s.closed_at).date() if s.closed_at else None,
                s.get_outcome_display(),
            ]


@territory_view("cases.export")
def signal_export(request, fmt):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    signals = list(
        _filtered(request, visible_signals(request))
        .select_related("school")
        .defer(*encrypted_fields(Signal))
        .annotate(referral_count=Count("referrals"))
        .order_by("number")
    )
    log_export(signals, acting_user=request.user, what=f"list.{fmt}")
    return SignalExporter(signals).response(fmt)


@territory_view("cases.audit")
def case_log(request):
    entries = entries_for_territory(request.territory, cases=True)
    number = request.GET.get("signal", "").strip().upper().removeprefix("S-")
    searched = None
    if number:
        searched = (
            Signal.objects.filter(territory=request.territory, number=number).first()
            if number.isdecimal() and len(number) < 10
            else None
        )
        entries = entries.filter(additional_data__signal=searched.pk if searched else -1)
    page_obj = paginate(request, entries, per_page=50)
    describe_entries(list(page_obj))
    return render(
        request,
        "cases/case_log.html",
        {"page_obj": page_obj, "signal_query": request.GET.get("signal", ""), "searched": searched},
    )
