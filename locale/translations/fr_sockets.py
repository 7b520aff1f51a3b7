"""French for the frames of the portal's JSON websockets (portal.consumers)."""

T = {
    "Send JSON text frames.": "Envoyez des trames texte en JSON.",
    "This frame is not valid JSON.": "Cette trame n'est pas du JSON valide.",
    "A frame is a JSON object with a type.": "Une trame est un objet JSON avec un type.",
    "Unknown frame type.": "Type de trame inconnu.",
    "The server could not handle this frame.": "Le serveur n'a pas pu traiter cette trame.",
    "client_id must be a UUID made by the client.": "client_id doit être un UUID créé par le client.",
    "%(name)s must be a whole number, 0 or more.": "%(name)s doit être un nombre entier, 0 ou plus.",
}
