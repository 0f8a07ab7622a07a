"""Load the starter interventions and good practices of the catalogue (safe to run again)."""

from django.core.management.base import BaseCommand, no_translations

from spolu.catalog.starter import load_starter


class Command(BaseCommand):
    help = (
        "Create or update the starter interventions and good practices; rows an editor has "
        "changed are kept as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--draft",
            action="store_true",
            help="Create new rows as drafts instead of publishing them.",
        )
        parser.add_argument(
            "--with-examples",
            action="store_true",
            help="Also load the illustrative good practices (invented stories, for demos).",
        )

    @no_translations
    def handle(self, *args, **options):
        result = load_starter(publish=not options["draft"], good_practices=options["with_examples"])
        rows = [("Interventions", result.interventions)]
        if options["with_examples"]:
            rows.append(("Good practices", result.good_practices))
        for label, tally in rows:
            line = (
                f"{label}: {tally.created} created, {tally.updated} updated, "
                f"{tally.unchanged} unchanged, {tally.kept} kept (edited by an editor)"
            )
            if tally.skipped:
                line += f", {tally.skipped} skipped (their territory does not exist)"
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Catalogue starter content is loaded."))
