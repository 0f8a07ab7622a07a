"""Re-encrypt every encrypted column with the first key of SPOLU_FIELD_KEY.

Run it after putting a new key first in SPOLU_FIELD_KEY (keeping the old keys after it);
when it has finished, the old keys can be removed. It can be run again safely.
"""

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from spolu.core import crypto

BATCH_SIZE = 100


def _reencrypt(stored: str) -> str:
    if stored.startswith(crypto.PREFIX):
        return crypto.rotate(stored)
    # A value written before the column was encrypted.
    return crypto.encrypt(stored)


def rotate_model(model, fields: list[str], batch_size: int = BATCH_SIZE) -> tuple[int, int]:
    """Re-encrypt `fields` of every row of `model`; returns (rows, values) re-encrypted."""
    manager = model._base_manager
    # Cast to a plain text column reads the stored token: the field itself would decrypt it.
    raw = {f"raw_{name}": Cast(name, models.TextField()) for name in fields}
    rows = values = 0
    last_pk = None
    while True:
        with transaction.atomic():
            batch = manager.select_for_update().order_by("pk").annotate(**raw)
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            batch = list(batch.values_list("pk", *raw)[:batch_size])
            if not batch:
                break
            last_pk = batch[-1][0]
            for index, name in enumerate(fields, start=1):
                new = {row[0]: _reencrypt(row[index]) for row in batch if row[index]}
                if not new:
                    continue
                # Value() with a plain text output is written as it is, not encrypted again.
                manager.filter(pk__in=new).update(
                    **{
                        name: models.Case(
                            *(
                                models.When(pk=pk, then=models.Value(token))
                                for pk, token in new.items()
                            ),
                            default=models.F(name),
                            output_field=models.TextField(),
                        )
                    }
                )
                values += len(new)
            rows += len(batch)
    return rows, values


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column with the first key in SPOLU_FIELD_KEY, so that the "
        "older keys listed after it can be removed."
    )

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            if model._meta.proxy or not model._meta.managed:
                continue
            fields = crypto.encrypted_fields(model)
            if not fields:
                continue
            try:
                with scopes_disabled():
                    rows, values = rotate_model(model, fields)
            except InvalidToken as exc:
                raise CommandError(
                    _(
                        "%(model)s holds a value that none of the keys in SPOLU_FIELD_KEY can "
                        "read. Was a key removed too early?"
                    )
                    % {"model": model._meta.label}
                ) from exc
            total += values
            self.stdout.write(
                _("%(model)s: %(values)s values in %(rows)s rows re-encrypted.")
                % {"model": model._meta.label, "values": values, "rows": rows}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Done: %(count)s values re-encrypted with the first key.") % {"count": total}
            )
        )
