from django.urls import path

from . import views

app_name = "seekers"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("inscription/", views.enrol, name="enrol"),
    path("inscription/declarations/", views.enrol_declarations, name="enrol_declarations"),
    path("inscription/accessibilite/", views.enrol_accessibility, name="enrol_accessibility"),
    path("inscription/equipement/", views.enrol_equipment, name="enrol_equipment"),
    path("espace/demandeur/", views.home, name="home"),
    path("espace/demandeur/retour-agence/", views.return_to_agency, name="return_to_agency"),
    path("espace/demandeur/revenir/", views.rejoin, name="rejoin"),
]
