from django.urls import path

from . import views

app_name = "territories"

urlpatterns = [
    path("t/<slug:territory>/", views.territory_home, name="home"),
    path("t/<slug:territory>/members/", views.member_list, name="member-list"),
    path("t/<slug:territory>/members/add/", views.member_add, name="member-add"),
    path("t/<slug:territory>/members/<int:pk>/", views.member_edit, name="member-edit"),
    path("t/<slug:territory>/members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("t/<slug:territory>/audit/", views.audit_log, name="audit-log"),
    path("n/<slug:network>/", views.network_home, name="network-home"),
]
