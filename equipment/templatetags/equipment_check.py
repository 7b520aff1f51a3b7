"""The equipment check widget and the last verdict, for any page that shows them."""

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from ..selectors import history_for_seeker, last_check_for
from ..verdict import BROWSER_ERRORS, describe

register = template.Library()


def _ice_servers() -> list[dict]:
    servers = []
    for url in settings.EQUIPMENT_CHECK_ICE_SERVERS:
        server = {"urls": url}
        if url.startswith("turn") and settings.EQUIPMENT_CHECK_TURN_USERNAME:
            server["username"] = settings.EQUIPMENT_CHECK_TURN_USERNAME
            server["credential"] = settings.EQUIPMENT_CHECK_TURN_PASSWORD
        servers.append(server)
    return servers


@register.inclusion_tag("equipment/_check.html")
def equipment_check_widget(heading_level=2):
    """The whole measured check; `heading_level` fits its title into the page's outline."""
    browser_errors = {
        code: describe({"code": code, "severity": "error"})["text"] for code in BROWSER_ERRORS
    }
    return {
        "heading_level": heading_level,
        "config": {
            "path": "/ws/equipement/test/",
            "iceServers": _ice_servers(),
            "timeoutSeconds": settings.EQUIPMENT_CHECK_TIMEOUT_SECONDS + 5,
            "messages": {
                **browser_errors,
                "asking": _("Allow the camera and microphone when your browser asks."),
                "connecting": _("Connecting to the test server…"),
                "measuring": _("Measuring what we receive: speak and move a little…"),
                "lost": _("The connection to the test server was lost: start the test again."),
                "timeout": _("The test server did not answer in time: start the test again."),
                "again": _("Start the test again"),
                "home": _("Go to my space"),
            },
        },
    }


@register.simple_tag
def last_equipment_check(user):
    return last_check_for(user) if user.is_authenticated else None


@register.simple_tag
def equipment_checks_of(seeker, limit=10):
    return history_for_seeker(seeker, limit=limit)
