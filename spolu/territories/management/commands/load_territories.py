"""Load the official territorial code lists (ČSÚ for Czechia, TERYT TERC for Poland)."""

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.db import transaction

from spolu.territories.codelists import LOADERS, SHIPPED_FILES, CodeListError
from spolu.territories.models import Country


class Command(BaseCommand):
    help = (
        "Create or update territories from the official code lists: ČSÚ struktura_uzemi_cr.csv "
        "(CZ kraje, ORP, obce) and GUS TERYT TERC (PL województwa, powiaty, gminy). Without "
        "--file the lists shipped in spolu/territories/data/ are loaded. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--country",
            choices=Country.values,
            help="Load only this country (required with --file).",
        )
        parser.add_argument(
            "--file",
            help="A current file downloaded from ČSÚ or GUS instead of the shipped one.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would change and write nothing.",
        )

    @no_translations
    def handle(self, *args, country=None, file=None, dry_run=False, **options):
        if file and not country:
            raise CommandError("--file needs --country, the file formats differ.")
        countries = [country] if country else list(SHIPPED_FILES)
        with transaction.atomic():
            for code in countries:
                path = file or SHIPPED_FILES[code]
                try:
                    with open(path, "rb") as fileobj:
                        report = LOADERS[code](fileobj, dry_run=dry_run)
                except OSError as exc:
                    raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
                except CodeListError as exc:
                    raise CommandError(f"{path}, {exc} — nothing was written.") from exc
                self._print(code, path, report)
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))

    def _print(self, country, path, report):
        dates = ", ".join(report.state_dates) or "not given in the file"
        self.stdout.write(self.style.SUCCESS(f"{Country(country).label}: {path}"))
        self.stdout.write(f"  encoding {report.encoding}, state as of {dates}")
        for line in report.summary_lines():
            self.stdout.write(f"  {line}")
        if report.skipped_rows:
            self.stdout.write(
                f"  {report.skipped_rows} rows describe parts of gminas or city districts "
                "and were not loaded as territories"
            )
