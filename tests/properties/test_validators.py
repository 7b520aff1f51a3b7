"""Every validator a person's input meets: phone numbers, rows of the managers' CSV import,
message bodies of the chat and the workshop rooms, and the type checks of shared files and CVs.
None crashes on any input; what each accepts is what its rules allow, and nothing else."""

import csv
import io
import string
import zipfile

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from ateliers import services as ateliers_services
from ateliers.uploads import DOCX, ODT, PDF, UploadRefused, check_cv
from chat import services as chat_services
from chat.forms import ALLOWED_TYPES, AttachmentForm
from seekers.forms import DeclarationsForm
from steering.services import IMPORT_COLUMNS, ImportReport, SeekerRowForm, _read_rows
from tests.properties.strategies import PROPERTY, hostile_text

SEPARATORS = " .-"


def clean_phone(value: str):
    form = DeclarationsForm()
    form.cleaned_data = {"phone": value}
    return form.clean_phone()


french_numbers = st.tuples(
    st.sampled_from(["0", "+33 ", "+33"]),
    st.lists(st.sampled_from(string.digits), min_size=9, max_size=9),
    st.sampled_from(["", " ", ".", "-"]),
).map(lambda t: t[0] + t[2].join("".join(t[1][i : i + 2]) for i in range(0, 9, 2)))


@PROPERTY
@given(
    st.one_of(
        french_numbers,
        st.text(alphabet=string.digits + SEPARATORS + "+x", max_size=25),
        hostile_text,
    )
)
def test_phone_numbers_are_digits_with_separators_or_refused(value):
    try:
        cleaned = clean_phone(value)
    except forms.ValidationError:
        return
    assert cleaned == value.strip()
    digits = "".join(ch for ch in cleaned if ch not in SEPARATORS)
    if digits:
        assert digits.lstrip("+").isdigit() and digits.lstrip("+").isascii()
        assert 10 <= len(digits) <= 13
    assert clean_phone(cleaned) == cleaned  # validating again changes nothing


@PROPERTY
@given(french_numbers)
def test_every_french_number_as_people_write_it_is_accepted(value):
    assert clean_phone(value) == value


cells = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"),
    max_size=30,
)


@PROPERTY
@given(st.binary(max_size=400) | hostile_text.map(str.encode))
def test_any_file_is_read_or_refused_with_a_reason(raw):
    report = ImportReport()

    rows = _read_rows(raw, report)

    if rows is None or rows == []:
        assert report.errors and all(isinstance(message, str) for *_, message in report.errors)
    else:
        assert all(isinstance(row, dict) for row in rows)
        for row in rows:
            SeekerRowForm(row).is_valid()  # never raises, whatever the cells


@PROPERTY
@given(
    st.lists(st.fixed_dictionaries(dict.fromkeys(IMPORT_COLUMNS, cells)), min_size=1, max_size=5),
    st.sampled_from([",", ";"]),
)
def test_written_rows_are_read_back_cell_for_cell(rows, delimiter):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=IMPORT_COLUMNS, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    report = ImportReport()

    read = _read_rows(buffer.getvalue().encode(), report)

    assert report.errors == []
    assert read == [{key: value.strip() for key, value in row.items()} for row in rows]
    for row in read:
        form = SeekerRowForm(row)
        if form.is_valid():
            assert "@" in form.cleaned_data["email"]
            assert (
                form.cleaned_data["first_name"].strip() and form.cleaned_data["last_name"].strip()
            )
            assert len(form.cleaned_data["phone"]) <= 20


bodies = st.one_of(
    hostile_text, st.text(max_size=60), st.integers(), st.none(), st.lists(st.text())
)


