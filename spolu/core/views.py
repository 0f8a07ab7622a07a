"""Pages outside any territory: the start page and the health check."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from spolu.territories.models import Membership, NetworkMembership

from .access import public_view


@public_view
def home(request):
    """Logged in: the territories and networks the user belongs to. Otherwise: what Spolu is."""
    context = {}
    if request.user.is_authenticated:
        context["memberships"] = Membership.territories_of(request.user)
        context["network_memberships"] = list(
            NetworkMembership.objects.filter(user=request.user).select_related("network")
        )
    return render(request, "core/home.html", context)


@public_view
@never_cache
def healthz(request):
    """Load balancers ask this: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "not healthy"
        return JsonResponse(
            {"status": "error", "database": "unavailable", "detail": exc.__class__.__name__},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok"})
