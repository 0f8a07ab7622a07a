"""E-mail members the announcements of the last days: run it from cron, e.g. weekly."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from spolu.meetings import notices
from spolu.meetings.models import Announcement
from spolu.territories.models import Territory


class Command(BaseCommand):
    help = (
        "E-mail each member of each territory the announcements of the last --days days "
        "that they can see: one e-mail per user and territory, none when nothing is new. "
        "Nothing records what was sent, so run it once per period (e.g. weekly with --days 7)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=7, help="How many days back to look (default 7)."
        )

    def handle(self, *args, days, **options):
        if days < 1:
            raise CommandError(_("--days must be at least 1."))
        since = timezone.now() - datetime.timedelta(days=days)
        # Which territories have news is asked across all of them on purpose; each digest
        # then reads its territory inside that territory's scope.
        with scopes_disabled():
            territory_ids = set(
                Announcement.objects.filter(published__gte=since).values_list(
                    "territory_id", flat=True
                )
            )
        total = 0
        for territory in Territory.objects.filter(pk__in=territory_ids).order_by("name"):
            sent = notices.send_digest(territory, since=since)
            total += sent
            if sent:
                self.stdout.write(
                    _("%(territory)s: %(count)s e-mails")
                    % {"territory": territory.name, "count": sent}
                )
        self.stdout.write(
            self.style.SUCCESS(_("Digest sent: %(count)s e-mails.") % {"count": total})
        )
