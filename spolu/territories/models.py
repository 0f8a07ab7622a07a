"""Tenancy: territories (municipalities and their units), networks of them, and memberships."""

from django.conf import settings
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from spolu.core.models import TenantModel
from spolu.core.permissions import NetworkRole, Role


class Country(models.TextChoices):
    CZ = "CZ", _("Czechia")
    PL = "PL", _("Poland")


class TerritoryKind(models.TextChoices):
    CZ_OBEC = "cz_obec", _("municipality (obec)")
    CZ_ORP = "cz_orp", _("municipality with extended powers (ORP)")
    CZ_KRAJ = "cz_kraj", _("region (kraj)")
    PL_GMINA = "pl_gmina", _("commune (gmina)")
    PL_POWIAT = "pl_powiat", _("county (powiat)")
    PL_WOJEWODZTWO = "pl_wojewodztwo", _("voivodeship (województwo)")


KIND_COUNTRY = {
    TerritoryKind.CZ_OBEC: Country.CZ,
    TerritoryKind.CZ_ORP: Country.CZ,
    TerritoryKind.CZ_KRAJ: Country.CZ,
    TerritoryKind.PL_GMINA: Country.PL,
    TerritoryKind.PL_POWIAT: Country.PL,
    TerritoryKind.PL_WOJEWODZTWO: Country.PL,
}

COUNTRY_TIME_ZONE = {Country.CZ: "Europe/Prague", Country.PL: "Europe/Warsaw"}
# E-mails to a territory's members go out in its language, whatever the sender's UI language.
COUNTRY_LANGUAGE = {Country.CZ: "cs", Country.PL: "pl"}


class Territory(models.Model):
    """A municipality or a higher unit (CZ obec/ORP/kraj, PL gmina/powiat/województwo).

    The territory is the tenant: plans, meetings and case signals belong to one.
    """

    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=TerritoryKind.choices)
    code = models.CharField(
        _("official code"), max_length=12, help_text=_("ČSÚ code (CZ) or TERYT code (PL).")
    )
    code_ruian = models.CharField(
        _("RÚIAN code"),
        max_length=12,
        blank=True,
        help_text=_("CZ only: an ORP has both a ČSÚ code-list code and a RÚIAN code."),
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent territory"),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "kind", "code"], name="territory_unique_official_code"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(country="CZ", kind__startswith="cz_")
                    | models.Q(country="PL", kind__startswith="pl_")
                ),
                name="territory_kind_matches_country",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            # slugify drops the Polish ł instead of transliterating it.
            name = self.name.replace("ł", "l").replace("Ł", "L")
            self.slug = slugify(f"{name}-{self.code}")[:80]
        super().save(*args, **kwargs)

    @property
    def time_zone(self) -> str:
        return COUNTRY_TIME_ZONE[self.country]

    @property
    def language(self) -> str:
        return COUNTRY_LANGUAGE[self.country]


class Network(models.Model):
    """A named set of territories that learn from each other (a region, a national programme)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    territories = models.ManyToManyField(
        Territory, related_name="networks", blank=True, verbose_name=_("territories")
    )

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(TenantModel):
    """A user's role in one territory: what they may see and do there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user__full_name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "territory"], name="membership_unique_user")
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()}"

    @classmethod
    def territories_of(cls, user):
        """The user's memberships in every territory: for access to a territory page (one query
        also serves the switcher in the header) and for the start page."""
        with scopes_disabled():
            return list(
                cls.objects.select_related("territory")
                .filter(user=user)
                .order_by("territory__name")
            )


class NetworkMembership(models.Model):
    """A user's role in a network: advisors and analysts of the member territories."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="network_memberships",
        verbose_name=_("user"),
    )
    network = models.ForeignKey(
        Network, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("network")
    )
    role = models.CharField(_("role"), max_length=20, choices=NetworkRole.choices)

    class Meta:
        verbose_name = _("network membership")
        verbose_name_plural = _("network memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "network"], name="network_membership_unique")
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()} ({self.network})"

    @classmethod
    def for_user_in(cls, user, network_slug: str):
        return (
            cls.objects.select_related("network")
            .filter(user=user, network__slug=network_slug)
            .first()
        )
