from django.urls import path

from . import views

app_name = "equipment"

urlpatterns = [
    path("test/", views.check, name="check"),
    path("historique/", views.history, name="history"),
    path("demandeurs/<int:seeker_id>/", views.seeker_checks, name="seeker_checks"),
]
