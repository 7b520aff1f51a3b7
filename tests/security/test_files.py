"""Uploads (chat files, CVs): wrong types under a good extension, oversized files, polyglots,
path-traversal names and another person's file id are refused; downloads are attachments,
never sniffed, with a safe file name."""

import io
import uuid
import zipfile

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from ateliers.models import CvSubmission
from chat.models import Message

from .conftest import MINIMAL_PDF

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
SCRIPT = b"<html><body><script>window.__pwned = 1; alert(1)</script></body></html>"


def _zip(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _docx() -> bytes:
    return _zip(
        {
            "[Content_Types].xml": "<Types/>",
            "_rels/.rels": "<Relationships/>",
            "word/document.xml": "<w:document/>",
        }
    )


# (name, content): each must be refused by every upload.
REFUSED = {
    "html_named_pdf": ("cv.pdf", SCRIPT),
    "svg_named_png": ("photo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    "exe_named_pdf": ("cv.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200),
    "pdf_header_then_html": ("cv.pdf", b"%PDF-1.4\n" + SCRIPT),
    "png_with_html_tail": ("photo.png", PNG + SCRIPT),
    "zip_not_docx": ("cv.docx", _zip({"index.html": SCRIPT})),
    "empty": ("cv.pdf", b""),
}
# Names a client may send; the file must be stored under a name of the portal's choosing and
# given back with a harmless name.
HOSTILE_NAMES = [
    "../../etc/passwd.pdf",
    "..\\..\\x.pdf",
    "a\x00b.pdf",
    "/etc/cron.d/x.pdf",
    'quote".pdf',
    "\u202egnp.pdf",
    "CON.pdf",
]


def _multipart(fields: dict, filename: str, content: bytes) -> tuple[bytes, str]:
    """A hand-made multipart body: Django's test client would clean the file name itself."""
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{key}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode(
            "utf-8", "surrogateescape"
        )
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _chat_upload(client, world, filename, content):
    body, content_type = _multipart({"client_id": str(uuid.uuid4())}, filename, content)
    return client.post(
        reverse("chat:upload", args=[world.conversation_a.pk]),
        data=body,
        content_type=content_type,
        HTTP_ACCEPT="application/json",
    )


def _cv_upload(client, filename, content):
    body, content_type = _multipart({"note": ""}, filename, content)
    return client.post(reverse("ateliers:cv_upload"), data=body, content_type=content_type)


def _seeker_client(world):
    client = Client()
    client.force_login(world.seeker_a.user)
    return client


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_chat_refuses(case, world):
    filename, content = REFUSED[case]
    before = Message.objects.count()
    response = _chat_upload(_seeker_client(world), world, filename, content)
    assert response.status_code == 400, (case, response.content[:300])
    assert response.json()["type"] == "error"
    assert Message.objects.count() == before


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_cv_upload_refuses(case, world):
    filename, content = REFUSED[case]
    before = CvSubmission.objects.count()
    response = _cv_upload(_seeker_client(world), filename, content)
    assert response.status_code == 400, case
    assert CvSubmission.objects.count() == before


@pytest.mark.parametrize(
    ("filename", "content"), [("cv.pdf", MINIMAL_PDF), ("photo.png", PNG), ("cv.docx", _docx())]
)
def test_the_chat_accepts_real_files(filename, content, world):
    response = _chat_upload(_seeker_client(world), world, filename, content)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["type"] == "message.ack"


@override_settings(CHAT_MAX_UPLOAD_BYTES=1024, ATELIERS_CV_MAX_BYTES=1024)
def test_oversized_files_are_refused(world):
    big = MINIMAL_PDF[:-6] + b"%" + b"x" * 2048 + b"\n%%EOF\n"
    client = _seeker_client(world)
    assert _chat_upload(client, world, "cv.pdf", big).status_code == 400
    assert _cv_upload(client, "cv.pdf", big).status_code == 400


def _assert_safe_download(response, *, extension):
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    # (A quote inside the name is escaped by a backslash, as RFC 6266 wants.)
    name = disposition.split("filename", 1)[1].replace('\\"', "")
    for bad in ("/", "\\", "\x00", "\r", "\n", "\u202e"):
        assert bad not in name, disposition
    assert "text/html" not in response["Content-Type"]
    assert disposition.rstrip('"').endswith(f".{extension}"), disposition
    # Read to the end: the test client then closes the file without closing the database.
    b"".join(response.streaming_content)


@pytest.mark.parametrize("filename", HOSTILE_NAMES)
def test_hostile_names_are_stored_and_served_safely_in_the_chat(filename, world, settings):
    client = _seeker_client(world)
    response = _chat_upload(client, world, filename, MINIMAL_PDF)
    if response.status_code == 400:
        return  # refusing the name is fine too
    message = Message.objects.get(pk=response.json()["message"]["id"])
    stored = message.attachment.path
    assert stored.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert "\x00" not in message.attachment_name and "/" not in message.attachment_name
    assert "\\" not in message.attachment_name
    download = client.get(reverse("chat:attachment", args=[world.conversation_a.pk, message.pk]))
    _assert_safe_download(download, extension="pdf")


@pytest.mark.parametrize("filename", HOSTILE_NAMES)
def test_hostile_names_are_stored_and_served_safely_for_cvs(filename, world, settings):
    client = _seeker_client(world)
    response = _cv_upload(client, filename, MINIMAL_PDF)
    if response.status_code == 400:
        return
    assert response.status_code == 302
    submission = CvSubmission.objects.exclude(pk=world.cv_a.pk).get()
    assert submission.file.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    for bad in ("/", "\\", "\x00"):
        assert bad not in submission.original_name
    download = client.get(reverse("ateliers:cv_file", args=[submission.pk]))
    _assert_safe_download(download, extension="pdf")


def test_another_persons_file_ids_give_404(world):
    stranger = Client()
    stranger.force_login(world.seeker_b.user)
    assert (
        stranger.get(
            reverse("chat:attachment", args=[world.conversation_a.pk, world.message_a.pk])
        ).status_code
        == 404
    )
    assert stranger.get(reverse("ateliers:cv_file", args=[world.cv_a.pk])).status_code == 404
    # Seeker B's own conversation with A's message id: still nothing.
    from chat.models import Conversation

    mine = Conversation.objects.create(seeker=world.seeker_b)
    assert (
        stranger.get(reverse("chat:attachment", args=[mine.pk, world.message_a.pk])).status_code
        == 404
    )
    # Uploading into A's conversation: 404, nothing stored.
    before = Message.objects.count()
    assert _chat_upload(stranger, world, "cv.pdf", MINIMAL_PDF).status_code == 404
    assert Message.objects.count() == before


def test_existing_downloads_are_attachments_with_nosniff(world):
    client = _seeker_client(world)
    _assert_safe_download(
        client.get(reverse("chat:attachment", args=[world.conversation_a.pk, world.message_a.pk])),
        extension="pdf",
    )
    _assert_safe_download(
        client.get(reverse("ateliers:cv_file", args=[world.cv_a.pk])), extension="pdf"
    )
    media = client.get(reverse("ateliers:answer_media", args=[world.simulation_a.pk, 1]))
    _assert_safe_download(media, extension="webm")
    export = client.get(reverse("privacy:export"))
    assert export["Content-Disposition"].startswith("attachment;")
