from django.urls import path

from . import views

app_name = "casefile"

urlpatterns = [
    path("demandeurs/<int:seeker_id>/", views.seeker_file, name="file"),
    path("demandeurs/<int:seeker_id>/objectifs/", views.goal_add, name="goal_add"),
    path(
        "demandeurs/<int:seeker_id>/objectifs/<int:goal_id>/actions/",
        views.action_add,
        name="action_add",
    ),
    path(
        "demandeurs/<int:seeker_id>/actions/<int:action_id>/statut/",
        views.action_status,
        name="action_status",
    ),
    path("demandeurs/<int:seeker_id>/notes/", views.note_add, name="note_add"),
    path("demandeurs/<int:seeker_id>/offres/", views.offer_share, name="offer_share"),
    path("mon-plan/", views.my_plan, name="my_plan"),
    path(
        "mon-plan/actions/<int:action_id>/statut/", views.my_action_status, name="my_action_status"
    ),
]
