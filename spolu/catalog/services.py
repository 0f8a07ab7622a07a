"""Editorial operations on the catalogue: saving, publishing, proposals and their review."""

from contextlib import nullcontext

from auditlog.context import auditlog_value
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import CharField, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from spolu.core.audit import acting_as
from spolu.core.fields import fold

from . import maps
from .models import LANGUAGES, GoodPractice, Intervention, InterventionText, Status

TEXT_FIELDS = ("title", "summary", "description", "inspiration", "caveats", "sources")
# The catalogue's fixed addresses: an intervention called so would hide them, or they it.
RESERVED_SLUGS = frozenset({"edit", "propose", "map", "data", "good-practice"})
EDITOR_PERMISSION = ("catalog", "edit_catalogue")


def interventions_with_titles(queryset=None, language=None):
    """Interventions annotated with `title`: in `language` (default: the active one), else in
    the original language, else any — in one query, for lists and choice fields."""
    language = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]
    queryset = Intervention.objects.all() if queryset is None else queryset
    texts = InterventionText.objects.filter(intervention=OuterRef("pk")).order_by("pk")
    return queryset.annotate(
        title=Coalesce(
            Subquery(texts.filter(language=language).values("title")[:1]),
            Subquery(texts.filter(language=OuterRef("original_language")).values("title")[:1]),
            Subquery(texts.values("title")[:1]),
            F("slug"),
            output_field=CharField(),
        )
    )


def unique_slug(title: str, *, exclude_pk=None) -> str:
    """An address made from the title ("Školní asistent" → "skolni-asistent"), unique."""
    base = slugify(fold(title))[:110].strip("-") or "intervention"
    taken = set(
        Intervention.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    taken |= RESERVED_SLUGS
    slug, number = base, 2
    while slug in taken:
        slug = f"{base}-{number}"
        number += 1
    return slug


def _actor(user):
    # Inside a request auditlog's middleware already names the actor (with the address);
    # commands and tests name it here.
    if user is None or auditlog_value.get(None) is not None:
        return nullcontext()
    return acting_as(user)


def _refresh_search_text(obj) -> None:
    if isinstance(obj, Intervention):
        # The texts were just written: forget any prefetched ones.
        getattr(obj, "_prefetched_objects_cache", {}).pop("texts", None)
    obj.refresh_search_text()
    obj.save(update_fields=["search_text"])


# --- interventions -----------------------------------------------------------------------


@transaction.atomic
def do_save_intervention(intervention: Intervention, texts, *, related=None, acting_user):
    """Create or update an intervention with its words in each language.

    `texts` maps a language to a dict of its fields, or to None to delete that language;
    languages left out stay as they are. The original language must keep a title and a
    summary. `related=None` leaves the related interventions as they are.
    """
    with _actor(acting_user):
        languages = {code for code, _name in LANGUAGES}
        unknown = set(texts) - languages
        if unknown:
            raise ValidationError(_("Unknown language: %(code)s.") % {"code": sorted(unknown)[0]})
        existing = (
            {
                t.language: t
                for t in InterventionText.objects.filter(intervention_id=intervention.pk)
            }
            if intervention.pk
            else {}
        )
        kept = (set(existing) | {lang for lang, data in texts.items() if data}) - {
            lang for lang, data in texts.items() if data is None
        }
        if intervention.original_language not in kept:
            raise ValidationError(
                {"original_language": _("The original language needs a title and a summary.")}
            )
        if not intervention.slug:
            source = texts.get(intervention.original_language) or {}
            intervention.slug = unique_slug(source.get("title", ""), exclude_pk=intervention.pk)
        intervention.full_clean(exclude=["search_text"])
        intervention.save()
        for language, data in texts.items():
            text = existing.get(language)
            if data is None:
                if text is not None:
                    text.delete()
                continue
            text = text or InterventionText(intervention=intervention, language=language)
            changed = [name for name in TEXT_FIELDS if getattr(text, name) != data.get(name, "")]
            for name in TEXT_FIELDS:
                setattr(text, name, data.get(name, ""))
            text.full_clean(exclude=["intervention"])
            if text.pk is None:
                text.save()
            elif changed:
                text.save(update_fields=changed)
        if related is not None:
            intervention.related.set([i for i in related if i.pk != intervention.pk])
        _refresh_search_text(intervention)
    transaction.on_commit(maps.invalidate_map)
    return intervention


@transaction.atomic
def do_publish(obj, *, acting_user):
    """Publish an intervention or a good practice (again: the date moves to now)."""
    with _actor(acting_user):
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        if (
            isinstance(obj, Intervention)
            and not obj.texts.filter(language=obj.original_language).exists()
        ):
            raise ValidationError(_("Write the text in the original language first."))
        obj.status = Status.PUBLISHED
        obj.published_at = timezone.now()
        obj.save(update_fields=["status", "published_at", "updated"])
        _refresh_search_text(obj)
    transaction.on_commit(maps.invalidate_map)
    return obj


@transaction.atomic
def do_unpublish(obj, *, acting_user):
    """Take an intervention or a good practice off the public catalogue, back to draft."""
    with _actor(acting_user):
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        if obj.status != Status.PUBLISHED:
            raise ValidationError(_("Only published content can be withdrawn."))
        obj.status = Status.DRAFT
        obj.published_at = None
        obj.save(update_fields=["status", "published_at", "updated"])
        _refresh_search_text(obj)
    transaction.on_commit(maps.invalidate_map)
    return obj


# --- good practice -----------------------------------------------------------------------


def _check_good_practice(gp: GoodPractice, interventions) -> None:
    if gp.start_year and gp.end_year and gp.end_year < gp.start_year:
        raise ValidationError({"end_year": _("The period cannot end before it starts.")})
    if interventions is None:
        return
    current = set(gp.interventions.values_list("pk", flat=True)) if gp.pk else set()
    if any(i.status != Status.PUBLISHED and i.pk not in current for i in interventions):
        raise ValidationError({"interventions": _("Choose published interventions.")})


@transaction.atomic
def do_save_good_practice(gp: GoodPractice, *, interventions=None, acting_user) -> GoodPractice:
    """Create or update a good practice; `interventions=None` leaves its links as they are."""
    with _actor(acting_user):
        if interventions is not None:
            interventions = list(interventions)
        _check_good_practice(gp, interventions)
        gp.full_clean(exclude=["search_text"])
        gp.refresh_search_text()
        gp.save()
        if interventions is not None:
            gp.interventions.set(interventions)
    transaction.on_commit(maps.invalidate_map)
    return gp


@transaction.atomic
def do_propose_good_practice(measure, data, *, acting_user) -> GoodPractice:
    """A coordinator shares a measure of their plan as good practice; editors review it.

    `data` holds the good practice's fields (and `interventions`). A proposal of the same
    measure that waits for review or came back is revised rather than duplicated.
    """
    with _actor(acting_user):
        data = dict(data)
        interventions = list(data.pop("interventions", []))
        gp = (
            GoodPractice.objects.select_for_update()
            .filter(source_measure=measure, status__in=[Status.PROPOSED, Status.RETURNED])
            .order_by("-pk")
            .first()
        ) or GoodPractice(source_measure=measure)
        for name, value in data.items():
            setattr(gp, name, value)
        gp.territory = measure.territory
        gp.language = measure.territory.language
        gp.status = Status.PROPOSED
        gp.proposed_by = acting_user
        _check_good_practice(gp, interventions)
        gp.full_clean(exclude=["search_text"])
        gp.refresh_search_text()
        gp.save()
        gp.interventions.set(interventions)
    _notify_editors(gp)
    return gp


@transaction.atomic
def do_return_good_practice(gp: GoodPractice, note: str, *, acting_user) -> GoodPractice:
    """Send a proposal back to its author with a note of what to change."""
    with _actor(acting_user):
        gp = GoodPractice.objects.select_for_update().get(pk=gp.pk)
        if gp.status != Status.PROPOSED:
            raise ValidationError(_("Only a proposal waiting for review can be returned."))
        if not note.strip():
            raise ValidationError({"review_note": _("Tell the author what to change.")})
        gp.status = Status.RETURNED
        gp.review_note = note.strip()
        gp.save(update_fields=["status", "review_note", "updated"])
        _refresh_search_text(gp)
    if gp.proposed_by_id:
        transaction.on_commit(lambda: _send_returned(gp.pk), robust=True)
    return gp


# --- e-mail: a message and a link, nothing more -------------------------------------------


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def editors():
    """Active users who hold the catalogue-editor permission, directly or through a group."""
    app_label, codename = EDITOR_PERMISSION
    permission = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    ).first()
    if permission is None:
        return get_user_model().objects.none()
    return (
        get_user_model()
        .objects.filter(Q(user_permissions=permission) | Q(groups__permissions=permission))
        .filter(is_active=True)
        .exclude(email="")
        .distinct()
    )


