"""The public catalogue: interventions that work, and good practice from real places.

Catalogue content belongs to no territory: everyone may read what is published, catalogue
editors (a global permission) write and publish it, and a territory's coordinator may propose
a good practice from a measure of their own plan.
"""

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from spolu.actors.models import EducationLevel
from spolu.core.fields import ChoiceSetField, fold

LANGUAGES = [("cs", "Čeština"), ("pl", "Polski"), ("en", "English")]


class Area(models.TextChoices):
    SYSTEMIC = "systemic", _("Systemic measures at the local level")
    SCHOOL = "school", _("School-level measures")
    CLASSROOM = "classroom", _("Classroom and teaching")
    FAMILY = "family", _("Family and community")
    EARLY_CARE = "early_care", _("Early care")
    OUT_OF_SCHOOL = "out_of_school", _("Out-of-school support")


class Kind(models.TextChoices):
    SUPPORTIVE = "supportive", _("Supportive")
    PREVENTIVE = "preventive", _("Preventive")
    COMPENSATORY = "compensatory", _("Compensatory")
    OTHER = "other", _("Other")


class Implementer(models.TextChoices):
    FOUNDER = "founder", _("Founder or municipality")
    SCHOOL = "school", _("School")
    NGO = "ngo", _("NGO")
    COUNSELLING = "counselling", _("Counselling centre")
    CHILD_PROTECTION = "child_protection", _("Child protection")
    LABOUR_OFFICE = "labour_office", _("Labour office")
    OTHER = "other", _("Other")


class Evidence(models.IntegerChoices):
    """How strong the evidence is that the intervention works (after EEF's toolkit)."""

    NONE = 0, _("Not yet evaluated")
    EXPERIENCE = 1, _("Practitioners' experience")
    LOCAL = 2, _("Local evaluations")
    STUDIES = 3, _("Several studies")
    STRONG = 4, _("Strong evidence from controlled studies")


EVIDENCE_MEANING = {
    Evidence.NONE: _("Nobody has evaluated it yet; it is here because it answers a known need."),
    Evidence.EXPERIENCE: _("Towns that use it report that it helps, but nobody measured it."),
    Evidence.LOCAL: _("Local evaluations with before-and-after data show an effect."),
    Evidence.STUDIES: _("Several independent studies in comparable settings found an effect."),
    Evidence.STRONG: _("Controlled studies or reviews of many studies show a consistent effect."),
}


class Cost(models.IntegerChoices):
    """What the intervention costs a town per year, in broad bands."""

    VERY_LOW = 1, _("Very low: mainly the time of people already employed")
    LOW = 2, _("Low: up to about one monthly salary a year")
    MODERATE = 3, _("Moderate: a part-time position or a small grant")
    HIGH = 4, _("High: one or more full-time positions")
    VERY_HIGH = 5, _("Very high: several positions or a building")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PROPOSED = "proposed", _("Proposed, waiting for review")
    PUBLISHED = "published", _("Published")
    RETURNED = "returned", _("Returned to the author")


def _public_statuses():
    from spolu.plans.models import MeasureStatus, PlanStatus

    plans = [s for s in PlanStatus.values if s != PlanStatus.DRAFT]
    measures = [s for s in MeasureStatus.values if s != MeasureStatus.CANCELLED]
    return plans, measures


# The plans and measures that count as "a territory uses this intervention" in public.
PUBLIC_PLAN_STATUSES, PUBLIC_MEASURE_STATUSES = _public_statuses()


