"""Fixtures shared by every test suite."""

import pytest

from spolu.core.testing import make_cast


@pytest.fixture
def cast(db):
    return make_cast()


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded files of a test never land in the project's media folder.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english(settings):
    # Assertions on page text are written in English; Czech stays the product default.
    settings.LANGUAGE_CODE = "en"
