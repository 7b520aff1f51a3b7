"""Websocket routes of the ateliers app."""

from django.urls import path

from .consumers import RoomConsumer

websocket_urlpatterns: list = [
    path("ws/ateliers/sessions/<int:session_id>/", RoomConsumer.as_asgi()),
]
