"""The pages the benchmark requests, each as the user who would open it, in the focus town."""

from dataclasses import dataclass

from django.urls import reverse
from django_scopes import scope, scopes_disabled

from spolu.accounts.models import User
from spolu.cases.models import Signal
from spolu.catalog.models import Intervention
from spolu.meetings.models import Meeting, MeetingStatus, Platform
from spolu.plans.models import Measure, Plan, PlanStatus
from spolu.territories.models import Network, Territory

from .generate import FOCUS_NETWORK_SLUG, FOCUS_SLUG, SLUG_PREFIX, USERS


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    user: str  # a key of generate.USERS, or "anonymous"
    weight: int  # share in the load test's mix


def detect_scale() -> str | None:
    """'town' or 'national' from the data, None when there is no benchmark data."""
    count = Territory.objects.filter(slug__startswith=SLUG_PREFIX).count()
    if count == 0:
        return None
    return "town" if count == 1 else "national"


def users() -> dict[str, User]:
    return {key: User.objects.get(email=email) for key, email in USERS.items()}


def pages() -> list[Page]:
    """Every key page of the focus town, with the objects a user would typically open."""
    territory = Territory.objects.get(slug=FOCUS_SLUG)
    network = Network.objects.get(slug=FOCUS_NETWORK_SLUG)
    t = {"territory": territory.slug}
    with scope(territory=territory):
        plan = Plan.objects.get(status=PlanStatus.IN_IMPLEMENTATION)
        measure = Measure.objects.filter(plan=plan).order_by("code").first()
        platform = Platform.objects.order_by("pk").first()
        meeting = (
            Meeting.objects.filter(platform=platform, status=MeetingStatus.APPROVED)
            .order_by("-starts_at")
            .first()
        )
        signal = Signal.objects.filter(referrals__isnull=False).order_by("-filed_at").first()
    with scopes_disabled():
        intervention = Intervention.objects.order_by("slug").first()

    def url(name, **kwargs):
        return reverse(name, kwargs={**t, **kwargs})

    return [
        Page("coordinator home", url("territories:home"), "coordinator", 4),
        Page("plan list", url("plans:plan-list"), "coordinator", 1),
        Page("plan overview", url("plans:plan-detail", pk=plan.pk), "coordinator", 3),
        Page("measure detail", url("plans:measure-detail", pk=measure.pk), "coordinator", 3),
        Page("tasks list", url("plans:task-list"), "coordinator", 2),
        Page("organisations list", url("actors:organisation-list"), "coordinator", 1),
        Page("platform list", url("meetings:platform-list"), "coordinator", 1),
        Page("platform page", url("meetings:platform-detail", pk=platform.pk), "coordinator", 2),
        Page("meeting page", url("meetings:meeting-detail", pk=meeting.pk), "coordinator", 2),
        Page("audit log", url("territories:audit-log"), "coordinator", 1),
        Page("signal list", url("cases:signal-list"), "caseworker", 2),
        Page("signal detail", url("cases:signal-detail", pk=signal.pk), "caseworker", 2),
        Page("signal statistics", url("cases:statistics"), "coordinator", 1),
        Page(
            "network home",
            reverse("territories:network-home", kwargs={"network": network.slug}),
            "advisor",
            1,
        ),
        Page(
            "network statistics",
            reverse("cases:network-statistics", kwargs={"network": network.slug}),
            "advisor",
            1,
        ),
        Page(
            "catalogue search", reverse("catalog:intervention-list") + "?q=skolni", "anonymous", 2
        ),
        Page(
            "intervention page",
            reverse("catalog:intervention-detail", kwargs={"slug": intervention.slug}),
            "anonymous",
            1,
        ),
        Page("good-practice list", reverse("catalog:good-practice-list"), "anonymous", 1),
        Page("good-practice map", reverse("catalog:map"), "anonymous", 1),
        Page("good-practice map data", reverse("catalog:map-data"), "anonymous", 1),
    ]
