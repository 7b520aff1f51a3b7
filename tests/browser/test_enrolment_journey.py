"""A person discovers the offer, signs up, verifies their email and declares, in Chromium."""

import re

import pytest
from django.core import mail

from seekers.models import AccessibilityNeed, EnrolmentStep, Seeker
from tests.accounts.factories import AgencyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tick(page, label: str) -> None:
    """DSFR draws checkboxes and radios on their label: a person clicks the label."""
    page.locator("label", has_text=label).click()
    assert page.get_by_label(label).is_checked()


def test_public_page_sign_up_verification_and_declarations(page, live_server):
    agency = AgencyFactory(name="Lille Grand-Sud", code="lille-grand-sud")

    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Être suivi 100 % en ligne")
    page.get_by_role("link", name="S'inscrire au suivi 100 % web").click()

    page.get_by_label("Prénom").fill("Camille")
    page.get_by_label("Nom", exact=True).fill("Wallet")
    page.get_by_label("E-mail").fill("camille.wallet@example.test")
    page.get_by_label("Mot de passe").first.fill("un-mot-de-passe-solide")
    page.get_by_label("Mot de passe (confirmation)").fill("un-mot-de-passe-solide")
    page.get_by_role("button", name="Création de compte").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))

    # Read the verification link from the mail that was really sent.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(live_server.url + link[link.index("/accounts/") :])
    page.get_by_role("button", name="Confirmer").click()

    page.get_by_label("E-mail").fill("camille.wallet@example.test")
    page.get_by_label("Mot de passe").fill("un-mot-de-passe-solide")
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(re.compile(r"/espace/demandeur/"))
    page.get_by_role("link", name="Reprendre mon inscription").click()

    # Declarations: a refusal first, explained in French, then the real answers.
    page.get_by_role("button", name="Continuer").click()
    assert page.get_by_text("Votre consentement est nécessaire pour être suivi en ligne.").count()
    page.get_by_label("Votre agence Pôle emploi").select_option(label="Lille Grand-Sud")
    tick(page, "J'ai un ordinateur ou une tablette avec une webcam et un micro")
    tick(page, "J'ai une bonne connexion internet à domicile")
    page.get_by_label("Votre âge").select_option(label="25 à 49 ans")
    page.get_by_label("Comment préférez-vous être contacté ?").select_option(
        label="Entretien par webcam"
    )
    tick(page, "J'ai lu la notice sur le traitement de mes données")
    page.get_by_role("button", name="Continuer").click()

    page.wait_for_url(re.compile(r"/inscription/accessibilite/"))
    tick(page, "Sourd, je signe (langue des signes française, LSF)")
    page.get_by_role("button", name="Continuer").click()

    page.wait_for_url(re.compile(r"/inscription/equipement/"))
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Testez votre webcam et votre connexion"
    )
    seeker = Seeker.objects.get(user__email="camille.wallet@example.test")
    assert seeker.agency == agency
    assert seeker.accessibility_need == AccessibilityNeed.DEAF_SIGNING
    assert seeker.enrolment_step == EnrolmentStep.EQUIPMENT_CHECK
    assert seeker.referent is None
