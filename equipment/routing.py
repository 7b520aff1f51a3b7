"""Websocket routes of the equipment app."""

from django.urls import path

from . import consumers

websocket_urlpatterns: list = [
    path("ws/equipement/test/", consumers.EquipmentCheckConsumer.as_asgi()),
]
