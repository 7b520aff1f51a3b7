"""Pages of the chat: the seeker's conversation, the advisor's inbox, files."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from casefile.models import AuditAction
from casefile.services import audit_record

from . import selectors, services
from .forms import AttachmentForm, MessageForm
from .models import Conversation, Message
from .payloads import message_payload
from .permissions import can_chat, can_open_inbox


def chat_required(view):
    """Only seekers and advisors reach the chat; others get a 404 so that nothing leaks."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not can_chat(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@chat_required
@require_GET
def seeker_conversation(request):
    seeker = selectors.followed_seeker_of(request.user)
    if seeker is None:
        raise Http404
    conversation = services.conversation_for_seeker(seeker=seeker)
    return redirect(conversation)


@chat_required
@require_GET
def open_for_seeker(request, seeker_id: int):
    seeker = get_object_or_404(selectors.seekers_followed_by(request.user), pk=seeker_id)
    conversation = services.conversation_for_seeker(seeker=seeker)
    return redirect(conversation)


@chat_required
@require_GET
def write_to(request):
    """The inbox's "write to a seeker" form: any seeker the advisor follows or backs up."""
    try:
        seeker_id = int(request.GET.get("seeker", ""))
    except ValueError:
        raise Http404 from None
    return open_for_seeker(request, seeker_id)


@chat_required
@require_GET
def inbox(request):
    if not can_open_inbox(request.user):
        raise Http404
    advisor = request.user.advisor_profile
    return render(
        request,
        "chat/inbox.html",
        {
            "advisor": advisor,
            "rows": selectors.inbox_rows(advisor),
            "followed": selectors.seekers_followed_by(request.user)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk"),
        },
    )


def _client_strings() -> dict:
    """What the browser client says, translated here since it has no catalogue of its own."""
    return {
        "connecting": _("Connecting…"),
        "connected": _("Connected."),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "read": _("Read"),
        "failed": _("Not sent yet: will retry"),
        "newMessage": _("New message from %(name)s: %(body)s"),
        "typing": _("%(name)s is typing…"),
        "file": _("File: %(name)s"),
        "uploadFailed": _("The file could not be sent."),
    }


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@chat_required
@require_http_methods(["GET", "POST"])
def conversation(request, conversation_id: int):
    conversation = get_object_or_404(
        Conversation.objects.for_user(request.user).select_related(
            "seeker__user", "seeker__agency", "seeker__referent__user"
        ),
        pk=conversation_id,
    )
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_send(
                conversation_id=conversation.pk,
                author=request.user,
                client_id=form.cleaned_data["client_id"],
                body=form.cleaned_data["body"],
            )
        except services.ChatError as error:
            messages.error(request, error.detail)
        return redirect(conversation)
    if request.user.role == Role.ADVISOR:
        # Staff reading a seeker's conversation is written in the append-only audit trail.
        audit_record(
            actor=request.user, action=AuditAction.OPENED_CONVERSATION, seeker=conversation.seeker
        )
    return render(
        request,
        "chat/conversation.html",
        selectors.conversation_page(conversation, request.user)
        | {"form": form, "file_form": AttachmentForm(), "chat_strings": _client_strings()},
        status=400 if form.errors else 200,
    )


@chat_required
@require_POST
def upload(request, conversation_id: int):
    conversation = get_object_or_404(
        Conversation.objects.for_user(request.user), pk=conversation_id
    )
    form = AttachmentForm(request.POST, request.FILES)
    error = None
    if form.is_valid():
        try:
            message, _created = services.message_send(
                conversation_id=conversation.pk,
                author=request.user,
                client_id=form.cleaned_data["client_id"],
                body="",
                attachment=form.cleaned_data["file"],
            )
        except services.ChatError as exc:
            error = {"code": exc.code, "detail": exc.detail}
        else:
            if _wants_json(request):
                return JsonResponse({"type": "message.ack", "message": message_payload(message)})
            return redirect(conversation)
    else:
        field_errors = form.errors.as_data().get("file") or form.errors.as_data().get("client_id")
        first = field_errors[0] if field_errors else None
        error = {
            "code": (first.code if first and first.code else "bad_request"),
            "detail": " ".join(first.messages) if first else _("This file cannot be sent."),
        }
    if _wants_json(request):
        return JsonResponse({"type": "error", **error}, status=400)
    messages.error(request, error["detail"])
    return redirect(conversation)


@chat_required
@require_GET
def attachment(request, conversation_id: int, message_id: int):
    message = get_object_or_404(
        Message.objects.for_user(request.user).exclude(attachment=""),
        pk=message_id,
        conversation_id=conversation_id,
    )
    response = FileResponse(
        message.attachment.open("rb"),
        as_attachment=True,
        filename=message.attachment_name,
        content_type=message.attachment_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
