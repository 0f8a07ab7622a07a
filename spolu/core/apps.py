from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "spolu.core"
    label = "core"
    verbose_name = _("Spolu core")

    def ready(self):
        from . import database

        connection_created.connect(database.tune_connection, dispatch_uid="spolu-tune-connection")
        post_migrate.connect(database.after_migrate, sender=self)
