"""Generate the benchmark's synthetic dataset: `bench_data --scale town|national [--seed N]`."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from spolu.bench.generate import SCALES, Generator, has_bench_data
from spolu.core.database import refresh_statistics


class Command(BaseCommand):
    help = (
        "Fill the configured database with a deterministic synthetic dataset for the benchmark "
        "(town: one territory; national: about a thousand). Use an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="town")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, scale, seed, verbosity, **options):
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)
        if has_bench_data():
            raise CommandError(
                "This database already holds benchmark data. Generate it into an empty "
                "database (for example a new DATABASE_URL)."
            )
        self.stdout.write(f"Generating the {scale} dataset (seed {seed}) on {connection.vendor}…")
        out = self.stdout.write if verbosity > 1 else None
        result = Generator(scale, seed=seed, out=out).run()
        # As a running installation would have them (autovacuum, the daily job on SQLite).
        refresh_statistics(postgresql=True)
        rows = sum(v for k, v in result.items() if k not in ("scale", "seed", "seconds"))
        if verbosity > 1:
            for label, count in sorted(result.items()):
                if label not in ("scale", "seed", "seconds"):
                    self.stdout.write(f"  {label}: {count}")
        self.stdout.write(
            self.style.SUCCESS(f"{rows} rows in {result['seconds']:.1f} s ({scale}, seed {seed}).")
        )
