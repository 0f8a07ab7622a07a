"""Request-wide rules: deny views that declare no access, and idle timeout for sensitive roles."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseForbidden
from django.utils.translation import gettext as _

from .access import declared_access

# Views of these packages have their own access rules (login pages, the admin, static files).
TRUSTED_VIEW_MODULES = (
    "allauth.",
    "django.contrib.admin.",
    "django.contrib.auth.",
    "django.contrib.staticfiles.",
    "django.views.i18n",
    "django.views.static",
    "django.views.defaults",
)


def view_module(view_func) -> str:
    target = getattr(view_func, "view_class", None) or getattr(view_func, "__wrapped__", view_func)
    admin_site = getattr(view_func, "admin_site", None)
    if admin_site is not None:
        return "django.contrib.admin.sites"
    module = getattr(view_func, "__module__", "") or ""
    if module.startswith("django.contrib.admin"):
        return module
    return getattr(target, "__module__", module) or module


def is_trusted_third_party(view_func) -> bool:
    module = view_module(view_func)
    return any(
        module.startswith(prefix) or module == prefix.rstrip(".") for prefix in TRUSTED_VIEW_MODULES
    )


class DenyByDefaultMiddleware:
    """A Spolu view that declares no access rule cannot be reached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if declared_access(view_func) is not None or is_trusted_third_party(view_func):
            return None
        return HttpResponseForbidden(_("This page declares no access rule."))


class SessionIdleTimeoutMiddleware:
    """Log out users of sensitive roles (case data) after a period without requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated and session.get("spolu_sensitive"):
            now = int(time.time())
            last = session.get("spolu_last_seen", now)
            if now - last > settings.SPOLU_SENSITIVE_IDLE_MINUTES * 60:
                logout(request)
                messages.info(request, _("You were logged out after a period of inactivity."))
                return redirect_to_login(request.get_full_path())
            session["spolu_last_seen"] = now
        return self.get_response(request)
