from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "spolu.plans"
    label = "plans"
    verbose_name = _("Plans")

    def ready(self):
        from spolu.core.audit import track

        from .models import Goal, Indicator, IndicatorValue, Measure, Plan, ProgressUpdate, Task

        track(Plan, exclude_fields=["territory", "updated", "created"])
        track(Goal, exclude_fields=["territory"])
        track(
            Measure,
            exclude_fields=["territory", "updated", "created", "last_progress_on"],
            m2m_fields={"partners", "related", "interventions"},
        )
        track(Task, exclude_fields=["territory", "created"])
        track(ProgressUpdate, exclude_fields=["territory", "created"])
        track(Indicator, exclude_fields=["territory"])
        track(IndicatorValue, exclude_fields=["territory"])
