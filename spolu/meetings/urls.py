from django.urls import path

from . import notices, views

app_name = "meetings"

T = "t/<slug:territory>/"

urlpatterns = [
    path(T + "platforms/", views.platform_list, name="platform-list"),
    path(T + "platforms/add/", views.platform_add, name="platform-add"),
    path(T + "platforms/<int:pk>/", views.platform_detail, name="platform-detail"),
    path(T + "platforms/<int:pk>/edit/", views.platform_edit, name="platform-edit"),
    path(T + "platforms/<int:pk>/generate/", views.platform_generate, name="platform-generate"),
    path(T + "platforms/<int:pk>/topics/add/", views.topic_add, name="topic-add"),
    path(T + "platforms/<int:pk>/meetings/add/", views.meeting_add, name="meeting-add"),
    path(T + "meetings/<int:pk>/", views.meeting_detail, name="meeting-detail"),
    path(T + "meetings/<int:pk>/edit/", views.meeting_edit, name="meeting-edit"),
    path(T + "meetings/<int:pk>/cancel/", views.meeting_cancel, name="meeting-cancel"),
    path(T + "meetings/<int:pk>/invite/", views.meeting_invite, name="meeting-invite"),
    path(T + "meetings/<int:pk>/respond/", views.meeting_respond, name="meeting-respond"),
    path(T + "meetings/<int:pk>/close/", views.meeting_close, name="meeting-close"),
    path(T + "meetings/<int:pk>/approve/", views.meeting_approve, name="meeting-approve"),
    path(T + "meetings/<int:pk>/corrections/add/", views.correction_add, name="correction-add"),
    path(T + "meetings/<int:pk>/minutes.<str:fmt>", views.minutes_download, name="minutes"),
    path(T + "meetings/<int:pk>/attendance/", views.attendance_edit, name="attendance"),
    path(T + "meetings/<int:pk>/decisions/add/", views.decision_add, name="decision-add"),
    path(T + "meetings/<int:pk>/agenda/add/", views.agenda_add, name="agenda-add"),
    path(T + "agenda/<int:pk>/edit/", views.agenda_edit, name="agenda-edit"),
    path(T + "agenda/<int:pk>/move/", views.agenda_move, name="agenda-move"),
    path(T + "agenda/<int:pk>/remove/", views.agenda_remove, name="agenda-remove"),
]

# Agreements and announcements live in their own module.
urlpatterns += notices.urlpatterns
