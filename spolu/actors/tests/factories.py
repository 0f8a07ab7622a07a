"""Small builders for organisations and people of a test territory."""

from django_scopes import scope

from spolu.actors.models import Organisation, Person


def make_organisation(territory, name="Základní škola Alfov", **fields):
    fields.setdefault("kind", "primary_school")
    with scope(territory=territory):
        return Organisation.objects.create(territory=territory, name=name, **fields)


def make_person(territory, full_name="Jana Testová", organisations=(), **fields):
    fields.setdefault("position", "head")
    with scope(territory=territory):
        person = Person.objects.create(territory=territory, full_name=full_name, **fields)
        person.organisations.set(organisations)
        return person