class Intervention(models.Model):
    """A kind of measure that towns use, with its taxonomy, evidence and cost."""

    slug = models.SlugField(_("address"), max_length=120, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    original_language = models.CharField(
        _("original language"), max_length=2, choices=LANGUAGES, default="cs"
    )
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    levels = ChoiceSetField(_("education levels"), choices=EducationLevel.choices)
    implementers = ChoiceSetField(_("implementers"), choices=Implementer.choices)
    evidence = models.PositiveSmallIntegerField(
        _("evidence"), choices=Evidence.choices, default=Evidence.NONE
    )
    cost = models.PositiveSmallIntegerField(_("cost"), choices=Cost.choices, default=Cost.LOW)
    related = models.ManyToManyField(
        "self", blank=True, symmetrical=True, verbose_name=_("related interventions")
    )
    # Every language's title, summary and sections, folded (lower case, no diacritics), so
    # that "skolni" finds "školní" on SQLite and PostgreSQL alike (trigram index on PG).
    search_text = models.TextField(editable=False, default="")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["slug"]
        permissions = [("edit_catalogue", _("Can edit and publish the catalogue"))]

    def __str__(self):
        text = self.text()
        return text.title if text else self.slug

    def text(self, language=None):
        """The text in `language` (default: the active one), else the original, else any."""
        language = (language or translation.get_language() or "cs")[:2]
        texts = {t.language: t for t in self.texts.all()}
        return (
            texts.get(language)
            or texts.get(self.original_language)
            or next(iter(texts.values()), None)
        )

    def refresh_search_text(self) -> None:
        parts = []
        for t in self.texts.all():
            parts += [t.title, t.summary, t.description, t.inspiration, t.caveats, t.sources]
        self.search_text = fold(" ".join(parts))


class InterventionText(models.Model):
    """An intervention's words in one language."""

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    description = models.TextField(_("description"), blank=True)
    inspiration = models.TextField(_("where to find inspiration"), blank=True)
    caveats = models.TextField(_("what to watch out for"), blank=True)
    sources = models.TextField(
        _("sources"),
        blank=True,
        help_text=_("One source per line: its name, optionally followed by | and its address."),
    )

    class Meta:
        verbose_name = _("intervention text")
        verbose_name_plural = _("intervention texts")
        constraints = [
            models.UniqueConstraint(
                fields=["intervention", "language"], name="one_text_per_language"
            )
        ]

    def __str__(self):
        return f"{self.title} ({self.language})"

    def get_additional_data(self):
        # The intervention's history finds the entries of a text even after it was deleted.
        return {"intervention": self.intervention_id}

    def source_links(self) -> list[tuple[str, str]]:
        """(name, url) for each source line; url is empty when none is given or unsafe."""
        links = []
        for line in self.sources.splitlines():
            name, _sep, url = (part.strip() for part in line.partition("|"))
            if not name and not url:
                continue
            if not url.startswith(("https://", "http://")):
                url = ""
            links.append((name or url, url))
        return links


def title_texts() -> models.Prefetch:
    """Prefetch interventions' texts with only what their titles need, not the long texts:
    for lists and filters that name many interventions."""
    return models.Prefetch(
        "texts", queryset=InterventionText.objects.only("intervention_id", "language", "title")
    )


class GoodPractice(models.Model):
    """What a real place did, with what result: a story on the map, linked to interventions."""

    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    language = models.CharField(_("language"), max_length=2, choices=LANGUAGES, default="cs")
    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("territory"),
    )
    place = models.CharField(_("place"), max_length=200)
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    start_year = models.PositiveSmallIntegerField(_("from (year)"), null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(
        _("to (year)"), null=True, blank=True, help_text=_("Empty while it goes on.")
    )
    summary = models.TextField(_("summary"))
    what_was_done = models.TextField(_("what was done"), blank=True)
    results = models.TextField(_("results"), blank=True)
    interventions = models.ManyToManyField(
        Intervention,
        blank=True,
        related_name="good_practices",
        verbose_name=_("interventions"),
    )
    contact = models.CharField(
        _("contact organisation"),
        max_length=200,
        blank=True,
        help_text=_("An organisation, never a private person's details."),
    )
    sources = models.TextField(
        _("sources"),
        blank=True,
        help_text=_("One source per line: its name, optionally followed by | and its address."),
    )
    search_text = models.TextField(editable=False, default="")
    # A coordinator's proposal from a measure of their plan, reviewed by an editor.
    source_measure = models.ForeignKey(
        "plans.Measure",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    review_note = models.TextField(_("note of the review"), blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("good practice")
        verbose_name_plural = _("good practices")
        ordering = ["title"]

    def __str__(self):
        return self.title

    def refresh_search_text(self) -> None:
        self.search_text = fold(
            " ".join([self.title, self.place, self.summary, self.what_was_done, self.results])
        )

    def source_links(self):
        return InterventionText.source_links(self)

    @property
    def period(self) -> str:
        if self.start_year and self.end_year:
            return f"{self.start_year}–{self.end_year}"
        if self.start_year:
            return f"{self.start_year}–"
        return ""
