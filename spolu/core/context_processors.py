"""Template context every page needs: the header's territory switcher and allowed actions."""

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from spolu.territories.models import Membership

from .permissions import allowed_actions


def spolu(request):
    user = getattr(request, "user", None)
    role = getattr(request, "role", None)

    def my_memberships():
        if user is None or not user.is_authenticated:
            return []
        known = getattr(request, "spolu_memberships", None)  # read by territory_view
        return known if known is not None else Membership.territories_of(user)

    return {
        "product_name": settings.SPOLU_PRODUCT_NAME,
        "tagline": settings.SPOLU_TAGLINE,
        "current_territory": getattr(request, "territory", None),
        "current_role": role,
        "can": allowed_actions(role),
        # Evaluated lazily, once, only by templates that show the switcher.
        "my_memberships": SimpleLazyObject(my_memberships),
    }
