from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "spolu.meetings"
    label = "meetings"
    verbose_name = _("Meetings")

    def ready(self):
        from spolu.core.audit import track

        from . import models

        track(
            models.Platform,
            exclude_fields=["territory"],
            m2m_fields={"member_organisations", "member_people"},
        )
        track(models.Meeting, exclude_fields=["territory"])
        track(models.AgendaItem, exclude_fields=["territory"])
        track(models.Decision, exclude_fields=["territory"])
        track(models.Attendance, exclude_fields=["territory"])
        track(models.Agreement, exclude_fields=["territory"])
        track(models.AgreementVersion, exclude_fields=["territory"])
        track(models.Announcement, exclude_fields=["territory"])
