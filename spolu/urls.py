from django.contrib import admin
from django.urls import include, path

from spolu.meetings import feeds

urlpatterns = [
    path("", include("spolu.core.urls")),
    path("", include("spolu.territories.urls")),
    path("", include("spolu.actors.urls")),
    path("", include("spolu.plans.urls")),
    path("", include("spolu.meetings.urls")),
    path("", include("spolu.cases.urls")),
    path("catalogue/", include("spolu.catalog.urls")),
    path("bench/", include("spolu.bench.urls")),
    path("", include((feeds.urlpatterns, "calendar"))),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
