"""Websocket routes of the ateliers app."""

websocket_urlpatterns: list = []
