"""axe-core in Chromium on every page of the portal, for every role and main state: anonymous
visitors, a seeker at each enrolment step and once followed, an advisor, a manager in the admin.
No serious or critical violation is allowed; each test lists every problem it met at once."""

import pytest
from django.contrib import admin
from django.urls import reverse

from advisors.models import Skill
from seekers.models import EnrolmentStep
from tests.accessibility.helpers import audit, context_for, violations
from tests.accounts.factories import UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.ateliers.factories import (
    InterviewQuestionFactory,
    LessonFactory,
    LiveSessionFactory,
    QuizChoiceFactory,
    QuizQuestionFactory,
    RegistrationFactory,
    SimulationFactory,
    WorkshopFactory,
)
from tests.chat.factories import ConversationFactory, MessageFactory
from tests.equipment.factories import EquipmentCheckFactory
from tests.interviews.factories import AppointmentFactory, WeeklyAvailabilityFactory
from tests.seekers.factories import SeekerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(agency):
    """One agency with an advisor, a manager, a followed seeker and something on every page."""
    # A transactional test flushes what the data migration created.
    Skill.objects.get_or_create(code=Skill.LSF, defaults={"name": "Langue des signes"})
    advisor = AdvisorFactory(agency=agency, signs_lsf=True)
    manager = UserFactory(manager=True, agency=agency)
    seeker = SeekerFactory(agency=agency, referent=advisor, followed=True, signing=True)
    conversation = ConversationFactory(seeker=seeker)
    MessageFactory(
        conversation=conversation, body="Bonjour, voici mon CV : https://exemple.test/cv"
    )
    MessageFactory(conversation=conversation, from_advisor=True, body="Merci, je le lis.")
    for weekday in range(7):
        WeeklyAvailabilityFactory(advisor=advisor, weekday=weekday)
    coming = AppointmentFactory(advisor=advisor, seeker=seeker)
    open_now = AppointmentFactory(advisor=advisor, seeker=seeker, now_open=True)
    EquipmentCheckFactory(user=seeker.user, seeker=seeker)
    workshop = WorkshopFactory(title="Réussir son entretien")
    reading = LessonFactory(workshop=workshop, position=1, body="## Avant\n\n- se préparer")
    quiz = LessonFactory(workshop=workshop, position=2, quiz=True)
    question = QuizQuestionFactory(lesson=quiz)
    QuizChoiceFactory(question=question, is_correct=True)
    QuizChoiceFactory(question=question)
    LessonFactory(workshop=workshop, position=3, exercise=True)
    LessonFactory(workshop=workshop, position=4, cv=True)
    session = LiveSessionFactory(workshop=workshop, facilitator=advisor)
    RegistrationFactory(session=session, seeker=seeker)
    InterviewQuestionFactory()
    simulation = SimulationFactory(seeker=seeker)
    return {
        "agency": agency,
        "advisor": advisor,
        "manager": manager,
        "seeker": seeker,
        "conversation": conversation,
        "coming": coming,
        "open_now": open_now,
        "workshop": workshop,
        "reading": reading,
        "session": session,
        "simulation": simulation,
    }


# Django's own admin widgets that the portal does not restyle, listed as known
# non-conformities in the accessibility statement: the inputs of tabular inlines are labelled
# by their column header only, and the filter widget's help icon carries a prohibited
# aria-label. Anything else in the admin fails the test.
KNOWN_DJANGO_ADMIN = (
    ("label (critical)", "#id_choices-"),
    ("aria-prohibited-attr (serious)", ".help-tooltip.search-label-icon"),
)


def _known(problem: str) -> bool:
    return "/admin/" in problem.split(":", 1)[0] and any(
        rule in problem and where in problem for rule, where in KNOWN_DJANGO_ADMIN
    )


def _check(browser, live_server, user, paths):
    context = context_for(browser, live_server, user)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        problems = [p for p in audit(page, live_server.url, paths) if not _known(p)]
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


def test_axe_runs_and_sees_violations(browser, live_server):
    """The audit is only worth what axe sees: an image without text and a nameless button are
    found on a page served under the portal's own headers (CSP included)."""
    context = context_for(browser, live_server)
    page = context.new_page()
    page.goto(live_server.url + "/accessibilite/")
    page.evaluate(
        """() => {
            document.querySelector("main").insertAdjacentHTML(
                "beforeend", '<img src="/static/x.png"><button></button>');
        }"""
    )
    found = violations(page)
    context.close()
    assert any(line.startswith("image-alt") for line in found), found
    assert any(line.startswith("button-name") for line in found), found


def test_anonymous_pages(browser, live_server, agency):
    paths = [
        "/",
        "/accessibilite/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
    ]
    _check(browser, live_server, None, paths)


