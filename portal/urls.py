from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from portal import views

handler500 = "portal.views.server_error"

portal_patterns = ([path("espace/", views.dispatch, name="dispatch")], "portal")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include(portal_patterns)),
    path("", include("seekers.urls")),
    path("conseiller/", include("advisors.urls")),
    path("dossier/", include("casefile.urls")),
    path("espace/demandeur/mes-donnees/", include("privacy.urls")),
    path("equipement/", include("equipment.urls")),
    path("messagerie/", include("chat.urls")),
    path("entretiens/", include("interviews.urls")),
    path("ateliers/", include("ateliers.urls")),
]
