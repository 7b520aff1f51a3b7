"""The seeker's file: who may open it, what it holds, what the seeker sees, and the audit."""

import pytest
from django.db import connection
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from advisors.models import AdvisorState
from casefile.models import Action, ActionStatus, AuditAction, AuditEntry, Goal, JobOffer, Note
from tests.advisors.factories import AdvisorFactory
from tests.conftest import login
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def followed(agency, advisor):
    return SeekerFactory(agency=agency, followed=True, referent=advisor)


def test_the_referent_opens_the_file_and_it_is_audited(advisor, followed):
    response = login(advisor.user).get(reverse("casefile:file", args=[followed.pk]))

    assert response.status_code == 200
    assert followed.user.email in response.content.decode()
    assert set(
        AuditEntry.objects.filter(actor=advisor.user, seeker=followed).values_list(
            "action", flat=True
        )
    ) == {AuditAction.OPENED_FILE, AuditAction.OPENED_NOTES}


def test_another_advisor_gets_not_found_and_no_audit_entry(agency, followed):
    other = AdvisorFactory(agency=agency)

    response = login(other.user).get(reverse("casefile:file", args=[followed.pk]))
    missing = login(other.user).get(reverse("casefile:file", args=[999999]))

    assert response.status_code == missing.status_code == 404
    assert not AuditEntry.objects.exists()


def test_the_backup_opens_the_file_only_while_the_referent_is_absent(agency, advisor, followed):
    backup = AdvisorFactory(agency=agency)
    advisor.backup = backup
    advisor.save()
    client = login(backup.user)

    assert client.get(reverse("casefile:file", args=[followed.pk])).status_code == 404
    advisor.state = AdvisorState.ABSENT
    advisor.save()
    response = client.get(reverse("casefile:file", args=[followed.pk]))
    assert response.status_code == 200
    assert "suppléant" in response.content.decode()


@pytest.mark.parametrize("who", ["seeker", "manager", "anonymous"])
def test_seekers_managers_and_strangers_never_open_a_file(client, manager, followed, who):
    if who == "seeker":
        client = login(followed.user)
    elif who == "manager":
        client = login(manager)

    response = client.get(reverse("casefile:file", args=[followed.pk]))

    assert response.status_code in (302, 404)
    assert followed.user.email not in response.content.decode()


def test_action_plan_notes_and_offers_as_the_seeker_sees_them(advisor, followed):
    client = login(advisor.user)
    client.post(reverse("casefile:goal_add", args=[followed.pk]), {"title": "Trouver un CDI"})
    goal = Goal.objects.get(seeker=followed)
    client.post(
        reverse("casefile:action_add", args=[followed.pk, goal.pk]),
        {"title": "Mettre à jour le CV", "due_date": "2026-12-15"},
    )
    client.post(reverse("casefile:note_add", args=[followed.pk]), {"body": "Très motivée."})
    client.post(
        reverse("casefile:offer_share", args=[followed.pk]),
        {
            "title": "Vendeuse",
            "employer": "Boulangerie Paul",
            "contract": "cdi",
            "sector": "retail",
            "url": "https://example.test/offre",
        },
    )

    seeker_page = login(followed.user).get(reverse("casefile:my_plan")).content.decode()

    assert "Trouver un CDI" in seeker_page and "Mettre à jour le CV" in seeker_page
    assert "Vendeuse" in seeker_page and "Boulangerie Paul" in seeker_page
    assert "CDI" in seeker_page and "Commerce" in seeker_page
    # Private notes stay private.
    assert "Très motivée" not in seeker_page
    assert Note.objects.get().author == advisor.user
    assert AuditEntry.objects.filter(action=AuditAction.WROTE_NOTE).count() == 1


def test_the_seeker_updates_their_action_status_but_not_anothers(agency, advisor, followed):
    goal = Goal.objects.create(seeker=followed, title="Objectif")
    action = Action.objects.create(goal=goal, title="Appeler l'employeur")
    stranger = SeekerFactory(agency=agency, followed=True, referent=advisor)

    ok = login(followed.user).post(
        reverse("casefile:my_action_status", args=[action.pk]), {"status": "done"}
    )
    refused = login(stranger.user).post(
        reverse("casefile:my_action_status", args=[action.pk]), {"status": "todo"}
    )

    assert ok.status_code == 302
    assert refused.status_code == 404
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_a_note_added_with_htmx_returns_only_the_notes_panel(advisor, followed):
    response = login(advisor.user).post(
        reverse("casefile:note_add", args=[followed.pk]),
        {"body": "Appel prévu lundi."},
        HTTP_HX_REQUEST="true",
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="notes-panel"' in content and "Appel prévu lundi." in content
    assert "<html" not in content


def test_bad_input_is_refused_and_writes_nothing(advisor, followed):
    client = login(advisor.user)

    empty_note = client.post(reverse("casefile:note_add", args=[followed.pk]), {"body": "   "})
    bad_offer = client.post(
        reverse("casefile:offer_share", args=[followed.pk]),
        {"title": "X", "employer": "Y", "contract": "forever", "sector": "retail"},
    )

    assert empty_note.status_code == bad_offer.status_code == 400
    assert not Note.objects.exists() and not JobOffer.objects.exists()


def test_the_file_query_count_does_not_grow_with_its_content(advisor, followed):
    client = login(advisor.user)
    Goal.objects.create(seeker=followed, title="Un")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("casefile:file", args=[followed.pk]))
    for index in range(5):
        goal = Goal.objects.create(seeker=followed, title=f"But {index}")
        Action.objects.create(goal=goal, title="Action")
        Note.objects.create(seeker=followed, author=advisor.user, body="note")
        JobOffer.objects.create(
            seeker=followed, title="Poste", employer="E", contract="cdd", sector="transport"
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("casefile:file", args=[followed.pk]))

    assert len(few) == len(many)


