"""Enrolment, booking an interview and chatting, done in Chromium with the keyboard alone: no
click anywhere, only Tab, Shift+Tab, Enter, Space, arrow keys and typing."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from advisors.models import Skill
from interviews.models import Appointment
from seekers.models import AccessibilityNeed, EnrolmentStep, Seeker
from tests.accessibility.helpers import context_for, violations
from tests.accessibility.keyboard import arrow_to, focused, tab_to
from tests.accounts.factories import AgencyFactory
from tests.advisors.factories import AdvisorFactory
from tests.interviews.factories import WeeklyAvailabilityFactory
from tests.seekers.factories import SeekerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enrolment_with_the_keyboard_alone(page, live_server):
    agency = AgencyFactory(name="Lille Grand-Sud", code="lille-grand-sud")
    page.goto(live_server.url + "/")

    tab_to(page, "S'inscrire au suivi 100 % web")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/signup/"))
    for label, value in (
        ("Prénom", "Camille"),
        ("Nom", "Wallet"),
        ("E-mail", "camille.wallet@example.test"),
        ("Mot de passe", "un-mot-de-passe-solide"),
        ("Mot de passe (confirmation)", "un-mot-de-passe-solide"),
    ):
        tab_to(page, label)
        page.keyboard.type(value)
    tab_to(page, "Création de compte")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))

    # The verification link comes by email: it is typed into the address bar, not clicked.
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(live_server.url + link[link.index("/accounts/") :])
    tab_to(page, "Confirmer")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    tab_to(page, "E-mail")
    page.keyboard.type("camille.wallet@example.test")
    # Its label also holds the "forgotten password" link: the field is the INPUT of that name.
    tab_to(page, "Mot de passe", tag="INPUT")
    page.keyboard.type("un-mot-de-passe-solide")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/espace/demandeur/"))

    tab_to(page, "Reprendre mon inscription")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/inscription/declarations/"))
    tab_to(page, "Votre agence Pôle emploi")
    page.keyboard.type("Lille")
    for box in (
        "J'ai un ordinateur ou une tablette avec une webcam et un micro",
        "J'ai une bonne connexion internet à domicile",
    ):
        tab_to(page, box)
        page.keyboard.press("Space")
    tab_to(page, "Votre âge")
    page.keyboard.type("25")
    tab_to(page, "Comment préférez-vous être contacté ?")
    page.keyboard.type("Entretien")
    tab_to(page, "J'ai lu la notice")
    page.keyboard.press("Space")
    tab_to(page, "Continuer")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/inscription/accessibilite/"))
    tab_to(page, "Aucun")
    arrow_to(page, "Sourd, je signe")
    page.keyboard.press("Space")
    tab_to(page, "Continuer")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/inscription/equipement/"))
    seeker = Seeker.objects.get(user__email="camille.wallet@example.test")
    assert seeker.agency == agency
    assert seeker.accessibility_need == AccessibilityNeed.DEAF_SIGNING
    assert seeker.enrolment_step == EnrolmentStep.EQUIPMENT_CHECK
    assert seeker.preferred_channel == "video"
    assert seeker.consent_given_at is not None


def test_booking_an_interview_with_the_keyboard_alone(browser, live_server, agency):
    Skill.objects.get_or_create(code=Skill.LSF, defaults={"name": "LSF"})
    advisor = AdvisorFactory(agency=agency)
    for weekday in range(7):
        WeeklyAvailabilityFactory(
            advisor=advisor, weekday=weekday, start_time=dt.time(9), end_time=dt.time(17)
        )
    seeker = SeekerFactory(agency=agency, referent=advisor, followed=True)
    context = context_for(browser, live_server, seeker.user)
    page = context.new_page()
    page.set_default_timeout(15000)

    page.goto(live_server.url + "/entretiens/reserver/")
    first = focused_radio = None
    page.keyboard.press("Tab")
    for _ in range(150):
        current = focused(page)
        if current["tag"] == "INPUT" and re.fullmatch(r"\d\d:\d\d", current["name"]):
            focused_radio = current
            break
        page.keyboard.press("Tab")
    assert focused_radio is not None, "no slot can be reached with Tab"
    first = focused_radio["name"]
    page.keyboard.press("ArrowDown")  # the next slot
    page.keyboard.press("Space")
    chosen = focused(page)["name"]
    assert chosen != first
    tab_to(page, "Réserver ce créneau")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/entretiens/\d+/"))

    appointment = Appointment.objects.get(seeker=seeker)
    assert timezone.localtime(appointment.starts_at).strftime("%H:%M") == chosen
    assert page.get_by_role("heading", level=1).count() == 1
    context.close()


def test_chatting_with_the_keyboard_alone(browser, agency):
    from chat.models import Message
    from tests.chat.servers import daphne_servers

    advisor = AdvisorFactory(agency=agency)
    seeker = SeekerFactory(agency=agency, referent=advisor, followed=True)
    with daphne_servers(1) as (base,):

        class Server:
            url = base

        context = context_for(browser, Server, seeker.user)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto(base + "/messagerie/")
        page.wait_for_url(re.compile(r"/messagerie/\d+/"))
        page.wait_for_selector("[data-connection=connected]")

        tab_to(page, "Votre message")
        page.keyboard.type("Bonjour, j'ai une question sur mon CV.")
        tab_to(page, "Envoyer")
        page.keyboard.press("Enter")
        page.get_by_text("Bonjour, j'ai une question sur mon CV.").last.wait_for()
        # Back to the text box with Shift+Tab, a second message, sent with the button again.
        tab_to(page, "Votre message", backwards=True)
        assert focused(page)["name"].startswith("Votre message")
        page.keyboard.type("Merci !")
        tab_to(page, "Envoyer")
        page.keyboard.press("Space")
        page.get_by_text("Merci !").last.wait_for()
        # The live state of the conversation (connected, messages acknowledged) passes axe too.
        problems = violations(page)
        context.close()
    assert problems == [], "\n".join(problems)

    bodies = list(
        Message.objects.filter(conversation__seeker=seeker)
        .order_by("seq")
        .values_list("body", flat=True)
    )
    assert bodies == ["Bonjour, j'ai une question sur mon CV.", "Merci !"]
