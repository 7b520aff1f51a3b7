"""Websocket routes of the chat app."""

from django.urls import path

from .consumers import ChatConsumer

websocket_urlpatterns: list = [
    path("ws/chat/<int:conversation_id>/", ChatConsumer.as_asgi()),
]
