"""Every websocket route of the portal, gathered from each app's routing.py."""

websocket_urlpatterns: list = []