def test_anonymous_forms_with_errors(browser, live_server, agency):
    """The error state of the login and sign-up forms, sent empty."""
    context = context_for(browser, live_server)
    page = context.new_page()
    problems = []
    for path, button in (
        ("/accounts/login/", "Connexion"),
        ("/accounts/signup/", "Création de compte"),
    ):
        page.goto(live_server.url + path)
        page.evaluate(
            "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
        )
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
        problems.extend(f"{path} (errors): {line}" for line in violations(page))
    context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("step", "paths"),
    [
        (EnrolmentStep.DECLARATIONS, ["/espace/demandeur/", "/inscription/declarations/"]),
        (EnrolmentStep.ACCESSIBILITY, ["/espace/demandeur/", "/inscription/accessibilite/"]),
        (EnrolmentStep.EQUIPMENT_CHECK, ["/espace/demandeur/", "/inscription/equipement/"]),
        (EnrolmentStep.AWAITING_ADVISOR, ["/espace/demandeur/"]),
    ],
)
def test_seeker_at_each_enrolment_step(browser, live_server, agency, step, paths):
    traits = {
        EnrolmentStep.DECLARATIONS: {},
        EnrolmentStep.ACCESSIBILITY: {"declared": True},
        EnrolmentStep.EQUIPMENT_CHECK: {"awaiting_check": True},
        EnrolmentStep.AWAITING_ADVISOR: {"declared": True, "enrolment_step": step},
    }[step]
    seeker = SeekerFactory(agency=agency, **traits)
    _check(browser, live_server, seeker.user, paths)


def test_seeker_declarations_with_errors(browser, live_server, agency):
    seeker = SeekerFactory(agency=agency)
    context = context_for(browser, live_server, seeker.user)
    page = context.new_page()
    page.goto(live_server.url + "/inscription/declarations/")
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_load_state()
    problems = violations(page)
    context.close()
    assert problems == [], "\n".join(problems)


def test_followed_seeker_pages(browser, live_server, world):
    coming, open_now = world["coming"].pk, world["open_now"].pk
    slug, session = world["workshop"].slug, world["session"].pk
    paths = [
        "/espace/demandeur/",
        "/dossier/mon-plan/",
        "/espace/demandeur/mes-donnees/",
        "/espace/demandeur/retour-agence/",
        "/equipement/test/",
        "/equipement/historique/",
        "/messagerie/",
        "/entretiens/",
        "/entretiens/reserver/",
        f"/entretiens/{coming}/",
        f"/entretiens/{coming}/deplacer/",
        f"/entretiens/{coming}/annuler/",
        f"/entretiens/{open_now}/appel/",
        "/ateliers/",
        f"/ateliers/{slug}/",
        f"/ateliers/{slug}/lecons/1/",
        f"/ateliers/{slug}/lecons/2/",
        f"/ateliers/{slug}/lecons/3/",
        f"/ateliers/{slug}/lecons/4/",
        "/ateliers/sessions/",
        f"/ateliers/sessions/{session}/",
        "/ateliers/simulations/",
        f"/ateliers/simulations/{world['simulation'].pk}/",
        "/accounts/email/",
        "/accounts/password/change/",
    ]
    _check(browser, live_server, world["seeker"].user, paths)


def test_advisor_pages(browser, live_server, world):
    seeker, coming = world["seeker"].pk, world["coming"].pk
    paths = [
        "/conseiller/",
        "/conseiller/agenda/",
        f"/dossier/demandeurs/{seeker}/",
        f"/equipement/demandeurs/{seeker}/",
        "/messagerie/boite/",
        f"/messagerie/{world['conversation'].pk}/",
        "/entretiens/",
        "/entretiens/disponibilites/",
        "/entretiens/proposer/",
        f"/entretiens/{coming}/",
        f"/entretiens/{world['open_now'].pk}/appel/",
        f"/ateliers/suivi/{seeker}/",
        "/ateliers/sessions/",
        f"/ateliers/sessions/{world['session'].pk}/",
    ]
    _check(browser, live_server, world["advisor"].user, paths)


def test_manager_admin_pages(browser, live_server, world):
    paths = [
        reverse("admin:index"),
        reverse("admin:steering_figures"),
        reverse("admin:steering_rebalance"),
        reverse("admin:steering_import"),
        reverse("admin:seekers_seeker_change", args=[world["seeker"].pk]),
    ]
    manager = world["manager"]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        request = type("R", (), {"user": manager})()
        if model_admin.has_view_permission(request):
            paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if model_admin.has_add_permission(request):
            paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    _check(browser, live_server, manager, paths)


def test_second_factor_pages(browser, live_server, agency):
    """The second factor of advisors and managers: the code asked at sign-in (and its error
    state), the password asked again and the activation page with its QR code, the list of
    authenticators."""
    from tests.accounts.factories import totp_code

    password = "un-mot-de-passe-solide"
    problems = []
    context = context_for(browser, live_server)
    page = context.new_page()
    with_app = AdvisorFactory(agency=agency).user
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("E-mail").fill(with_app.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    problems.extend(f"authenticate: {line}" for line in violations(page))
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state()
    problems.extend(f"authenticate (error): {line}" for line in violations(page))
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url("**/conseiller/")
    problems.extend(audit(page, live_server.url, ["/accounts/2fa/"]))
    context.close()

    without = AdvisorFactory(agency=agency, user__second_factor=False).user
    context = context_for(browser, live_server, without)
    page = context.new_page()
    page.goto(live_server.url + "/conseiller/")
    page.wait_for_url("**/accounts/reauthenticate/**")
    problems.extend(f"reauthenticate: {line}" for line in violations(page))
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    problems.extend(f"activate: {line}" for line in violations(page))
    context.close()
    assert problems == [], "\n".join(problems)
