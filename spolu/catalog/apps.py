from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "spolu.catalog"
    label = "catalog"
    verbose_name = _("Catalogue")

    def ready(self):
        from spolu.core.audit import track

        from . import models

        # The editorial history of the public catalogue.
        track(models.Intervention, exclude_fields=["search_text", "created", "updated"])
        track(models.InterventionText)
        track(
            models.GoodPractice,
            exclude_fields=["search_text", "created", "updated"],
            m2m_fields={"interventions"},
        )
