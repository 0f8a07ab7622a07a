from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "spolu.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from spolu.core.audit import track
        from spolu.core.crypto import encrypted_fields

        from . import models

        # The audit log records who changed what and when, never the encrypted text itself.
        for model in (models.Signal, models.Referral, models.SignalEvent):
            track(model, exclude_fields=["territory", *encrypted_fields(model)])
