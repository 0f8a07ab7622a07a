"""Import organisations of a territory from a school register file (CZ MŠMT or PL RSPO)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from spolu.actors import registers
from spolu.territories.models import Territory

# Records from elsewhere can run into thousands (the national Czech file): list a few of them
# unless asked for all with --verbosity 2.
OUTSIDE_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Create or update the organisations of a territory from an official school register "
        "file. Prints what changes; --dry-run writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("territory", help="The territory's web address (slug).")
        parser.add_argument("file", help="The register file.")
        parser.add_argument(
            "--format",
            choices=sorted(registers.FORMATS),
            help="The file's format; recognised from the file when left out.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would change and write nothing."
        )

    def handle(self, *args, territory, file, format=None, dry_run=False, verbosity=1, **options):
        area = Territory.objects.filter(slug=territory).first()
        if area is None:
            raise CommandError(
                _("No territory with the web address “%(slug)s”.") % {"slug": territory}
            )
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No file %(path)s.") % {"path": path})
        with open(path, "rb") as fileobj:
            format_code = format or registers.detect_format(path.name, fileobj.read(4096))
            if format_code is None:
                raise CommandError(_("The file's format was not recognised; give --format."))
            fileobj.seek(0)
            report = registers.plan_import(area, fileobj, format_code)
        self._print(report, verbosity)
        if not report.usable:
            raise CommandError(_("The file cannot be imported; nothing was written."))
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
            return
        registers.apply_import(report, acting_user=None)
        self.stdout.write(self.style.SUCCESS(_("The import was written.")))

    def _print(self, report, verbosity):
        write = self.stdout.write
        write(
            ngettext(
                "%(territory)s, %(format)s: %(records)s record read.",
                "%(territory)s, %(format)s: %(records)s records read.",
                report.records,
            )
            % {
                "territory": report.territory.name,
                "format": report.format_label,
                "records": report.records,
            }
        )
        write(
            _(
                "Created %(created)s, updated %(updated)s, unchanged %(unchanged)s, "
                "conflicts %(conflicts)s, skipped %(skipped)s, problems %(problems)s."
            )
            % report.counts
        )

        def who(item):
            return f"{item.name} ({item.identifier_label} {item.identifier})"

        if report.problems:
            write(_("Problems:"))
            for problem in report.problems:
                write(f"  {problem.where or '-'}: {problem.message}")
        if report.conflicts:
            write(_("Conflicts (the values entered by hand are kept):"))
            for item in report.conflicts:
                write(f"  {item.where}: {who(item)}")
                for label, kept, offered in item.conflicts:
                    write(
                        "    "
                        + _("%(field)s: kept “%(kept)s”, the register gives “%(offered)s”")
                        % {"field": label, "kept": kept, "offered": offered}
                    )
                for label, old, new in item.changes:
                    write(f"    {label}: “{old}” → “{new}”")
        if report.updated:
            write(_("Updated:"))
            for item in report.updated:
                write(f"  {item.where}: {who(item)}")
                for label, old, new in item.changes:
                    write(f"    {label}: “{old}” → “{new}”")
        if report.created:
            write(_("Created:"))
            for item in report.created:
                write(f"  {item.where}: {who(item)}, {item.kind_label}")
        if report.skipped:
            write(_("Skipped:"))
            for item in report.skipped_other:
                write(f"  {item.where}: {who(item)}: {item.reason}")
            outside = report.skipped_outside
            shown = outside if verbosity > 1 else outside[:OUTSIDE_SHOWN]
            for item in shown:
                write(f"  {item.where}: {who(item)}: {item.reason}")
            if len(shown) < len(outside):
                write(
                    "  "
                    + _(
                        "… and %(count)s more from outside the territory "
                        "(--verbosity 2 lists them)."
                    )
                    % {"count": len(outside) - len(shown)}
                )
