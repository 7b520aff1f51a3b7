"""What the chat sends over the wire and shows on the page: message objects and safe bodies."""

import re

import nh3
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Message

# http(s) links only; trailing punctuation belongs to the sentence, not to the link.
LINK_RE = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
TRAILING = ".,;:!?)]}'\""


def render_body(text: str) -> SafeString:
    """Plain text escaped, its http(s) links made clickable, then sanitised by nh3 as a second
    line of defence: only <a href> with http(s) survives, with rel="nofollow noopener noreferrer".
    """
    parts, last = [], 0
    for match in LINK_RE.finditer(text):
        url = match.group(0)
        stripped = url.rstrip(TRAILING)
        end = match.start() + len(stripped)
        parts.append(escape(text[last : match.start()]))
        parts.append(f'<a href="{escape(stripped)}">{escape(stripped)}</a>')
        last = end
    parts.append(escape(text[last:]))
    cleaned = nh3.clean(
        "".join(parts),
        tags={"a"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
    return mark_safe(cleaned)  # noqa: S308 - escaped above, then sanitised by nh3


def author_payload(user, role: str) -> dict:
    # The name only: an email address never travels to the other side.
    return {"id": user.pk, "name": user.get_full_name() or str(role), "role": role}


def message_payload(message: Message) -> dict:
    """The message as the wire carries it; made once per instance (a message is never edited),
    since the sender's ack and the others' message.new carry the same one."""
    cached = message.__dict__.get("_payload")
    if cached is not None:
        return cached
    attachment = None
    if message.attachment:
        attachment = {
            "name": message.attachment_name,
            "content_type": message.attachment_type,
            "size": message.attachment_size,
            "url": reverse("chat:attachment", args=[message.conversation_id, message.pk]),
        }
    message._payload = {
        "id": message.pk,
        "seq": message.seq,
        "client_id": str(message.client_id),
        "author": author_payload(message.author, message.author_role),
        "body": message.body,
        "body_html": str(render_body(message.body)),
        "sent_at": message.sent_at.isoformat(),
        "attachment": attachment,
    }
    return message._payload
