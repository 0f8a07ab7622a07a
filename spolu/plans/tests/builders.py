"""Builders for plans in tests: a plan of any size with goals, measures and implementers."""

import datetime

from django_scopes import scope

from spolu.actors.tests.factories import make_organisation

from ..models import Goal, Measure, Plan

START = datetime.date(2025, 1, 1)
END = datetime.date(2027, 12, 31)


def make_plan(territory, *, measures=3, goals=1, status="draft", lead=True, title="Plán inkluze"):
    """A plan with `goals` goals and `measures` measures spread over them."""
    organisation = make_organisation(territory, name=f"Škola pro {title}")
    partner = make_organisation(territory, name=f"NGO pro {title}", kind="ngo")
    with scope(territory=territory):
        plan = Plan.objects.create(
            territory=territory, title=title, period_start=START, period_end=END, status=status
        )
        goal_objects = [
            Goal.objects.create(
                territory=territory, plan=plan, code=str(i + 1), title=f"Cíl {i + 1}"
            )
            for i in range(goals)
        ]
        for i in range(measures):
            goal = goal_objects[i % goals]
            measure = Measure.objects.create(
                territory=territory,
                plan=plan,
                goal=goal,
                code=f"{goal.code}.{i + 1}",
                title=f"Opatření {i + 1}",
                start=START,
                end=END,
                lead_implementer=organisation if lead else None,
            )
            measure.partners.set([partner])
    return plan
