from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoriesConfig(AppConfig):
    name = "spolu.territories"
    label = "territories"
    verbose_name = _("Territories")

    def ready(self):
        from spolu.core.audit import track

        from .models import Membership

        track(Membership, exclude_fields=["territory", "created"])
