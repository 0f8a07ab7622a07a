"""Editing the directory: who may change what, validation, and the audit trail."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django_scopes import scope

from spolu.actors.models import Organisation, Person
from spolu.actors.tests.factories import make_organisation, make_person


def url(name, *args):
    return reverse(f"actors:{name}", args=["alfov", *args])


VALID = {"name": "Základní škola Nová", "kind": "primary_school", "active": "on"}


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("a_coordinator", 200),
        ("a_team", 200),
        ("a_partner", 403),
        ("a_school", 403),
        ("a_viewer", 403),
        ("b_coordinator", 404),
    ],
)
def test_who_may_add_organisations(cast, client_for, user, status):
    assert client_for(cast.user(user)).get(url("organisation-add")).status_code == status


def test_team_adds_an_organisation(cast, client_for):
    village = cast.territory_a.children.get()
    data = {
        **VALID,
        "municipality": village.pk,
        "education_levels": ["preschool", "primary"],
        "web": "skola.example.org",
        "ico": "12345678",
    }
    response = client_for(cast.user("a_team")).post(url("organisation-add"), data)
    with scope(territory=cast.territory_a):
        organisation = Organisation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("organisation-detail", organisation.pk)
    assert organisation.education_levels == ["preschool", "primary"]
    assert organisation.web == "https://skola.example.org"
    assert organisation.municipality == village
    entry = LogEntry.objects.get_for_object(organisation).get()
    assert entry.actor == cast.user("a_team")
    assert entry.additional_data == {"territory": cast.territory_a.pk}


def test_invalid_organisation_shows_errors_and_keeps_input(cast, client_for):
    data = {**VALID, "name": "", "email": "not-an-address", "phone": "+420 123 456 789"}
    response = client_for(cast.user("a_team")).post(url("organisation-add"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in html
    assert "Enter a valid email address." in html
    assert 'value="+420 123 456 789"' in html
    with scope(territory=cast.territory_a):
        assert not Organisation.objects.exists()


def test_municipality_of_another_territory_is_refused(cast, client_for):
    data = {**VALID, "municipality": cast.territory_b.pk}
    response = client_for(cast.user("a_team")).post(url("organisation-add"), data)
    assert "Select a valid choice" in response.content.decode()


def test_polish_territory_form_asks_for_polish_identifiers(cast, client_for):
    html = (
        client_for(cast.user("b_coordinator"))
        .get(reverse("actors:organisation-add", args=["betow"]))
        .content.decode()
    )
    assert 'name="regon"' in html and 'name="rspo"' in html
    assert 'name="red_izo"' not in html


def _partner_of(cast, organisation, user="a_partner"):
    return make_person(
        cast.territory_a, full_name="Partner", organisations=[organisation], user=cast.user(user)
    )


def test_partner_edits_own_organisation_only(cast, client_for):
    own = make_organisation(cast.territory_a, name="Naše NGO", kind="ngo")
    other = make_organisation(cast.territory_a, name="Cizí škola")
    _partner_of(cast, own)
    client = client_for(cast.user("a_partner"))
    assert client.get(url("organisation-edit", other.pk)).status_code == 403
    assert client.post(url("organisation-edit", other.pk), VALID).status_code == 403
    response = client.post(
        url("organisation-edit", own.pk), {**VALID, "name": "Naše NGO, z. s.", "kind": "ngo"}
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.name == "Naše NGO, z. s."
    detail = client.get(url("organisation-detail", own.pk)).content.decode()
    assert url("organisation-edit", own.pk) in detail
    detail = client.get(url("organisation-detail", other.pk)).content.decode()
    assert url("organisation-edit", other.pk) not in detail


def test_partner_who_left_loses_edit_rights(cast, client_for):
    own = make_organisation(cast.territory_a, name="Naše NGO", kind="ngo")
    person = _partner_of(cast, own)
    with scope(territory=cast.territory_a):
        Person.objects.filter(pk=person.pk).update(has_left=True)
    assert (
        client_for(cast.user("a_partner")).get(url("organisation-edit", own.pk)).status_code == 403
    )


def test_viewer_cannot_edit(cast, client_for):
    organisation = make_organisation(cast.territory_a)
    person = make_person(cast.territory_a, organisations=[organisation])
    client = client_for(cast.user("a_viewer"))
    assert client.get(url("organisation-edit", organisation.pk)).status_code == 403
    assert client.get(url("person-add")).status_code == 403
    assert client.post(url("person-edit", person.pk), {"full_name": "X"}).status_code == 403


def test_team_adds_a_person_to_an_organisation(cast, client_for):
    organisation = make_organisation(cast.territory_a)
    client = client_for(cast.user("a_team"))
    form = client.get(url("person-add") + f"?organisation={organisation.pk}").content.decode()
    assert f'<option value="{organisation.pk}" selected>' in form
    response = client.post(
        url("person-add"),
        {
            "full_name": "Eva Poradkyně",
            "position": "educational_counsellor",
            "organisations": [organisation.pk],
            "email": "eva@example.org",
        },
    )
    assert response.status_code == 302
    with scope(territory=cast.territory_a):
        person = Person.objects.get(full_name="Eva Poradkyně")
        assert list(person.organisations.all()) == [organisation]


def test_partner_adds_people_only_to_own_organisation(cast, client_for):
    own = make_organisation(cast.territory_a, name="Naše NGO", kind="ngo")
    other = make_organisation(cast.territory_a, name="Cizí škola")
    _partner_of(cast, own)
    client = client_for(cast.user("a_partner"))
    form = client.get(url("person-add")).content.decode()
    assert "Naše NGO" in form and "Cizí škola" not in form
    response = client.post(
        url("person-add"),
        {"full_name": "Nový Kolega", "position": "social_worker", "organisations": [other.pk]},
    )
    assert "Select a valid choice" in response.content.decode()
    response = client.post(
        url("person-add"), {"full_name": "Bez Organizace", "position": "social_worker"}
    )
    assert "Keep at least one of your own organisations." in response.content.decode()
    with scope(territory=cast.territory_a):
        assert not Person.objects.filter(full_name__in=["Nový Kolega", "Bez Organizace"]).exists()


def test_partner_without_organisation_cannot_add_people(cast, client_for):
    assert client_for(cast.user("a_partner")).get(url("person-add")).status_code == 403


def test_marking_a_person_as_left_keeps_them_in_history(cast, client_for):
    organisation = make_organisation(cast.territory_a)
    person = make_person(cast.territory_a, full_name="Odcházející", organisations=[organisation])
    response = client_for(cast.user("a_coordinator")).post(
        url("person-edit", person.pk),
        {
            "full_name": "Odcházející",
            "position": "head",
            "organisations": [organisation.pk],
            "has_left": "on",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.has_left and person.left_on is not None
    updates = LogEntry.objects.get_for_object(person).filter(action=LogEntry.Action.UPDATE)
    assert any("has_left" in entry.changes_dict for entry in updates)


def test_coordinator_links_a_member_account_to_a_person(cast, client_for):
    ngo = make_organisation(cast.territory_a, name="Naše NGO", kind="ngo")
    person = make_person(cast.territory_a, full_name="Partnerka", organisations=[ngo])
    client = client_for(cast.user("a_coordinator"))
    form = client.get(url("person-edit", person.pk)).content.decode()
    assert "a-partner@example.org" in form and "b-partner@example.org" not in form
    client.post(
        url("person-edit", person.pk),
        {
            "full_name": "Partnerka",
            "position": "head",
            "organisations": [ngo.pk],
            "user": cast.user("a_partner").pk,
        },
    )
    person.refresh_from_db()
    assert person.user == cast.user("a_partner")
    # The partner now edits the NGO.
    partner = client_for(cast.user("a_partner"))
    assert partner.get(url("organisation-edit", ngo.pk)).status_code == 200
    assert 'name="user"' not in partner.get(url("person-edit", person.pk)).content.decode()


def test_partner_edit_keeps_the_persons_other_organisations(cast, client_for):
    own = make_organisation(cast.territory_a, name="Naše NGO", kind="ngo")
    school = make_organisation(cast.territory_a, name="Škola")
    _partner_of(cast, own)
    shared = make_person(cast.territory_a, full_name="Sdílená", organisations=[own, school])
    client_for(cast.user("a_partner")).post(
        url("person-edit", shared.pk),
        {"full_name": "Sdílená Nová", "position": "head", "organisations": [own.pk]},
    )
    with scope(territory=cast.territory_a):
        assert set(Person.objects.get(pk=shared.pk).organisations.all()) == {own, school}


def test_duplicate_red_izo_is_a_field_error(cast, client_for):
    make_organisation(cast.territory_a, name="První", red_izo="600000001")
    response = client_for(cast.user("a_team")).post(
        url("organisation-add"), {**VALID, "red_izo": "600000001"}
    )
    assert response.status_code == 200
    assert "Another organisation of this territory has this RED_IZO." in response.content.decode()


def test_odd_digits_in_parameters_do_not_break_pages(cast, client_for):
    client = client_for(cast.user("a_team"))
    assert client.get(url("person-add") + "?organisation=²").status_code == 200
