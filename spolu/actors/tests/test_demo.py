"""The demo town gets a directory worth exploring, and loading it twice duplicates nothing."""

from django.core.management import call_command
from django_scopes import scopes_disabled

from spolu.actors.models import Organisation, OrganisationKind, Person


def test_demo_directory_is_complete_and_idempotent(db):
    call_command("load_demo")
    with scopes_disabled():
        zelenov = Organisation.objects.filter(territory__slug="zelenov")
        counts = (zelenov.count(), Person.objects.filter(territory__slug="zelenov").count())
        kinds = set(zelenov.values_list("kind", flat=True))
        imported = zelenov.exclude(source="manual").count()
        partner = Person.objects.get(user__email="partner@zelenov.example")
        partner_has_organisation = partner.organisations.exists()
    assert counts[0] >= 20 and counts[1] >= 50
    assert imported >= 10
    assert {
        OrganisationKind.PRIMARY_SCHOOL,
        OrganisationKind.KINDERGARTEN,
        OrganisationKind.CHILD_PROTECTION,
        OrganisationKind.COUNSELLING_CENTRE,
    } <= kinds
    assert partner_has_organisation

    call_command("load_demo")
    with scopes_disabled():
        again = (
            Organisation.objects.filter(territory__slug="zelenov").count(),
            Person.objects.filter(territory__slug="zelenov").count(),
        )
    assert again == counts
