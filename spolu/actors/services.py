"""Business operations on the actor registry: saving organisations and people."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Organisation, Person


def _check_municipality(organisation: Organisation) -> None:
    municipality = organisation.municipality
    if municipality is None:
        return
    if organisation.territory_id not in (municipality.pk, municipality.parent_id):
        raise ValidationError({"municipality": _("Choose a municipality of this territory.")})


@transaction.atomic
def do_save_organisation(organisation: Organisation, *, acting_user) -> Organisation:
    """Create or update an organisation of its territory (the audit log records the change)."""
    _check_municipality(organisation)
    organisation.full_clean(exclude=["territory", "register_values"])
    organisation.save()
    return organisation


@transaction.atomic
def do_save_person(
    person: Person,
    *,
    organisations,
    acting_user,
    allowed_organisation_ids: set[int] | None = None,
) -> Person:
    """Create or update a contact person and the organisations they work for.

    `allowed_organisation_ids` limits a partner to people of their own organisations: after
    the write the person must still belong to one of them, or the whole change is undone.
    """
    organisations = list(organisations)
    foreign = [o for o in organisations if o.territory_id != person.territory_id]
    if foreign:
        raise ValidationError({"organisations": _("Choose organisations of this territory.")})
    if person.has_left and person.left_on is None:
        person.left_on = datetime.date.today()
    if not person.has_left:
        person.left_on = None
    person.full_clean(exclude=["territory", "user"])
    person.save()
    person.organisations.set(organisations)
    if allowed_organisation_ids is not None and not (
        {o.pk for o in organisations} & allowed_organisation_ids
    ):
        # Raising inside the atomic block undoes the save above.
        raise ValidationError({"organisations": _("Keep at least one of your own organisations.")})
    return person
