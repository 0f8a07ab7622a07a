"""Tenant models refuse queries made outside a territory scope."""

import pytest
from django_scopes import ScopeError, scope

from spolu.territories.models import Membership


def test_unscoped_query_fails_loudly(cast):
    with pytest.raises(ScopeError):
        list(Membership.objects.all())


def test_scope_limits_rows_to_the_territory(cast):
    with scope(territory=cast.territory_a):
        territories = set(Membership.objects.values_list("territory", flat=True))
    assert territories == {cast.territory_a.pk}
