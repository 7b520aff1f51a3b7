"""The CV exercise: upload checks from the content (type, size, DOCX/ODT structure), the
exchange of comments, and who may read it."""

import io
import zipfile

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ateliers.models import CvComment, CvSubmission, LessonProgress
from ateliers.uploads import DOCX, ODT, PDF
from tests.ateliers.factories import LessonFactory

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", ODT, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("virus.exe", "MZ")
    return buffer.getvalue()


def upload(client, name, content, content_type="application/pdf", **extra):
    return client.post(
        reverse("ateliers:cv_upload"),
        {"file": SimpleUploadedFile(name, content, content_type=content_type), **extra},
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [("cv.pdf", PDF_BYTES, PDF), ("cv.docx", docx_bytes(), DOCX), ("cv.odt", odt_bytes(), ODT)],
)
def test_accepted_formats_are_stored_privately(
    name, content, expected, followed, make_client, private_root, django_capture_on_commit_callbacks
):
    lesson = LessonFactory(cv=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            make_client(followed.user), name, content, workshop=lesson.workshop.slug, note="Merci"
        )
    assert response.status_code == 302
    submission = CvSubmission.objects.get(seeker=followed)
    assert submission.content_type == expected
    assert submission.original_name == name
    assert submission.file.name.endswith("." + name.rsplit(".", 1)[1])
    assert (private_root / submission.file.name).read_bytes() == content
    assert LessonProgress.objects.filter(seeker=followed, lesson=lesson).exists()
    assert len(mail.outbox) == 1 and followed.referent.user.email in mail.outbox[0].to


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("cv.pdf", b"MZ\x90\x00 this is an executable", "application/pdf"),
        ("cv.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
        ("cv.docx", plain_zip(), DOCX),
        ("cv.odt", b"PK\x03\x04 not really a zip", ODT),
        ("cv.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png"),
        ("cv.pdf", b"%PDF-1.4 truncated without end", "application/pdf"),
        ("cv.pdf", b"", "application/pdf"),
    ],
)
def test_refused_files(name, content, claimed, followed, make_client):
    response = upload(make_client(followed.user), name, content, claimed)
    assert response.status_code == 400
    assert not CvSubmission.objects.exists()


def test_file_over_ten_megabytes_is_refused(followed, make_client, settings):
    settings.ATELIERS_CV_MAX_BYTES = 10 * 1024 * 1024
    content = PDF_BYTES[:-6] + b"\0" * (10 * 1024 * 1024) + b"%%EOF\n"
    response = upload(make_client(followed.user), "cv.pdf", content)
    assert response.status_code == 400
    assert "10 MB" in response.content.decode() or "10 Mo" in response.content.decode()
    assert not CvSubmission.objects.exists()


def test_exchange_seen_by_both_and_file_served_as_attachment(
    followed, advisor, make_client, django_capture_on_commit_callbacks
):
    seeker_client = make_client(followed.user)
    upload(seeker_client, "Mon CV.pdf", PDF_BYTES)
    submission = CvSubmission.objects.get()
    advisor_client = make_client(advisor.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = advisor_client.post(
            submission.get_absolute_url(), {"body": "Mettez vos expériences en premier."}
        )
    assert response.status_code == 302
    comment = CvComment.objects.get()
    assert comment.author_role == "advisor"
    assert followed.user.email in mail.outbox[-1].to
    seeker_page = seeker_client.get(submission.get_absolute_url()).content.decode()
    assert "Mettez vos expériences en premier." in seeker_page
    seeker_client.post(submission.get_absolute_url(), {"body": "Merci, c'est fait."})
    assert (
        "Merci, c&#x27;est fait."
        in advisor_client.get(submission.get_absolute_url()).content.decode()
    )
    for client in (seeker_client, advisor_client):
        file_response = client.get(reverse("ateliers:cv_file", args=[submission.pk]))
        assert file_response.status_code == 200
        assert file_response["Content-Disposition"].startswith("attachment")
        assert file_response["X-Content-Type-Options"] == "nosniff"
        assert file_response["Content-Type"] == "application/pdf"
        assert b"".join(file_response.streaming_content) == PDF_BYTES


def test_strangers_cannot_read_or_comment(
    followed, other_seeker, other_advisor, manager, make_client
):
    upload(make_client(followed.user), "cv.pdf", PDF_BYTES)
    submission = CvSubmission.objects.get()
    for user in (other_seeker.user, other_advisor.user, manager):
        client = make_client(user)
        assert client.get(submission.get_absolute_url()).status_code == 404
        assert client.get(reverse("ateliers:cv_file", args=[submission.pk])).status_code == 404
        assert client.post(submission.get_absolute_url(), {"body": "x"}).status_code == 404
    assert not CvComment.objects.exists()


def test_only_seekers_upload(advisor, make_client):
    response = upload(make_client(advisor.user), "cv.pdf", PDF_BYTES)
    assert response.status_code == 404