def _notify_editors(gp: GoodPractice) -> None:
    transaction.on_commit(lambda: _send_proposed(gp.pk), robust=True)


def _send(addresses, subject, template, context, language) -> None:
    if not addresses:
        return
    with translation.override(language):
        subject = " ".join(str(subject()).split())
        body = render_to_string(template, context)
    with get_connection() as connection:
        connection.send_messages(
            [EmailMessage(subject=subject, body=body, to=[address]) for address in addresses]
        )


def _send_proposed(gp_pk: int) -> None:
    gp = GoodPractice.objects.select_related("territory").get(pk=gp_pk)
    addresses = sorted(editors().values_list("email", flat=True))
    _send(
        addresses,
        lambda: _("Spolu: a good practice waits for review"),
        "catalog/edit_email_proposed.txt",
        {
            "place": gp.territory.name if gp.territory else gp.place,
            "url": _absolute(reverse("catalog:good-practice-edit", kwargs={"pk": gp.pk})),
        },
        settings.LANGUAGE_CODE,
    )


def _send_returned(gp_pk: int) -> None:
    gp = GoodPractice.objects.select_related("proposed_by", "territory", "source_measure").get(
        pk=gp_pk
    )
    user = gp.proposed_by
    if user is None or not user.is_active or not user.email:
        return
    url = ""
    if gp.source_measure_id and gp.territory_id:
        url = _absolute(
            reverse(
                "catalog:good-practice-propose",
                kwargs={"territory": gp.territory.slug, "measure": gp.source_measure_id},
            )
        )
    _send(
        [user.email],
        lambda: _("Spolu: your good practice came back with a note"),
        "catalog/edit_email_returned.txt",
        {"title": gp.title, "note": gp.review_note, "url": url},
        gp.language,
    )
