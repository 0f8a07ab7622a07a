from django.urls import path

from . import views

app_name = "plans"

T = "t/<slug:territory>/"

urlpatterns = [
    path(T + "plans/", views.plan_list, name="plan-list"),
    path(T + "plans/add/", views.plan_add, name="plan-add"),
    path(T + "plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path(T + "plans/<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path(T + "plans/<int:pk>/adopt/", views.plan_adopt, name="plan-adopt"),
    path(T + "plans/<int:pk>/advance/", views.plan_advance, name="plan-advance"),
    path(T + "plans/<int:pk>/next-period/", views.plan_next_period, name="plan-next-period"),
    path(T + "plans/<int:pk>/timeline/", views.plan_timeline, name="plan-timeline"),
    path(T + "plans/<int:pk>/goals/add/", views.goal_add, name="goal-add"),
    path(T + "plans/<int:pk>/measures/add/", views.measure_add, name="measure-add"),
    path(T + "plans/<int:pk>/indicators/add/", views.indicator_add, name="indicator-add"),
    path(T + "plans/<int:pk>/export.<str:fmt>", views.plan_export, name="plan-export"),
    path(T + "plans/<int:pk>/template.xlsx", views.plan_template, name="plan-template"),
    path(T + "plans/<int:pk>/import/", views.plan_import, name="plan-import"),
    path(T + "goals/<int:pk>/edit/", views.goal_edit, name="goal-edit"),
    path(T + "measures/<int:pk>/", views.measure_detail, name="measure-detail"),
    path(T + "measures/<int:pk>/edit/", views.measure_edit, name="measure-edit"),
    path(T + "measures/<int:pk>/progress/", views.progress_add, name="progress-add"),
    path(T + "attachments/<int:pk>/", views.attachment_download, name="attachment-download"),
    path(T + "indicators/<int:pk>/", views.indicator_detail, name="indicator-detail"),
    path(T + "indicators/<int:pk>/edit/", views.indicator_edit, name="indicator-edit"),
    path(
        T + "indicator-values/<int:pk>/delete/",
        views.indicator_value_delete,
        name="indicator-value-delete",
    ),
    path(T + "tasks/", views.task_list, name="task-list"),
    path(T + "tasks/add/", views.task_add, name="task-add"),
    path(T + "tasks/export.<str:fmt>", views.task_export, name="task-export"),
    path(T + "tasks/<int:pk>/edit/", views.task_edit, name="task-edit"),
    path(T + "tasks/<int:pk>/status/", views.task_status, name="task-status"),
    path(T + "our-measures/", views.our_measures, name="our-measures"),
]
