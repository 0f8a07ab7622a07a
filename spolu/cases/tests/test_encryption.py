"""Pupil data at rest: stored encrypted, readable through the model, keys rotated by command."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django_scopes import scope

from spolu.cases.models import Signal, SignalEvent
from spolu.core.crypto import PREFIX, encrypted_fields, generate_key

from .builders import file_signal


def raw(model, column, pk) -> str:
    """The value as the database holds it, bypassing the field's decryption."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(column)} FROM {quote(model._meta.db_table)} WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]


def test_free_text_and_the_pupil_are_stored_encrypted(world):
    signal = file_signal(
        world, pupil_reference="REF-7781", pupil_initials="K. L.", description="Spí ve třídě."
    )
    stored = {name: raw(Signal, name, signal.pk) for name in encrypted_fields(Signal)}
    assert set(stored) == {"pupil_reference", "pupil_initials", "description", "school_actions"}
    for name, value in stored.items():
        assert value.startswith(PREFIX), name
    assert "REF-7781" not in stored["pupil_reference"]
    assert "Spí" not in stored["description"]
    with scope(territory=world.territory):
        event = SignalEvent.objects.get(signal=signal, kind="received")
        assert raw(SignalEvent, "text", event.pk).startswith(PREFIX)
        again = Signal.objects.get(pk=signal.pk)
    assert again.pupil_reference == "REF-7781"
    assert again.description == "Spí ve třídě."


def test_rotation_moves_every_value_to_the_new_key(world, settings):
    old, new = generate_key(), generate_key()
    settings.SPOLU_FIELD_KEY = [old]
    signal = file_signal(world, description="Text před rotací.", pupil_initials="")
    before = raw(Signal, "description", signal.pk)

    settings.SPOLU_FIELD_KEY = [new, old]
    out = io.StringIO()
    call_command("rotate_field_key", stdout=out)

    after = raw(Signal, "description", signal.pk)
    assert after != before and after.startswith(PREFIX)
    with pytest.raises(InvalidToken):
        Fernet(old.encode()).decrypt(after.removeprefix(PREFIX).encode())
    assert raw(Signal, "pupil_initials", signal.pk) == ""  # empty stays empty
    assert "cases.Signal: 3 values in 1 rows" in out.getvalue()

    settings.SPOLU_FIELD_KEY = [new]
    with scope(territory=world.territory):
        again = Signal.objects.get(pk=signal.pk)
        texts = list(again.events.values_list("text", flat=True))
    assert again.description == "Text před rotací."
    assert again.pupil_reference == "2019/041"
    assert any(text.startswith("The department received") for text in texts)

    # Running it again is harmless.
    call_command("rotate_field_key", stdout=io.StringIO())
    with scope(territory=world.territory):
        assert Signal.objects.get(pk=signal.pk).description == "Text před rotací."


def test_a_key_removed_before_rotation_fails_loudly(world, settings):
    settings.SPOLU_FIELD_KEY = [generate_key()]
    signal = file_signal(world)
    settings.SPOLU_FIELD_KEY = [generate_key()]
    with scope(territory=world.territory), pytest.raises(ImproperlyConfigured, match="rotate"):
        Signal.objects.get(pk=signal.pk)


def test_generate_field_key_prints_a_usable_key():
    out = io.StringIO()
    call_command("generate_field_key", stdout=out)
    key = out.getvalue().strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
