from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActorsConfig(AppConfig):
    name = "spolu.actors"
    label = "actors"
    verbose_name = _("Actors")

    def ready(self):
        from spolu.core.audit import track

        from .models import Organisation, Person

        track(
            Organisation, exclude_fields=["territory", "search_text", "register_values", "updated"]
        )
        track(
            Person,
            exclude_fields=["territory", "search_text", "updated"],
            m2m_fields={"organisations"},
        )
