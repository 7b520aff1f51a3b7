from django.urls import path

from . import views

app_name = "advisors"

urlpatterns = [
    path("", views.home, name="home"),
    path("absence/", views.absence, name="absence"),
    path("agenda/", views.agenda, name="agenda"),
]