@PROPERTY
@given(bodies)
def test_chat_and_room_bodies_are_non_blank_text_within_the_limit(body):
    with override_settings(CHAT_MAX_BODY_CHARS=40, ATELIERS_ROOM_MAX_BODY_CHARS=40):
        allowed = isinstance(body, str) and bool(body.strip()) and len(body) <= 40
        for check, error in (
            (chat_services.check_body, chat_services.ChatError),
            (ateliers_services.check_body, ateliers_services.AteliersError),
        ):
            try:
                assert check(body) is body and allowed
            except error as refused:
                assert not allowed
                assert refused.code in {"empty_body", "body_too_long"}


MAGIC = {
    "pdf": b"%PDF-1.7\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "exe": b"MZ\x90\x00\x03\x00",
    "elf": b"\x7fELF\x02\x01\x01",
    "html": b"<!DOCTYPE html><script>alert(1)</script>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">',
    "gif": b"GIF89a",
    "zip": b"PK\x03\x04",
    "none": b"",
}
names = (
    st.one_of(
        st.sampled_from(
            ["cv.pdf", "../../etc/passwd", "x.png.exe", "photo.jpg", ".htaccess", "a" * 300]
        ),
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            min_size=1,
            max_size=40,
        ),
    )
    .map(
        # What Django's multipart parser hands to the form: the last path component only.
        lambda name: name.rsplit("/")[-1].rsplit("\\")[-1][:200]
    )
    .filter(lambda name: name not in {"", ".", ".."})
)


@PROPERTY
@given(st.sampled_from(sorted(MAGIC)), st.binary(max_size=300), names)
def test_shared_files_are_typed_by_their_content(kind, tail, name):
    upload = SimpleUploadedFile(
        name[:200] or "f", MAGIC[kind] + tail, content_type="application/pdf"
    )
    form = AttachmentForm(
        data={"client_id": "6f1d2c1e-8f0b-4c39-9a1b-0c2f3a4b5c6d"}, files={"file": upload}
    )

    if form.is_valid():
        stored = form.cleaned_data["file"]
        assert kind in {"pdf", "png", "jpeg"} or kind == "zip"
        assert stored.content_type in ALLOWED_TYPES
        assert stored.name.endswith("." + ALLOWED_TYPES[stored.content_type])
    else:
        assert "file" in form.errors


def _zip(members: list[str], mimetype: str | None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if mimetype is not None:
            archive.writestr("mimetype", mimetype)
        for member in members:
            archive.writestr(member, b"<x/>")
    return buffer.getvalue()


MEMBERS = ["[Content_Types].xml", "word/document.xml", "content.xml", "evil.js", "../x"]


@PROPERTY
@given(
    st.one_of(
        st.tuples(st.just("pdf"), st.binary(max_size=200), st.booleans()),
        st.tuples(
            st.just("zip"),
            st.lists(st.sampled_from(MEMBERS), unique=True),
            st.sampled_from([None, ODT, DOCX, "text/html"]),
        ),
        st.tuples(st.just("raw"), st.sampled_from(sorted(MAGIC)), st.binary(max_size=200)),
    )
)
def test_cvs_are_pdf_docx_or_odt_by_their_structure(case):
    if case[0] == "pdf":
        content = MAGIC["pdf"] + case[1] + (b"\n%%EOF\n" if case[2] else b"")
    elif case[0] == "zip":
        content = _zip(case[1], case[2])
    else:
        content = MAGIC[case[1]] + case[2]
    upload = SimpleUploadedFile("cv.pdf", content)

    try:
        checked = check_cv(upload, max_bytes=10_000)
    except UploadRefused as refused:
        assert refused.code in {"empty", "too_large", "damaged", "bad_type"}
        return
    assert checked.content_type in {PDF, DOCX, ODT}
    if checked.content_type == PDF:
        assert content.startswith(b"%PDF") and b"%%EOF" in content[-1024:]
    elif checked.content_type == DOCX:
        assert case[0] == "zip" and {"[Content_Types].xml", "word/document.xml"} <= set(case[1])
    else:
        assert case[0] == "zip" and case[2] == ODT and "content.xml" in case[1]
