"""Territory pages: overview, members and the audit log; network overview."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from spolu.core.access import network_view, territory_view
from spolu.core.audit import describe_entries, entries_for_territory
from spolu.core.forms import posted as _posted
from spolu.core.paging import paginate
from spolu.core.permissions import role_can

from . import services
from .forms import AuditFilterForm, MemberAddForm, MemberRoleForm
from .models import Membership, Territory


@territory_view("territory.view")
def territory_home(request):
    territory = request.territory
    from spolu.cases.stats import signal_summary
    from spolu.meetings.notices import announcements_for_home

    context = {
        "announcements": announcements_for_home(request),
        "municipalities": Territory.objects.filter(parent=territory).order_by("name"),
        "member_count": Membership.objects.filter(territory=territory).count(),
    }
    if role_can(request.role, "cases.statistics"):
        context["signal_stats"] = signal_summary(territory, today=timezone.localdate())
    return render(request, "territories/home.html", context)


@territory_view("members.view")
def member_list(request):
    memberships = (
        Membership.objects.filter(territory=request.territory)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return render(
        request, "territories/member_list.html", {"page_obj": paginate(request, memberships)}
    )


@territory_view("members.change")
def member_add(request):
    form = MemberAddForm(_posted(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.do_add_member(
                request.territory, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            messages.success(
                request,
                _("%(email)s was added and will receive an e-mail invitation.")
                % {"email": membership.user.email},
            )
            return redirect("territories:member-list", territory=request.territory.slug)
    return render(request, "territories/member_form.html", {"form": form})


@territory_view("members.change")
def member_edit(request, pk):
    membership = get_object_or_404(
        Membership.objects.select_related("user"), territory=request.territory, pk=pk
    )
    form = MemberRoleForm(_posted(request)[0], initial={"role": membership.role})
    if request.method == "POST" and form.is_valid():
        try:
            services.do_change_member_role(
                membership, role=form.cleaned_data["role"], acting_user=request.user
            )
        except ValidationError as exc:
            form.add_error("role", exc)
        else:
            messages.success(request, _("The role was changed."))
            return redirect("territories:member-list", territory=request.territory.slug)
    return render(request, "territories/member_edit.html", {"form": form, "membership": membership})


@territory_view("members.change")
@require_POST
def member_remove(request, pk):
    membership = get_object_or_404(
        Membership.objects.select_related("user"), territory=request.territory, pk=pk
    )
    try:
        services.do_remove_member(membership, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("%(name)s no longer has access.") % {"name": membership.user})
    return redirect("territories:member-list", territory=request.territory.slug)


@territory_view("audit.view")
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    entries = entries_for_territory(request.territory)
    if form.is_valid() and form.cleaned_data["action"]:
        entries = entries.filter(action=int(form.cleaned_data["action"]))
    page_obj = paginate(request, entries, per_page=50)
    describe_entries(list(page_obj))
    return render(request, "territories/audit_log.html", {"form": form, "page_obj": page_obj})


@network_view("network.view")
def network_home(request):
    territories = (
        request.network.territories.select_related("parent")
        .annotate(municipality_count=Count("children"))
        .order_by("name")
    )
    return render(
        request, "territories/network_home.html", {"page_obj": paginate(request, territories)}
    )
