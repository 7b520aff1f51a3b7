"""A small world for the security tests: seeker A and their people, seeker B and theirs, two
managers, and one object of A's of every kind the portal keeps; plus websocket helpers that go
through the full ASGI application with a real session cookie and an Origin."""

import contextlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from advisors.models import AdvisorState
from ateliers.models import AnswerStatus, CvSubmission, private_storage
from casefile.models import Action, Goal, Note
from chat import services as chat_services
from chat.models import Conversation
from equipment.models import EquipmentCheck
from privacy.models import ErasureRequest
from tests.accounts.factories import UserFactory
from tests.advisors.factories import AdvisorFactory
from tests.ateliers.factories import (
    LessonFactory,
    LiveSessionFactory,
    RegistrationFactory,
    SimulationAnswerFactory,
    SimulationFactory,
    WorkshopFactory,
)
from tests.browser.conftest import browser, playwright_instance  # noqa: F401 - fixtures
from tests.interviews.factories import AppointmentFactory
from tests.seekers.factories import SeekerFactory

ORIGIN = "http://localhost"
# What must never reach anyone outside seeker A's circle.
MARK_EMAIL = "zephyrine.marqueur@example.test"
MARK_NAME = "Marqueurdurand"
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    seeker_a: object
    seeker_b: object
    advisor_a: object
    other_advisor: object
    backup: object
    manager_a: object
    manager_other: object
    conversation_a: object
    message_a: object
    goal_a: object
    action_a: object
    note_a: object
    appointment_a: object
    workshop: object
    lesson: object
    live_a: object
    cv_a: object
    simulation_a: object
    check_a: object
    erasure_a: object

    def set_referent_absent(self, absent: bool) -> None:
        self.advisor_a.state = AdvisorState.ABSENT if absent else AdvisorState.ACTIVE
        self.advisor_a.absent_until = timezone.localdate() + timedelta(days=3) if absent else None
        self.advisor_a.save(update_fields=["state", "absent_until"])


@pytest.fixture
def world(agency, other_agency):
    backup = AdvisorFactory(agency=agency)
    advisor_a = AdvisorFactory(agency=agency, backup=backup)
    other_advisor = AdvisorFactory(agency=agency)
    seeker_a = SeekerFactory(
        agency=agency,
        followed=True,
        referent=advisor_a,
        user__email=MARK_EMAIL,
        user__first_name="Zéphyrine",
        user__last_name=MARK_NAME,
    )
    seeker_b = SeekerFactory(agency=agency, followed=True, referent=other_advisor)
    manager_a = UserFactory(manager=True, agency=agency)
    manager_other = UserFactory(manager=True, agency=other_agency)

    conversation_a = Conversation.objects.create(seeker=seeker_a)
    message_a, _created = chat_services.message_send(
        conversation_id=conversation_a.pk,
        author=seeker_a.user,
        client_id=uuid.uuid4(),
        body="",
        attachment=SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf"),
    )
    goal_a = Goal.objects.create(seeker=seeker_a, title="Objectif de A", created_by=advisor_a.user)
    action_a = Action.objects.create(goal=goal_a, title="Action de A")
    note_a = Note.objects.create(seeker=seeker_a, author=advisor_a.user, body="Note sur A")
    appointment_a = AppointmentFactory(advisor=advisor_a, seeker=seeker_a, now_open=True)
    workshop = WorkshopFactory()
    lesson = LessonFactory(workshop=workshop, position=1)
    live_a = LiveSessionFactory(workshop=workshop, facilitator=advisor_a, open_now=True)
    RegistrationFactory(session=live_a, seeker=seeker_a)
    cv_a = CvSubmission(
        seeker=seeker_a,
        original_name="cv-a.pdf",
        content_type="application/pdf",
        size=len(MINIMAL_PDF),
    )
    cv_a.file.save("cv-a.pdf", ContentFile(MINIMAL_PDF), save=False)
    cv_a.save()
    simulation_a = SimulationFactory(seeker=seeker_a, shared=True)
    answer = SimulationAnswerFactory(simulation=simulation_a, position=1)
    recording = f"ateliers/recordings/{uuid.uuid4().hex}.webm"
    private_storage().save(recording, ContentFile(b"\x1aE\xdf\xa3webm"))
    answer.recording = recording
    answer.status = AnswerStatus.READY
    answer.save()
    check_a = EquipmentCheck.objects.create(user=seeker_a.user, seeker=seeker_a)
    erasure_a = ErasureRequest.objects.create(seeker=seeker_a)
    return World(
        seeker_a=seeker_a,
        seeker_b=seeker_b,
        advisor_a=advisor_a,
        other_advisor=other_advisor,
        backup=backup,
        manager_a=manager_a,
        manager_other=manager_other,
        conversation_a=conversation_a,
        message_a=message_a,
        goal_a=goal_a,
        action_a=action_a,
        note_a=note_a,
        appointment_a=appointment_a,
        workshop=workshop,
        lesson=lesson,
        live_a=live_a,
        cv_a=cv_a,
        simulation_a=simulation_a,
        check_a=check_a,
        erasure_a=erasure_a,
    )


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(path: str, *, cookie: str | None, origin: str | None = ORIGIN):
    from portal.asgi import application

    headers = []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


@pytest.fixture
async def sockets():
    """Opens sockets that are all disconnected at the end of the test, whatever happens."""
    from channels.layers import channel_layers

    # A fresh layer object: channels_redis keeps receive state on it across event loops, and
    # an earlier test's loop must not leave it half-way through a receive.
    channel_layers.backends.clear()
    opened = []

    async def _open(path, cookie, *, origin=ORIGIN):
        socket = communicator(path, cookie=cookie, origin=origin)
        connected, code = await socket.connect(timeout=5)
        opened.append(socket)
        return socket, connected, code

    yield _open
    for socket in opened:
        with contextlib.suppress(BaseException):
            await socket.disconnect()
    layer = get_channel_layer()
    with contextlib.suppress(Exception):
        await layer.flush()
    if hasattr(layer, "close_pools"):
        await layer.close_pools()


@pytest.fixture(scope="session", autouse=True)
def close_pools_at_end(django_db_setup, django_db_blocker):
    """Consumers use the ORM from worker threads; their pooled connections must be closed
    before pytest-django drops the test database (as in tests/ateliers/conftest.py). A worker
    thread of asgiref's executor may still hold one checked out: it is ended too."""
    yield
    from django.db import connection, connections

    with django_db_blocker.unblock():
        for conn in connections.all():
            close_pool = getattr(conn, "close_pool", None)
            if close_pool is not None:
                close_pool()
            conn.close()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            connection.close()
            connection.close_pool()