def test_the_audit_trail_is_append_only_in_the_database(advisor, followed):
    entry = AuditEntry.objects.create(
        actor=advisor.user, action=AuditAction.OPENED_FILE, seeker=followed
    )

    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("UPDATE casefile_auditentry SET action = 'x'")


def test_managers_read_the_audit_trail_of_their_agency_only(agency, other_agency, manager, advisor):
    mine = SeekerFactory(agency=agency, followed=True, referent=advisor)
    theirs = SeekerFactory(
        agency=other_agency, followed=True, referent=AdvisorFactory(agency=other_agency)
    )
    AuditEntry.objects.create(actor=advisor.user, action=AuditAction.OPENED_FILE, seeker=mine)
    AuditEntry.objects.create(
        actor=theirs.referent.user, action=AuditAction.OPENED_FILE, seeker=theirs
    )

    page = login(manager).get(reverse("admin:casefile_auditentry_changelist"))
    advisor_try = login(advisor.user).get(reverse("admin:casefile_auditentry_changelist"))

    assert page.status_code == 200
    assert str(mine.user) in page.content.decode()
    assert str(theirs.user) not in page.content.decode()
    assert advisor_try.status_code == 302


def test_the_timeline_holds_everything_that_happened(advisor, followed):
    import datetime as dt

    from django.utils import timezone

    from interviews.models import Status
    from tests.chat.factories import ConversationFactory, MessageFactory
    from tests.equipment.factories import EquipmentCheckFactory
    from tests.interviews.factories import AppointmentFactory

    now = timezone.now()
    MessageFactory(conversation=ConversationFactory(seeker=followed), sent_at=now)
    AppointmentFactory(
        advisor=advisor, seeker=followed, starts_at=now - dt.timedelta(days=2), status=Status.HELD
    )
    AppointmentFactory(
        advisor=advisor,
        seeker=followed,
        starts_at=now - dt.timedelta(days=5),
        status=Status.TECHNICAL_FAILURE,
    )
    EquipmentCheckFactory(user=followed.user, seeker=followed, failed=True)
    from seekers.models import TimelineEvent, TimelineKind

    TimelineEvent.objects.create(
        seeker=followed, kind=TimelineKind.REFERENT_ASSIGNED, advisor=advisor
    )

    response = login(advisor.user).get(reverse("casefile:file", args=[followed.pk]))

    content = response.content.decode()
    sources = {entry.source for entry in response.context["timeline"]}
    assert {"follow_up", "message", "interview", "equipment"} <= sources
    assert "Message du demandeur" in content
    assert content.count("Entretien par webcam :") == 2
    assert "Test d&#x27;équipement :" in content
    assert "Conseiller référent attribué" in content
    timeline = response.context["timeline"]
    assert [entry.at for entry in timeline] == sorted((e.at for e in timeline), reverse=True)


def test_opening_a_conversation_is_audited_for_staff_only(advisor, followed):
    from tests.chat.factories import ConversationFactory

    conversation = ConversationFactory(seeker=followed)

    login(followed.user).get(reverse("chat:conversation", args=[conversation.pk]))
    response = login(advisor.user).get(reverse("chat:conversation", args=[conversation.pk]))

    assert response.status_code == 200
    entries = AuditEntry.objects.filter(seeker=followed, action=AuditAction.OPENED_CONVERSATION)
    assert list(entries.values_list("actor", flat=True)) == [advisor.user.pk]


def test_reading_interview_notes_is_audited(advisor, followed):
    from tests.interviews.factories import AppointmentFactory

    appointment = AppointmentFactory(advisor=advisor, seeker=followed)

    login(followed.user).get(reverse("interviews:detail", args=[appointment.pk]))
    response = login(advisor.user).get(reverse("interviews:detail", args=[appointment.pk]))

    assert response.status_code == 200
    entries = AuditEntry.objects.filter(seeker=followed, action=AuditAction.OPENED_NOTES)
    assert list(entries.values_list("actor", flat=True)) == [advisor.user.pk]


def test_the_file_shows_equipment_checks_and_workshop_progress(advisor, followed):
    from tests.equipment.factories import EquipmentCheckFactory

    EquipmentCheckFactory(user=followed.user, seeker=followed, failed=True)

    content = login(advisor.user).get(reverse("casefile:file", args=[followed.pk])).content.decode()

    assert 'id="equipment-file-title"' in content
    assert "e-ateliers" in content.lower()
