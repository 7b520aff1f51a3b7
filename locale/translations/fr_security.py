"""French for the second factor of advisors and managers (accounts.second_factor)."""

T = {
    # The header's menu on small screens (templates/components/header.html).
    "Menu": "Menu",
    "Close": "Fermer",
    "Advisors and managers protect their account with a second factor: activate an authenticator app to continue.": "Les conseillers et les responsables protègent leur compte par un second facteur : activez une application d'authentification pour continuer.",
}
