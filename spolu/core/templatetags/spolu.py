"""Template filters shared by every app."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def number(value):
    """A decimal without trailing zeros, in the reader's number format (9.00 → 9, 6.50 → 6,5)."""
    if value in (None, ""):
        return ""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    normalized = value.normalize()
    if normalized == normalized.to_integral():
        normalized = normalized.quantize(Decimal(1))
    return number_format(normalized, use_l10n=True, force_grouping=True)
