"""Websocket routes of the equipment app."""

websocket_urlpatterns: list = []
