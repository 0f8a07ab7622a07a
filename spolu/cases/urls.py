from django.urls import path

from . import stats, subject, views

app_name = "cases"

T = "t/<slug:territory>/cases/"

urlpatterns = [
    path(T, views.signal_list, name="signal-list"),
    path(T + "new/", views.signal_add, name="signal-add"),
    path(T + "export.<str:fmt>", views.signal_export, name="signal-export"),
    path(T + "log/", views.case_log, name="case-log"),
    path(T + "<int:pk>/", views.signal_detail, name="signal-detail"),
    path(T + "<int:pk>/triage/", views.signal_triage, name="signal-triage"),
    path(T + "<int:pk>/refer/", views.signal_refer, name="signal-refer"),
    path(T + "<int:pk>/events/add/", views.signal_event_add, name="signal-event-add"),
    path(T + "<int:pk>/supplement/", views.signal_supplement, name="signal-supplement"),
    path(T + "<int:pk>/close/", views.signal_close, name="signal-close"),
    path(
        T + "<int:pk>/referrals/<int:referral>/answer/",
        views.referral_answer,
        name="referral-answer",
    ),
]

urlpatterns += subject.urlpatterns
urlpatterns += stats.urlpatterns
