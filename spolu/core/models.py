"""Shared model base for tenant-owned rows: territory column, scoped manager, audit trail."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class TenantModel(models.Model):
    """A row that belongs to one territory.

    Its default manager raises ScopeError unless a `scope(territory=...)` is open, so that a
    query that forgot the tenant fails loudly instead of leaking another town's data.
    Subclasses are registered with `spolu.core.audit.track` to keep who changed what.
    """

    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("territory"),
    )

    objects = ScopedManager(territory="territory")

    class Meta:
        abstract = True

    def get_additional_data(self):
        # Stored with every audit entry so the territory's audit log is one filter.
        return {"territory": self.territory_id}
