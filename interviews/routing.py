"""Websocket routes of the interviews app."""

websocket_urlpatterns: list = []
