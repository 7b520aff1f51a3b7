from django.urls import path

from . import views

app_name = "interviews"

urlpatterns = [
    path("", views.appointment_list, name="list"),
    path("reserver/", views.book, name="book"),
    path("disponibilites/", views.availability, name="availability"),
    path("proposer/", views.propose, name="propose"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/appel/", views.call, name="call"),
    path("<int:pk>/confirmer/", views.confirm, name="confirm"),
    path("<int:pk>/deplacer/", views.reschedule, name="reschedule"),
    path("<int:pk>/annuler/", views.cancel, name="cancel"),
    path("<int:pk>/notes/", views.notes, name="notes"),
    path("<int:pk>/signalement/", views.report, name="report"),
]
