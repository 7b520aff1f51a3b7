from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.my_data, name="my_data"),
    path("export.json", views.export, name="export"),
    path("effacement/", views.erasure, name="erasure"),
]
