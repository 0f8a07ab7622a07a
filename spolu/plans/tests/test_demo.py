"""The demo town gets a closed plan and a current one with something at risk."""

from django.core.management import call_command
from django.utils import timezone
from django_scopes import scope

from spolu.plans.models import Indicator, Measure, Plan, PlanStatus, ProgressUpdate, Task
from spolu.plans.risk import measures_with_risk
from spolu.territories.models import Territory


def test_demo_plans(db):
    call_command("load_demo")
    call_command("load_demo")  # a second run adds nothing
    zelenov = Territory.objects.get(slug="zelenov")
    with scope(territory=zelenov):
        plans = {p.status: p for p in Plan.objects.all()}
        assert set(plans) == {PlanStatus.CLOSED, PlanStatus.IN_IMPLEMENTATION}
        current = plans[PlanStatus.IN_IMPLEMENTATION]
        assert current.predecessor == plans[PlanStatus.CLOSED]
        assert current.goals.count() == 5
        assert current.measures.count() >= 20
        assert not current.measures.filter(lead_implementer__isnull=True).exists()
        at_risk = measures_with_risk(current.measures.all(), timezone.localdate()).filter(
            at_risk=True
        )
        assert 2 <= at_risk.count() < current.measures.count()
        assert Measure.objects.filter(carried_over_from__isnull=False).exists()
        assert Task.objects.count() >= 5 and ProgressUpdate.objects.count() >= 5
        assert Indicator.objects.filter(values__isnull=False).distinct().count() == 2
