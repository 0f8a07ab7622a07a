"""Who is who in a territory: organisations and the people in the positions that matter."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from spolu.core.fields import ChoiceSetField, fold
from spolu.core.models import TenantModel


class OrganisationKind(models.TextChoices):
    MUNICIPAL_OFFICE = "municipal_office", _("Municipal office")
    EDUCATION_DEPARTMENT = "education_dept", _("Department of education")
    SOCIAL_DEPARTMENT = "social_dept", _("Department of social affairs")
    CHILD_PROTECTION = "child_protection", _("Child protection (OSPOD)")
    PRIMARY_SCHOOL = "primary_school", _("Primary school")
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    SECONDARY_SCHOOL = "secondary_school", _("Secondary school")
    COUNSELLING_CENTRE = "counselling_centre", _("Counselling centre (PPP)")
    NGO = "ngo", _("NGO")
    LOW_THRESHOLD_CLUB = "low_threshold_club", _("Low-threshold club")
    LABOUR_OFFICE = "labour_office", _("Labour office")
    POLICE = "police", _("Police")
    REGIONAL_OFFICE = "regional_office", _("Regional office")
    INCLUSION_AGENCY = "inclusion_agency", _("Agency for social inclusion")
    OTHER = "other", _("Other")


SCHOOL_KINDS = frozenset(
    {
        OrganisationKind.PRIMARY_SCHOOL,
        OrganisationKind.KINDERGARTEN,
        OrganisationKind.SECONDARY_SCHOOL,
    }
)


class EducationLevel(models.TextChoices):
    """Levels of education; measures of the plans module use the same list."""

    EARLY_CARE = "early_care", _("Early care")
    PRESCHOOL = "preschool", _("Preschool")
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")
    OUT_OF_SCHOOL = "out_of_school", _("Out of school")


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    CZ_REGISTER = "cz_register", _("Czech register of schools (MŠMT)")
    PL_RSPO = "pl_rspo", _("Polish register of schools (RSPO)")


class Organisation(TenantModel):
    """A school, office, NGO or other body that takes part in the territory's work.

    Imported organisations remember the values the register last gave (`register_values`),
    so a later import can tell a register change from a user's edit and never silently
    overwrite the latter.
    """

    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=OrganisationKind.choices)
    # Official identifiers: CZ
    ico = models.CharField(_("IČO"), max_length=8, blank=True, help_text=_("Czech company ID."))
    red_izo = models.CharField(
        _("RED_IZO"), max_length=9, blank=True, help_text=_("Czech school register ID.")
    )
    izo = models.CharField(
        _("IZO"),
        max_length=200,
        blank=True,
        help_text=_("IDs of the schools and facilities in the Czech register, space-separated."),
    )
    # Official identifiers: PL
    regon = models.CharField(_("REGON"), max_length=14, blank=True)
    rspo = models.CharField(_("RSPO number"), max_length=12, blank=True)

    founder = models.CharField(_("founder"), max_length=300, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    municipality = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality"),
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    web = models.URLField(_("web"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    education_levels = ChoiceSetField(_("education levels"), choices=EducationLevel.choices)
    pupils = models.PositiveIntegerField(_("number of pupils"), null=True, blank=True)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("A closed organisation stays in the history.")
    )
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.MANUAL
    )
    register_values = models.JSONField(_("values from the register"), default=dict, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "red_izo"],
                condition=~models.Q(red_izo=""),
                name="organisation_unique_red_izo",
            ),
            models.UniqueConstraint(
                fields=["territory", "rspo"],
                condition=~models.Q(rspo=""),
                name="organisation_unique_rspo",
            ),
        ]
        indexes = [models.Index(fields=["territory", "kind"])]

    def __str__(self):
        return self.short_name or self.name

    def save(self, *args, **kwargs):
        self.search_text = fold(
            " ".join([self.name, self.short_name, self.ico, self.red_izo, self.regon, self.rspo])
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def is_school(self) -> bool:
        return self.kind in SCHOOL_KINDS

    @property
    def education_level_labels(self):
        return self._meta.get_field("education_levels").labels(self.education_levels)

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Position(models.TextChoices):
    HEAD = "head", _("Head")
    DEPUTY_HEAD = "deputy_head", _("Deputy head")
    EDUCATIONAL_COUNSELLOR = "educational_counsellor", _("Educational counsellor")
    PREVENTION_METHODOLOGIST = "prevention_methodologist", _("Prevention methodologist")
    SPECIAL_PEDAGOGUE = "special_pedagogue", _("Special pedagogue")
    SCHOOL_PSYCHOLOGIST = "school_psychologist", _("School psychologist")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    COORDINATOR = "coordinator", _("Coordinator")
    COUNCILLOR = "councillor", _("Councillor")
    OTHER = "other", _("Other")


class Person(TenantModel):
    """A contact person of the territory: position, organisations, how to reach them.

    A person who left stays (history, past meetings) but is not offered for invitations.
    """

    full_name = models.CharField(_("full name"), max_length=200)
    position = models.CharField(_("position"), max_length=30, choices=Position.choices)
    position_note = models.CharField(
        _("position details"), max_length=200, blank=True, help_text=_("E.g. the exact title.")
    )
    organisations = models.ManyToManyField(
        Organisation, related_name="people", blank=True, verbose_name=_("organisations")
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("user account"),
    )
    has_left = models.BooleanField(_("has left"), default=False)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "user"],
                condition=models.Q(user__isnull=False),
                name="person_unique_user",
            )
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        self.search_text = fold(" ".join([self.full_name, self.email, self.position_note]))
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)


def organisation_ids_of(user, territory) -> set[int]:
    """The organisations a user works for in a territory (as a person who has not left).

    This is what partner and school staff may edit, and whose measures they may update.
    """
    return set(
        Organisation.objects.filter(
            territory=territory, people__user=user, people__has_left=False
        ).values_list("pk", flat=True)
    )
