"""Websocket routes of the interviews app."""

from django.urls import path

from .consumers import InterviewSignallingConsumer

websocket_urlpatterns: list = [
    path("ws/interviews/<int:appointment_id>/", InterviewSignallingConsumer.as_asgi()),
]
