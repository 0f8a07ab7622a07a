"""Print a new key for SPOLU_FIELD_KEY (the encryption of pupil data at rest)."""

from django.core.management.base import BaseCommand

from spolu.core.crypto import generate_key


class Command(BaseCommand):
    help = (
        "Print a new Fernet key. Put it first in SPOLU_FIELD_KEY (comma-separated, newest "
        "first) and run rotate_field_key; keep it secret and backed up apart from the database."
    )

    def handle(self, *args, **options):
        # Only the key on stdout, so that it can be piped into a secret store.
        self.stdout.write(generate_key())
