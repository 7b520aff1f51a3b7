"""Run by the fault tests in a subprocess on their own database: the people of a chat."""

import json

import django

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from advisors.models import Skill  # noqa: E402
from chat.services import conversation_for_seeker  # noqa: E402
from tests.accounts.factories import AgencyFactory  # noqa: E402
from tests.advisors.factories import AdvisorFactory  # noqa: E402
from tests.seekers.factories import SeekerFactory  # noqa: E402


def session_for(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


Skill.objects.get_or_create(code=Skill.LSF, defaults={"name": "LSF"})
agency = AgencyFactory(name="Lille Grand-Sud", code="lille-grand-sud")
advisor = AdvisorFactory(agency=agency, signs_lsf=True)
seeker = SeekerFactory(agency=agency, referent=advisor, followed=True, signing=True)
conversation = conversation_for_seeker(seeker=seeker)
print(
    json.dumps(
        {
            "conversation": conversation.pk,
            "seeker": seeker.pk,
            "seeker_session": session_for(seeker.user),
            "advisor_session": session_for(advisor.user),
        }
    )
)
