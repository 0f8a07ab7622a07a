import logging

from django.apps import AppConfig
from django.db import DatabaseError, transaction
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


def schedule_retention(sender, **kwargs):
    """After `migrate`, make sure the daily anonymisation is queued for the worker."""
    from .tasks import ensure_scheduled

    try:
        with transaction.atomic():
            ensure_scheduled()
    except DatabaseError as exc:  # the task table is not migrated yet
        logger.warning("The anonymisation of expired signals was not scheduled: %s", exc)


class CasesConfig(AppConfig):
    name = "spolu.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from spolu.core.audit import track
        from spolu.core.crypto import encrypted_fields

        from . import models

        # The audit log records who changed what and when, never the encrypted text itself nor
        # the pupil's year of birth and class (an erased or anonymised signal keeps neither).
        pupil = {models.Signal: ["birth_year", "grade"], models.SignalEvent: ["support_item"]}
        for model in (models.Signal, models.Referral, models.SignalEvent):
            track(
                model,
                exclude_fields=["territory", *encrypted_fields(model), *pupil.get(model, [])],
            )

        post_migrate.connect(schedule_retention, sender=self)
