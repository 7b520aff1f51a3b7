"""Hostile text written through the real forms, then every page that shows it opened in headless
Chromium: no injected script runs (no dialog, no flag set, no page error), and SQL fragments are
stored verbatim."""

import os
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from ateliers.models import Lesson, Workshop
from casefile.models import Goal, JobOffer, Note
from chat.models import Message
from interviews.models import Appointment
from tests.interviews.factories import AppointmentFactory
from tests.seekers.factories import SeekerFactory

from .admin_forms import admin_form_data
from .conftest import MINIMAL_PDF

pytestmark = pytest.mark.django_db(transaction=True)

# Every payload that could run sets window.__pwned, then tries a dialog.
RUN = "window.__pwned=1;alert(1)"
HOSTILE = [
    f"<script>{RUN}</script>",
    f'"><img src=x onerror="{RUN}">',
    f"<svg onload={RUN}>",
    f'<a href="javascript:{RUN}">lien</a>',
    f'<iframe srcdoc="<script>parent.{RUN}</script>"></iframe>',
    "{{ request.user.password }}{% debug %}",
    "'; DROP TABLE chat_message; --",
    "Robert'); DELETE FROM casefile_note WHERE ('1'='1",
    "\u202eexe.cod\u200b\u200d Аdmin \x00 fin",
    "`${" + RUN + "}`",
    "[clic](javascript:" + RUN + ")",
]
LONG = "<script>" + RUN + "</script>" + "é" * 4000


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _write_everything(world):
    """Every text field a seeker or an advisor fills on these pages, through their views."""
    seeker = _client(world.seeker_a.user)
    advisor = _client(world.advisor_a.user)
    sid = world.seeker_a.pk
    for text in HOSTILE:
        seeker.post(
            reverse("chat:conversation", args=[world.conversation_a.pk]),
            {"body": text, "client_id": str(uuid.uuid4())},
        )
        advisor.post(
            reverse("chat:conversation", args=[world.conversation_a.pk]),
            {"body": text, "client_id": str(uuid.uuid4())},
        )
        advisor.post(reverse("casefile:goal_add", args=[sid]), {"title": text[:200]})
        advisor.post(
            reverse("casefile:action_add", args=[sid, world.goal_a.pk]), {"title": text[:200]}
        )
        advisor.post(reverse("casefile:note_add", args=[sid]), {"body": text})
        advisor.post(
            reverse("casefile:offer_share", args=[sid]),
            {
                "title": text[:200],
                "employer": text[:200],
                "contract": "cdi",
                "sector": "retail",
                "url": "",
                "comment": text,
            },
        )
        advisor.post(reverse("ateliers:cv_detail", args=[world.cv_a.pk]), {"body": text})
    advisor.post(reverse("casefile:note_add", args=[sid]), {"body": LONG})
    # A javascript: link as an offer's URL is refused by the form.
    response = advisor.post(
        reverse("casefile:offer_share", args=[sid]),
        {
            "title": "Offre",
            "employer": "X",
            "contract": "cdi",
            "sector": "retail",
            "url": f"javascript:{RUN}",
        },
    )
    assert response.status_code == 400
    body, content_type = _cv_body(HOSTILE[0])
    seeker.post(reverse("ateliers:cv_upload"), data=body, content_type=content_type)
    # Names go in through the sign-up form, as a person types them; advisor A then follows
    # that person, so that the advisor's pages list the name.
    response = Client().post(
        reverse("account_signup"),
        {
            "first_name": HOSTILE[1][:150],
            "last_name": HOSTILE[2][:150],
            "email": "nom-hostile@example.test",
            "password1": "un-mot-de-passe-solide",
            "password2": "un-mot-de-passe-solide",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    named = User.objects.get(email="nom-hostile@example.test")
    assert named.first_name == HOSTILE[1][:150].strip()
    return SeekerFactory(
        user=named, agency=world.seeker_a.agency, followed=True, referent=world.advisor_a
    )


HOSTILE_LINE = " ".join(HOSTILE[:5])[:200]
# Django's form fields refuse NUL characters (with a clear error): the rest goes in.
HOSTILE_TEXT = "\n\n".join(HOSTILE).replace("\x00", "")


def _admin_save(client, url, **changes):
    """Posts an admin change form back as the manager's browser would, with `changes`."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    data = {**admin_form_data(page.content.decode()), **changes, "_save": "Enregistrer"}
    response = client.post(url, data)
    assert response.status_code == 302, (url, response.context["adminform"].form.errors)


def _write_in_admin_and_interviews(world):
    """What managers type in the admin (workshop content) and what advisors and seekers type
    about interviews (private notes, a cancellation reason)."""
    manager = _client(world.manager_a)
    _admin_save(
        manager,
        reverse("admin:ateliers_workshop_change", args=[world.workshop.pk]),
        title=HOSTILE_LINE,
        summary=HOSTILE_TEXT,
        objectives=HOSTILE_TEXT,
    )
    _admin_save(
        manager,
        reverse("admin:ateliers_lesson_change", args=[world.lesson.pk]),
        title=HOSTILE_LINE,
        body=HOSTILE_TEXT,
    )
    assert Workshop.objects.get(pk=world.workshop.pk).objectives == HOSTILE_TEXT
    assert Lesson.objects.get(pk=world.lesson.pk).body == HOSTILE_TEXT

    advisor = _client(world.advisor_a.user)
    response = advisor.post(
        reverse("interviews:notes", args=[world.appointment_a.pk]), {"notes": HOSTILE_TEXT}
    )
    assert response.status_code in (200, 302)
    later = AppointmentFactory(advisor=world.advisor_a, seeker=world.seeker_a)
    seeker = _client(world.seeker_a.user)
    response = seeker.post(reverse("interviews:cancel", args=[later.pk]), {"reason": HOSTILE_LINE})
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.cancel_reason == HOSTILE_LINE
    assert Appointment.objects.get(pk=world.appointment_a.pk).advisor_notes == HOSTILE_TEXT
    return later


def _cv_body(note):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\n{note}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{note[:20]}.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + MINIMAL_PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_sql_fragments_are_stored_verbatim(world):
    _write_everything(world)
    for fragment in HOSTILE[6:8]:
        assert Note.objects.filter(body=fragment).exists()
        assert Message.objects.filter(body=fragment).count() == 2
        assert Goal.objects.filter(title=fragment).exists()
        assert JobOffer.objects.filter(comment=fragment).exists()
    assert Note.objects.filter(body=LONG).exists()


@pytest.mark.usefixtures("live_server")
def test_no_injected_script_runs_in_chromium(world, live_server, browser):
    from tests.conftest import CHROMIUM

    assert os.path.exists(CHROMIUM)
    # The ORM beside Playwright's sync API (see tests/browser/conftest.py).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    named = _write_everything(world)
    cancelled = _write_in_admin_and_interviews(world)
    cv = world.seeker_a.cv_submissions.exclude(pk=world.cv_a.pk).first()
    workshop = Workshop.objects.get(pk=world.workshop.pk)
    pages = {
        world.seeker_a.user: [
            reverse("ateliers:catalogue"),
            reverse("ateliers:workshop", args=[workshop.slug]),
            reverse("ateliers:lesson", args=[workshop.slug, world.lesson.position]),
            reverse("interviews:list"),
            reverse("interviews:detail", args=[cancelled.pk]),
            reverse("chat:conversation", args=[world.conversation_a.pk]),
            reverse("casefile:my_plan"),
            reverse("seekers:home"),
            reverse("ateliers:cv_detail", args=[world.cv_a.pk]),
            reverse("ateliers:cv_detail", args=[cv.pk]),
            reverse("privacy:my_data"),
        ],
        world.advisor_a.user: [
            reverse("interviews:detail", args=[world.appointment_a.pk]),
            reverse("interviews:detail", args=[cancelled.pk]),
            reverse("interviews:list"),
            reverse("advisors:agenda"),
            reverse("chat:conversation", args=[world.conversation_a.pk]),
            reverse("chat:inbox"),
            reverse("casefile:file", args=[world.seeker_a.pk]),
            reverse("casefile:file", args=[named.pk]),
            reverse("advisors:home"),
            reverse("ateliers:cv_detail", args=[world.cv_a.pk]),
            reverse("ateliers:cv_detail", args=[cv.pk]),
            reverse("ateliers:seeker_progress", args=[world.seeker_a.pk]),
            reverse("equipment:seeker_checks", args=[world.seeker_a.pk]),
        ],
        world.manager_a: [
            reverse("admin:seekers_seeker_changelist"),
            reverse("admin:seekers_seeker_change", args=[world.seeker_a.pk]),
            reverse("admin:seekers_seeker_change", args=[named.pk]),
            reverse("admin:casefile_auditentry_changelist"),
            reverse("admin:privacy_erasurerequest_changelist"),
            reverse("admin:ateliers_workshop_change", args=[world.workshop.pk]),
            reverse("admin:ateliers_lesson_change", args=[world.lesson.pk]),
            reverse("admin:interviews_appointment_changelist"),
            reverse("admin:interviews_appointment_change", args=[cancelled.pk]),
        ],
    }
    seen = []
    for user, paths in pages.items():
        cookie = _client(user).cookies["sessionid"].value
        context = browser.new_context(locale="fr-FR")
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page = context.new_page()
        dialogs, errors = [], []
        page.on(
            "dialog",
            lambda dialog, dialogs=dialogs: (dialogs.append(dialog.message), dialog.dismiss()),
        )
        current = {"path": None}
        page.on(
            "pageerror",
            lambda error, errors=errors, current=current: errors.append(
                (current["path"], str(error), getattr(error, "stack", ""))
            ),
        )
        for path in paths:
            current["path"] = path
            response = page.goto(live_server.url + path)
            assert response.status == 200, (user.email, path, response.status)
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)  # let any deferred handler (img onerror, svg onload) fire
            # The hostile text is there, shown as text (pages that list rather than show it,
            # and the admin's form fields, aside).
            if not any(
                part in path
                for part in ("admin", "boite", "espace", "conseiller/", "suivi/", "equipement/")
            ):
                shown = page.inner_text("body") + page.evaluate(
                    "[...document.querySelectorAll('textarea, input')].map(e => e.value).join()"
                )
                assert "__pwned" in shown, (user.email, path)
                seen.append(path)
            assert page.evaluate("window.__pwned") is None, (user.email, path)
        assert dialogs == [], (user.email, dialogs)
        assert errors == [], (user.email, errors)
        context.close()
    assert seen
