"""Load the fictional demo territory; each app adds its part in its own `demo.py`."""

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from spolu.territories.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Create or refresh the demo territory and its users (safe to run again)."

    def handle(self, *args, **options):
        logins = []
        # The demo's own steps (a signal filed, a meeting invited) would mail the demo users:
        # those notices are kept in memory and dropped, so that the console shows the logins.
        locmem = "django.core.mail.backends.locmem.EmailBackend"
        with override_settings(EMAIL_BACKEND=locmem), transaction.atomic():
            for config in apps.get_app_configs():
                if not config.name.startswith("spolu."):
                    continue
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                logins.extend(module.load() or [])
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        if logins:
            self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
            for email, what in logins:
                self.stdout.write(f"  {email:<34} {what}")
