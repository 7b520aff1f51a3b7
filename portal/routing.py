"""Every websocket route of the portal, gathered from each app's routing.py."""

from ateliers.routing import websocket_urlpatterns as atelier_routes
from chat.routing import websocket_urlpatterns as chat_routes
from equipment.routing import websocket_urlpatterns as equipment_routes
from interviews.routing import websocket_urlpatterns as interview_routes

websocket_urlpatterns: list = [
    *equipment_routes,
    *chat_routes,
    *interview_routes,
    *atelier_routes,
]
