import pytest

from .builders import make_case_world


@pytest.fixture
def world(cast):
    return make_case_world(cast)
