"""Anonymise closed signals past the retention period now (the daily task does the same)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from spolu.cases import retention


class Command(BaseCommand):
    help = (
        "Remove the pupil's details and all free text from signals closed more than "
        "SPOLU_CASES_RETENTION_YEARS years ago, in every territory."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only say how many signals would be anonymised.",
        )

    def handle(self, *args, dry_run, **options):
        years = settings.SPOLU_CASES_RETENTION_YEARS
        if dry_run:
            count = retention.count_expired()
            self.stdout.write(
                ngettext(
                    "Signals closed more than %(years)s years ago that would be anonymised: "
                    "%(count)s.",
                    "Signals closed more than %(years)s years ago that would be anonymised: "
                    "%(count)s.",
                    years,
                )
                % {"count": count, "years": years}
            )
            return
        count = retention.do_anonymise_expired()
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "Signals closed more than %(years)s years ago that were anonymised: %(count)s.",
                    "Signals closed more than %(years)s years ago that were anonymised: %(count)s.",
                    years,
                )
                % {"count": count, "years": years}
            )
        )
