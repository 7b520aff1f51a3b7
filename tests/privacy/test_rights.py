"""A seeker downloads all their data; asks for erasure; a manager carries it out; purges."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from casefile.models import AuditAction, AuditEntry, Goal, JobOffer, Note
from privacy import services
from privacy.models import ErasureRequest, ErasureStatus
from privacy.registry import categories
from seekers.models import FollowUpStatus
from tests.conftest import login
from tests.seekers.factories import SeekerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def followed(agency, advisor):
    seeker = SeekerFactory(agency=agency, followed=True, referent=advisor, phone="0611223344")
    Goal.objects.create(seeker=seeker, title="Trouver un CDI")
    JobOffer.objects.create(
        seeker=seeker, title="Caissier", employer="Auchan", contract="cdd", sector="retail"
    )
    Note.objects.create(seeker=seeker, author=advisor.user, body="Note privée")
    AuditEntry.objects.create(actor=advisor.user, action=AuditAction.OPENED_FILE, seeker=seeker)
    return seeker


def test_the_download_holds_every_registered_category(followed):
    response = login(followed.user).get(reverse("privacy:export"))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    keys = set(data["categories"])
    assert keys == {category.key for category in categories()}
    assert {"profile", "timeline", "action_plan", "job_offers", "advisor_notes"} <= keys
    assert data["categories"]["profile"]["email"] == followed.user.email
    assert data["categories"]["action_plan"][0]["goal"] == "Trouver un CDI"
    assert data["categories"]["job_offers"][0]["employer"] == "Auchan"


def test_nobody_else_downloads_a_seekers_data(advisor, manager, client):
    assert login(advisor.user).get(reverse("privacy:export")).status_code == 404
    assert login(manager).get(reverse("privacy:export")).status_code == 404
    assert client.get(reverse("privacy:export")).status_code == 302


def test_erasure_is_asked_once_and_carried_out_by_a_manager(
    followed, manager, django_capture_on_commit_callbacks
):
    from django.core import mail

    address = followed.user.email
    client = login(followed.user)
    refused = client.post(reverse("privacy:erasure"), {}, follow=True)
    assert "Cochez la case" in refused.content.decode()
    client.post(reverse("privacy:erasure"), {"confirm": "on"})
    client.post(reverse("privacy:erasure"), {"confirm": "on"})
    request = ErasureRequest.objects.get()
    assert request.status == ErasureStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        response = login(manager).post(
            reverse("admin:privacy_erasurerequest_changelist"),
            {"action": "carry_out", "_selected_action": [request.pk]},
        )

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[address]]
    assert "Note privée" not in mail.outbox[0].body
    request.refresh_from_db()
    followed.refresh_from_db()
    user = followed.user
    assert request.status == ErasureStatus.DONE and request.handled_by == manager
    # Removed
    assert not Goal.objects.exists() and not JobOffer.objects.exists()
    assert not Note.objects.exists()
    assert user.first_name == "" and user.email.startswith("efface-")
    assert not user.is_active and not user.has_usable_password()
    assert followed.phone == "" and followed.status == FollowUpStatus.CLOSED
    assert followed.referent is None
    # Kept, as the law asks
    assert AuditEntry.objects.filter(seeker=followed).count() == 1
    assert followed.assignments.count() == 1
    assert set(request.report["kept"]) >= {"timeline", "audit_trail"}


def test_a_manager_of_another_agency_cannot_carry_it_out(followed, other_agency):
    from tests.accounts.factories import UserFactory

    stranger = UserFactory(manager=True, agency=other_agency)
    request = services.erasure_request(seeker=followed)

    login(stranger).post(
        reverse("admin:privacy_erasurerequest_changelist"),
        {"action": "carry_out", "_selected_action": [request.pk]},
    )

    request.refresh_from_db()
    assert request.status == ErasureStatus.PENDING
    assert Note.objects.exists()


def test_the_purge_removes_only_what_is_past_retention(followed, advisor, settings):
    settings.PORTAL_RETENTION_NOTES_DAYS = 30
    old = Note.objects.create(seeker=followed, author=advisor.user, body="ancienne")
    Note.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))

    result = services.purge_expired()

    assert result["advisor_notes"] == 1
    assert list(Note.objects.values_list("body", flat=True)) == ["Note privée"]


def test_the_purge_command_runs_through_the_task_worker(followed, advisor, settings):
    from django.core.management import call_command

    settings.PORTAL_RETENTION_NOTES_DAYS = 0
    Note.objects.update(created_at=timezone.now() - timedelta(days=1))

    call_command("purge_personal_data")

    assert not Note.objects.exists()


def test_every_channel_is_exported_and_erased_as_the_law_allows(
    followed, advisor, manager, django_capture_on_commit_callbacks
):
    import datetime as dt

    from chat.models import Message
    from equipment.models import EquipmentCheck
    from interviews.models import Appointment, Status
    from tests.chat.factories import ConversationFactory, MessageFactory
    from tests.equipment.factories import EquipmentCheckFactory
    from tests.interviews.factories import AppointmentFactory

    MessageFactory(conversation=ConversationFactory(seeker=followed), body="Bonjour, mon CV ?")
    EquipmentCheckFactory(user=followed.user, seeker=followed)
    AppointmentFactory(
        advisor=advisor,
        seeker=followed,
        starts_at=timezone.now() - dt.timedelta(days=3),
        status=Status.SEEKER_ABSENT,
        advisor_notes="Pas venu, à relancer",
    )

    data = json.loads(login(followed.user).get(reverse("privacy:export")).content)["categories"]

    assert data["messages"][0]["body"] == "Bonjour, mon CV ?"
    assert data["equipment_checks"][0]["verdict"] == "passed"
    assert data["interviews"][0]["status"] == "seeker_absent"
    assert data["interviews"][0]["advisor_notes"] == "Pas venu, à relancer"

    with django_capture_on_commit_callbacks(execute=True):
        services.erasure_carry_out(request=services.erasure_request(seeker=followed), by=manager)

    assert not Message.objects.filter(conversation__seeker=followed).exists()
    assert not EquipmentCheck.objects.filter(user=followed.user).exists()
    appointment = Appointment.objects.get(seeker=followed)
    assert appointment.status == Status.SEEKER_ABSENT
    assert appointment.advisor_notes == ""
