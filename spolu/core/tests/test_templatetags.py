"""Numbers are shown the way a reader writes them."""

from decimal import Decimal

from django.utils import translation

from spolu.core.templatetags.spolu import number


def test_number_drops_trailing_zeros_and_follows_the_language():
    assert number(Decimal("9.00")) == "9"
    with translation.override("cs"):
        assert number(Decimal("6.50")) == "6,5"
        assert number(Decimal("125000.00")).replace("\xa0", " ") == "125 000"
    assert number(None) == ""
