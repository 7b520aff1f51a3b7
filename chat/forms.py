"""Forms of the chat: the message form (used when JavaScript is off) and the file form."""

import uuid

import filetype
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# What may be shared, recognised from the file's content (never from its name or declared type).
ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt",
    "image/png": "png",
    "image/jpeg": "jpg",
}


# What ends each type: anything after it (HTML, script) makes a polyglot that a lax viewer or a
# sniffing browser could run; a PDF may end with whitespace after its last %%EOF.
def _ends_cleanly(upload, mime: str) -> bool:
    upload.seek(max(upload.size - 1024, 0))
    tail = upload.read()
    upload.seek(0)
    if mime == "application/pdf":
        end = tail.rfind(b"%%EOF")
        return end >= 0 and not tail[end + 5 :].strip()
    if mime == "image/png":
        return tail.endswith(b"IEND\xaeB`\x82")
    if mime == "image/jpeg":
        return tail.rstrip(b"\x00").endswith(b"\xff\xd9")
    return True


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=False,
    )
    client_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].max_length = settings.CHAT_MAX_BODY_CHARS
        self.fields["body"].widget.attrs["maxlength"] = settings.CHAT_MAX_BODY_CHARS

    def clean_body(self):
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError(_("A message cannot be empty."), code="empty_body")
        return body


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("Share a file"),
        help_text=_("PDF, DOCX, ODT, PNG or JPEG, 10 MB at most."),
    )
    client_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.CHAT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("This file is too large (%(size)s); the limit is %(max)s.")
                % {
                    "size": filesizeformat(upload.size),
                    "max": filesizeformat(settings.CHAT_MAX_UPLOAD_BYTES),
                },
                code="too_large",
            )
        upload.seek(0)
        kind = filetype.guess(upload.read(8192))
        upload.seek(0)
        if kind is None or kind.mime not in ALLOWED_TYPES:
            raise forms.ValidationError(
                _("Only PDF, DOCX, ODT, PNG and JPEG files can be shared."), code="bad_type"
            )
        if not _ends_cleanly(upload, kind.mime):
            raise forms.ValidationError(
                _("This file is damaged or holds something else after its end."),
                code="bad_type",
            )
        upload.content_type = kind.mime
        # The stored name keeps what the person called it, with the extension of what it is.
        stem = upload.name.rsplit(".", 1)[0][:150] or "file"
        upload.name = f"{stem}.{ALLOWED_TYPES[kind.mime]}"
        return upload
