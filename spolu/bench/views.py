"""The benchmark's floor: the cheapest page a user can get through the whole middleware stack."""

from django.http import HttpResponse
from django.urls import path

from spolu.core.access import public_view


@public_view
def floor(request):
    """Reads the session and the user like every page does, renders nothing."""
    return HttpResponse("ok" if request.user.is_authenticated else "ok, anonymous")


app_name = "bench"
urlpatterns = [path("floor/", floor, name="floor")]
