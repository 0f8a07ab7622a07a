from django.urls import path

from . import views

app_name = "actors"

T = "t/<slug:territory>/"

urlpatterns = [
    path(T + "organisations/", views.organisation_list, name="organisation-list"),
    path(T + "organisations/map/", views.organisation_map, name="organisation-map"),
    path(T + "organisations/add/", views.organisation_add, name="organisation-add"),
    path(T + "organisations/import/", views.register_import, name="register-import"),
    path(
        T + "organisations/export.<str:fmt>", views.organisation_export, name="organisation-export"
    ),
    path(T + "organisations/<int:pk>/", views.organisation_detail, name="organisation-detail"),
    path(T + "organisations/<int:pk>/edit/", views.organisation_edit, name="organisation-edit"),
    path(T + "people/", views.person_list, name="person-list"),
    path(T + "people/add/", views.person_add, name="person-add"),
    path(T + "people/import/", views.people_import, name="people-import"),
    path(T + "people/export.<str:fmt>", views.person_export, name="person-export"),
    path(T + "people/<int:pk>/", views.person_detail, name="person-detail"),
    path(T + "people/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path(T + "people/<int:pk>/vcard/", views.person_vcard, name="person-vcard"),
]
