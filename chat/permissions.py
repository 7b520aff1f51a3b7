"""Predicates of the chat, shared by views, the consumer and the admin."""

from accounts.models import Role

from .models import Conversation


def can_chat(user) -> bool:
    """Only seekers and advisors ever open a conversation; managers never connect."""
    return user.is_authenticated and user.is_active and user.role in (Role.SEEKER, Role.ADVISOR)


def can_join_conversation(user, conversation_id: int) -> bool:
    return (
        can_chat(user) and Conversation.objects.for_user(user).filter(pk=conversation_id).exists()
    )


def can_open_inbox(user) -> bool:
    return user.is_authenticated and user.role == Role.ADVISOR and hasattr(user, "advisor_profile")
