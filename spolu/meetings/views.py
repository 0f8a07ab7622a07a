"""Platform and meeting pages: series, agenda with the plan review, attendance, minutes."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Min, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from spolu.actors.models import Person
from spolu.core.access import territory_view
from spolu.core.forms import posted
from spolu.core.paging import paginate
from spolu.core.permissions import role_can
from spolu.plans.models import Task

from . import recurrence, services
from .access import get_meeting, get_platform, may_run, visible_platforms
from .cooperation import territory_cooperation
from .forms import (
    ATTENDANCE_CHOICES,
    AgendaItemForm,
    CorrectionForm,
    DecisionForm,
    MeetingForm,
    MinutesForm,
    PlatformForm,
    TopicForm,
)
from .minutes import sanitize_minutes
from .models import (
    AgendaItem,
    AgendaKind,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    Platform,
)


def _require_run(request, platform):
    if not may_run(request, platform):
        raise PermissionDenied


def _meeting_url(request, meeting):
    return redirect("meetings:meeting-detail", territory=request.territory.slug, pk=meeting.pk)


# --- platforms ---------------------------------------------------------------------------


@territory_view("meetings.view")
def platform_list(request):
    now = timezone.now()
    platforms = (
        visible_platforms(request)
        .select_related("facilitator")
        .annotate(
            next_meeting=Min(
                "meetings__starts_at",
                filter=Q(meetings__starts_at__gte=now, meetings__status=MeetingStatus.PLANNED),
            ),
            organisation_count=Count("member_organisations", distinct=True),
        )
        .order_by("name")
    )
    may_manage = role_can(request.role, "meetings.manage")
    context = {
        "page_obj": paginate(request, platforms),
        "may_add": may_manage,
        "cooperation": (
            territory_cooperation(request.territory, today=timezone.localdate())
            if may_manage
            else []
        ),
    }
    return render(request, "meetings/platform_list.html", context)


def _platform_form(request, platform):
    form = PlatformForm(posted(request)[0], instance=platform, territory=request.territory)
    if request.method == "POST" and form.is_valid():
        try:
            platform = services.do_save_platform(
                form.save(commit=False),
                organisations=form.cleaned_data["member_organisations"],
                people=form.cleaned_data["member_people"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The platform was saved."))
            return redirect(
                "meetings:platform-detail", territory=request.territory.slug, pk=platform.pk
            )
    return render(request, "meetings/platform_form.html", {"form": form, "platform": platform})


@territory_view("meetings.manage")
def platform_add(request):
    return _platform_form(request, Platform(territory=request.territory))


@territory_view("meetings.view")
def platform_edit(request, pk):
    platform = get_platform(request, pk)
    _require_run(request, platform)
    return _platform_form(request, platform)


@territory_view("meetings.view")
def platform_detail(request, pk):
    from .cooperation import platform_cooperation

    platform = get_platform(request, pk)
    now = timezone.now()
    meetings = platform.meetings.order_by("starts_at")
    context = {
        "platform": platform,
        "rhythm": recurrence.describe(platform.recurrence),
        "organisations": list(platform.member_organisations.order_by("name")),
        "people": list(platform.member_people.filter(has_left=False).order_by("full_name")),
        "upcoming": list(meetings.filter(starts_at__gte=now)[:6]),
        "past": list(meetings.filter(starts_at__lt=now).order_by("-starts_at")[:12]),
        "topics": list(
            platform.topics.filter(agenda_items__isnull=True)
            .select_related("proposed_by")
            .order_by("created")
        ),
        "topic_form": TopicForm(),
        "may_run": may_run(request, platform),
        "report": platform_cooperation(platform, today=timezone.localdate()),
    }
    return render(request, "meetings/platform_detail.html", context)


@territory_view("meetings.view")
@require_POST
def platform_generate(request, pk):
    platform = get_platform(request, pk)
    _require_run(request, platform)
    try:
        created = services.do_generate_meetings(platform, count=1, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("meetings:platform-detail", territory=request.territory.slug, pk=pk)
    if not created:
        messages.info(request, _("The series has no further meeting."))
        return redirect("meetings:platform-detail", territory=request.territory.slug, pk=pk)
    messages.success(request, _("The next meeting was planned with its usual agenda."))
    return _meeting_url(request, created[0])


@territory_view("meetings.view")
@require_POST
def topic_add(request, pk):
    platform = get_platform(request, pk)
    form = TopicForm(request.POST)
    if form.is_valid():
        services.do_propose_topic(platform, acting_user=request.user, **form.cleaned_data)
        messages.success(request, _("Thank you, the topic was proposed."))
    else:
        messages.error(request, _("Write the topic first."))
    return redirect("meetings:platform-detail", territory=request.territory.slug, pk=pk)


# --- meetings ----------------------------------------------------------------------------


@territory_view("meetings.view")
def meeting_add(request, pk):
    platform = get_platform(request, pk)
    _require_run(request, platform)
    meeting = Meeting(
        territory=request.territory,
        platform=platform,
        place=platform.default_place,
        online_link=platform.default_online_link,
    )
    return _meeting_form(request, meeting)


@territory_view("meetings.view")
def meeting_edit(request, pk):
    meeting = get_meeting(request, pk)
    _require_run(request, meeting.platform)
    return _meeting_form(request, meeting)


def _meeting_form(request, meeting):
    form = MeetingForm(posted(request)[0], instance=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.do_save_meeting(form.save(commit=False), acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The meeting was saved."))
            return _meeting_url(request, meeting)
    return render(request, "meetings/meeting_form.html", {"form": form, "meeting": meeting})


def _my_person(request):
    return Person.objects.filter(
        territory=request.territory, user=request.user, has_left=False
    ).first()


@territory_view("meetings.view")
def meeting_detail(request, pk):
    # Fixed queries: meeting, agenda items with topics, attendance with people and
    # organisations, decisions with their tasks, corrections, the plan review (measures at
    # risk, changed, tasks due), follow-up tasks, previous meeting; the user's person only
    # while the meeting is planned (for the attendance answer), the topic backlog only while
    # the agenda can be edited, and the corrections only once the minutes are approved.
    meeting = get_meeting(request, pk)
    items = list(meeting.agenda_items.select_related("topic").order_by("position", "pk"))
    kinds = {item.kind for item in items}
    previous = services.previous_meeting(meeting)
    review = (
        services.plan_review(meeting, previous=previous)
        if AgendaKind.PLAN_REVIEW in kinds
        else None
    )
    follow_up = services.follow_up(meeting) if AgendaKind.FOLLOW_UP in kinds else None
    attendances = list(
        meeting.attendances.select_related("person", "organisation").order_by("person__full_name")
    )
    decisions = list(
        meeting.decisions.select_related("agenda_item").prefetch_related(
            Prefetch(
                "tasks", queryset=Task.objects.select_related("owner_organisation", "owner_person")
            )
        )
    )
    by_item = {}
    for decision in decisions:
        by_item.setdefault(decision.agenda_item_id, []).append(decision)
    for item in items:
        item.decision_list = by_item.get(item.pk, [])
        # Stored minutes were cleaned when saved; cleaning again here guards the page even
        # against rows written some other way.
        item.minutes_safe = sanitize_minutes(item.minutes) if item.minutes else ""
    # Only a planned meeting asks the user for an answer.
    me = _my_person(request) if meeting.status == MeetingStatus.PLANNED else None
    mine = next((a for a in attendances if me and a.person_id == me.pk), None)
    today = timezone.localdate()
    for task in [*(follow_up or []), *((review or {}).get("tasks_due", []))]:
        task.overdue = task.is_overdue(today)
    runs = may_run(request, meeting.platform)
    agenda_editable = runs and not meeting.is_locked and meeting.status != MeetingStatus.CANCELLED
    context = {
        "meeting": meeting,
        "platform": meeting.platform,
        "items": items,
        "review": review,
        "follow_up": follow_up,
        "attendances": attendances,
        "unassigned_decisions": by_item.get(None, []),
        # Corrections are made to approved minutes, and shown only with them.
        "corrections": (
            list(meeting.corrections.select_related("author")) if meeting.is_locked else []
        ),
        "previous": previous,
        "me": me,
        "my_answer": mine.status if mine else "",
        "may_run": runs,
        "agenda_editable": agenda_editable,
        "agenda_form": AgendaItemForm(meeting=meeting) if agenda_editable else None,
        "decision_form": DecisionForm(meeting=meeting),
        "correction_form": CorrectionForm(),
        "is_past": meeting.starts_at < timezone.now(),
    }
    return render(request, "meetings/meeting_detail.html", context)


def _run_meeting(request, pk):
    meeting = get_meeting(request, pk)
    _require_run(request, meeting.platform)
    return meeting


def _service_then_back(request, meeting, action, success):
    try:
        action()
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, success)
    return _meeting_url(request, meeting)


@territory_view("meetings.view")
@require_POST
def meeting_cancel(request, pk):
    meeting = _run_meeting(request, pk)
    return _service_then_back(
        request,
        meeting,
        lambda: services.do_cancel_meeting(meeting, acting_user=request.user),
        _("The meeting was cancelled."),
    )


@territory_view("meetings.view")
@require_POST
def meeting_invite(request, pk):
    from .invitations import do_send_invitations

    meeting = _run_meeting(request, pk)
    try:
        count = do_send_invitations(meeting, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            ngettext(
                "An invitation was sent to %(count)s person.",
                "Invitations were sent to %(count)s people.",
                count,
            )
            % {"count": count},
        )
    return _meeting_url(request, meeting)


@territory_view("meetings.view")
@require_POST
def meeting_close(request, pk):
    meeting = _run_meeting(request, pk)
    return _service_then_back(
        request,
        meeting,
        lambda: services.do_close_meeting(meeting, acting_user=request.user),
        _("The meeting is closed and the minutes were sent to the members."),
    )


@territory_view("meetings.view")
@require_POST
def meeting_approve(request, pk):
    meeting = _run_meeting(request, pk)
    return _service_then_back(
        request,
        meeting,
        lambda: services.do_approve_minutes(meeting, acting_user=request.user),
        _("The minutes are approved and locked."),
    )


@territory_view("meetings.view")
@require_POST
def correction_add(request, pk):
    meeting = _run_meeting(request, pk)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the correction first."))
        return _meeting_url(request, meeting)
    return _service_then_back(
        request,
        meeting,
        lambda: services.do_add_correction(meeting, acting_user=request.user, **form.cleaned_data),
        _("The correction was recorded."),
    )


@territory_view("meetings.view")
def meeting_respond(request, pk):
    meeting = get_meeting(request, pk)
    answer = request.POST.get("answer") or request.GET.get("answer")
    if answer not in (AttendanceStatus.ATTENDING, AttendanceStatus.EXCUSED):
        answer = AttendanceStatus.ATTENDING
    me = _my_person(request)
    if request.method == "POST":
        if me is None:
            messages.error(
                request,
                _("Your account is not linked to a person of this territory; ask the coordinator."),
            )
        else:
            try:
                services.do_respond(meeting, person=me, answer=answer, acting_user=request.user)
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
            else:
                messages.success(request, _("Thank you, your answer was recorded."))
        return _meeting_url(request, meeting)
    return render(
        request, "meetings/meeting_respond.html", {"meeting": meeting, "answer": answer, "me": me}
    )


@territory_view("meetings.view")
def minutes_download(request, pk, fmt):
    from . import minutes

    if fmt not in ("pdf", "docx"):
        raise Http404
    meeting = get_meeting(request, pk)
    if meeting.status not in (MeetingStatus.HELD, MeetingStatus.APPROVED):
        raise Http404
    try:
        if fmt == "pdf":
            content, content_type = minutes.minutes_pdf(meeting), minutes.PDF_CONTENT_TYPE
        else:
            content, content_type = minutes.minutes_docx(meeting), minutes.DOCX_CONTENT_TYPE
    except minutes.ExportUnavailable as exc:
        messages.error(request, str(exc))
        return _meeting_url(request, meeting)
    response = HttpResponse(content, content_type=content_type)
    name = minutes.minutes_filename(meeting, fmt)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- agenda ------------------------------------------------------------------------------


@territory_view("meetings.view")
@require_POST
def agenda_add(request, pk):
    meeting = _run_meeting(request, pk)
    form = AgendaItemForm(request.POST, meeting=meeting)
    if not form.is_valid():
        messages.error(request, _("Give the agenda item a title."))
        return _meeting_url(request, meeting)
    return _service_then_back(
        request,
        meeting,
        lambda: services.do_add_agenda_item(meeting, acting_user=request.user, **form.cleaned_data),
        _("The agenda item was added."),
    )


def _get_item(request, pk) -> AgendaItem:
    item = get_object_or_404(
        AgendaItem.objects.select_related("meeting__platform__facilitator"),
        meeting__platform__in=visible_platforms(request),
        pk=pk,
    )
    _require_run(request, item.meeting.platform)
    return item


@territory_view("meetings.view")
@require_POST
def agenda_move(request, pk):
    item = _get_item(request, pk)
    direction = "up" if request.POST.get("direction") == "up" else "down"
    services.do_move_agenda_item(item, direction=direction, acting_user=request.user)
    response = _meeting_url(request, item.meeting)
    response["Location"] += f"#item-{item.pk}"
    return response


@territory_view("meetings.view")
@require_POST
def agenda_remove(request, pk):
    item = _get_item(request, pk)
    return _service_then_back(
        request,
        item.meeting,
        lambda: services.do_remove_agenda_item(item, acting_user=request.user),
        _("The agenda item was removed."),
    )


@territory_view("meetings.view")
def agenda_edit(request, pk):
    item = _get_item(request, pk)
    form = MinutesForm(posted(request)[0], instance=item)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["minutes"]
        if "<" not in text:
            text = linebreaks(text)  # plain text: paragraphs and line breaks
        try:
            item.title = form.cleaned_data["title"]
            services.do_save_minutes(item, minutes=text, acting_user=request.user)
            AgendaItem.objects.filter(pk=item.pk).update(title=item.title)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The minutes were saved."))
            response = _meeting_url(request, item.meeting)
            response["Location"] += f"#item-{item.pk}"
            return response
    return render(request, "meetings/agenda_edit.html", {"form": form, "item": item})


# --- attendance and decisions ------------------------------------------------------------


@territory_view("meetings.view")
def attendance_edit(request, pk):
    meeting = _run_meeting(request, pk)
    from .invitations import platform_members

    existing = {a.person_id: a for a in meeting.attendances.select_related("person")}
    # Every member can be recorded, also those without an e-mail or sharing one.
    people = {p.pk: p for p in platform_members(meeting)}
    for attendance in existing.values():
        people.setdefault(attendance.person_id, attendance.person)
    rows = sorted(people.values(), key=lambda p: p.full_name)
    if request.method == "POST":
        statuses = {}
        valid = dict(ATTENDANCE_CHOICES)
        for person in rows:
            value = request.POST.get(f"person-{person.pk}")
            if value in valid:
                statuses[person] = value
        try:
            services.do_record_attendance(meeting, statuses=statuses, acting_user=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("The attendance was saved."))
            return _meeting_url(request, meeting)
    for person in rows:
        attendance = existing.get(person.pk)
        person.current = attendance.status if attendance else ""
    context = {"meeting": meeting, "rows": rows, "choices": ATTENDANCE_CHOICES}
    return render(request, "meetings/attendance_form.html", context)


@territory_view("meetings.view")
def decision_add(request, pk):
    meeting = _run_meeting(request, pk)
    form = DecisionForm(posted(request)[0], meeting=meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        task = None
        if data["task_title"]:
            task = Task(
                title=data["task_title"],
                owner_organisation=data["task_organisation"],
                owner_person=data["task_person"],
                due=data["task_due"],
            )
        try:
            services.do_add_decision(
                meeting,
                text=data["text"],
                agenda_item=data["agenda_item"],
                task=task,
                acting_user=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The decision was recorded."))
            return _meeting_url(request, meeting)
    return render(request, "meetings/decision_form.html", {"form": form, "meeting": meeting})
