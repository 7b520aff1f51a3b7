"""French for the second factor of advisors and managers (accounts.second_factor)."""

T = {
    "Advisors and managers protect their account with a second factor: activate an authenticator app to continue.": "Les conseillers et les responsables protègent leur compte par un second facteur : activez une application d'authentification pour continuer.",
}
