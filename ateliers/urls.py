from django.urls import path

from . import views

app_name = "ateliers"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("cv/envoyer/", views.cv_upload, name="cv_upload"),
    path("cv/<int:pk>/", views.cv_detail, name="cv_detail"),
    path("cv/<int:pk>/fichier/", views.cv_file, name="cv_file"),
    path("suivi/<int:seeker_pk>/", views.seeker_progress, name="seeker_progress"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/<int:pk>/", views.session, name="session"),
    path("sessions/<int:pk>/inscription/", views.session_register, name="session_register"),
    path("sessions/<int:pk>/annulation/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/invitation.ics", views.session_ics, name="session_ics"),
    path("sessions/<int:pk>/presences/", views.attendance_correct, name="attendance_correct"),
    path("sessions/<int:pk>/salle/", views.room, name="room"),
    path("simulations/", views.simulations, name="simulations"),
    path("simulations/<int:pk>/", views.simulation, name="simulation"),
    path("simulations/<int:pk>/partage/", views.simulation_share, name="simulation_share"),
    path("simulations/<int:pk>/suppression/", views.simulation_delete, name="simulation_delete"),
    path(
        "simulations/<int:pk>/questions/<int:position>/",
        views.simulation_question,
        name="simulation_question",
    ),
    path(
        "simulations/<int:pk>/questions/<int:position>/offre/",
        views.take_offer,
        name="take_offer",
    ),
    path("simulations/<int:pk>/questions/<int:position>/fin/", views.take_stop, name="take_stop"),
    path(
        "simulations/<int:pk>/questions/<int:position>/video.webm",
        views.answer_media,
        name="answer_media",
    ),
    path(
        "simulations/<int:pk>/questions/<int:position>/retours/",
        views.feedback_add,
        name="feedback_add",
    ),
    path("<slug:slug>/", views.workshop, name="workshop"),
    path("<slug:slug>/lecons/<int:position>/", views.lesson, name="lesson"),
    path(
        "<slug:slug>/lecons/<int:position>/modele/", views.lesson_template, name="lesson_template"
    ),
]
