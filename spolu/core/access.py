"""Access declarations for views: every view says who may reach it, or it cannot be reached.

`territory_view("action")` resolves the territory from the URL once (pretix-style), checks the
user's membership and role, opens the django-scopes scope for that territory, and hands the
view `request.territory`, `request.membership` and `request.role`.
"""

import time
from functools import wraps

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django_scopes import scope

from .permissions import SENSITIVE_ACTIONS, network_role_can, role_can

ACCESS_ATTR = "spolu_access"


def _mark(view, kind: str, action: str | None = None):
    setattr(view, ACCESS_ATTR, (kind, action))
    return view


def public_view(view):
    """Anyone, logged in or not, may open this view."""
    return _mark(view, "public")


def login_view(view):
    """Any logged-in user; the view shows only what belongs to that user."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return _mark(wrapped, "login")


def _no_store(response):
    # Pages inside a territory show personal data: never keep them in shared caches.
    response["Cache-Control"] = "no-store"
    return response


def territory_view(action: str, *, hide: bool = False):
    """Require a membership in the URL's territory whose role allows `action`.

    With `hide=True` a role without the action gets 404 instead of 403, for pages whose mere
    existence must not be confirmed (a single case signal).
    """
    role_can(None, action)  # fail at import time on an undeclared action
    sensitive = action in SENSITIVE_ACTIONS

    def decorator(view):
        @wraps(view)
        def wrapped(request, territory, *args, **kwargs):
            from spolu.territories.models import Membership

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            # All of the user's memberships in one query: the header's territory switcher
            # shows the same list (context_processors.spolu), so the page needs no second one.
            memberships = Membership.territories_of(request.user)
            membership = next((m for m in memberships if m.territory.slug == territory), None)
            if membership is None:
                raise Http404
            request.spolu_memberships = memberships
            if not role_can(membership.role, action):
                raise Http404 if hide else PermissionDenied
            if sensitive or membership.role in settings.SPOLU_SENSITIVE_ROLES:
                request.session["spolu_sensitive"] = True
                # The idle clock starts now, not at the next request.
                request.session.setdefault("spolu_last_seen", int(time.time()))
            role_needs_mfa = membership.role in settings.SPOLU_MFA_REQUIRED_ROLES
            page_needs_mfa = sensitive and settings.SPOLU_CASE_DATA_MFA
            if (role_needs_mfa or page_needs_mfa) and not _has_mfa(request.user):
                if role_needs_mfa:
                    reason = _(
                        "Your role in this territory requires two-factor authentication. "
                        "Set it up to continue."
                    )
                else:
                    reason = _(
                        "Pages with data about pupils require two-factor authentication. "
                        "Set it up to continue."
                    )
                messages.warning(request, reason)
                return redirect("mfa_activate_totp")
            request.territory = membership.territory
            request.membership = membership
            request.role = membership.role
            with scope(territory=membership.territory):
                return _no_store(view(request, *args, **kwargs))

        return _mark(wrapped, "territory", action)

    return decorator


def permission_view(permission: str):
    """Require a global permission (e.g. catalogue editors); others get 403, guests log in."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(permission):
                raise PermissionDenied
            return _no_store(view(request, *args, **kwargs))

        return _mark(wrapped, "permission", permission)

    return decorator


def network_view(action: str):
    """Require a membership in the URL's network whose role allows `action`."""
    network_role_can(None, action)

    def decorator(view):
        @wraps(view)
        def wrapped(request, network, *args, **kwargs):
            from spolu.territories.models import NetworkMembership

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = NetworkMembership.for_user_in(request.user, network)
            if membership is None:
                raise Http404
            if not network_role_can(membership.role, action):
                raise PermissionDenied
            request.network = membership.network
            request.network_membership = membership
            return _no_store(view(request, *args, **kwargs))

        return _mark(wrapped, "network", action)

    return decorator


def _has_mfa(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def declared_access(view_func):
    """The (kind, action) a view declared, or None."""
    return getattr(view_func, ACCESS_ATTR, None)
