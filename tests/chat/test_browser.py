"""Seeker and advisor chat in two Chromium pages served by a real daphne process; the seeker's
socket is cut, messages written meanwhile on both sides arrive after reconnection, none twice;
a message whose live event was lost arrives when the server asks the pages to resync."""

import asyncio
import os
import re
import threading
import uuid
from pathlib import Path

import pytest

from chat.models import Message
from tests.conftest import CHROMIUM, require_or_skip

from .conftest import session_cookie
from .factories import MessageFactory
from .servers import daphne_servers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = "[data-chat-socket]"
SEQS = "els => els.map(e => Number(e.dataset.seq))"


def write(page, text: str) -> None:
    """With the keyboard only: type in the labelled box, Enter sends."""
    box = page.get_by_label("Votre message")
    box.focus()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def bubble(page, text: str):
    return page.get_by_role("listitem").filter(has_text=text)


def lost_event(prefix: str, conversation, body: str) -> None:
    """Stores an advisor's message without publishing it, then gives the conversation's sockets
    the event portal.layers sends when events may have been lost, through the daphne process's
    own channel layer (its prefix, the real Redis). In a thread of its own, which gives its
    database connection back: Playwright's sync API runs an event loop in this one."""
    from django.conf import settings
    from django.db import connections

    from chat.services import group_name
    from portal.layers import GAP, RedisPubSubChannelLayer

    config = {**settings.CHANNEL_LAYERS["default"]["CONFIG"], "prefix": prefix}

    async def send_gap():
        layer = RedisPubSubChannelLayer(**config)
        await layer.group_send(group_name(conversation.pk), {"type": GAP})
        await layer.flush()

    def run():
        try:
            MessageFactory(conversation=conversation, from_advisor=True, body=body)
        finally:
            connections.close_all()
        asyncio.run(send_gap())

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=10)


def test_nothing_is_lost_nor_doubled_when_the_seeker_drops(
    conversation, followed, referent, monkeypatch
):
    require_or_skip(os.path.exists(CHROMIUM), "Chromium")
    from playwright.sync_api import expect, sync_playwright

    MessageFactory(conversation=conversation, body="Message d'avant")
    cookies = {"seeker": session_cookie(followed.user), "advisor": session_cookie(referent.user)}

    prefix = f"chattest{uuid.uuid4().hex[:8]}"
    with daphne_servers(1, extra_env={"CHAT_LAYER_PREFIX": prefix}) as (base,):
        # The sync API runs an event loop in this thread; the ORM must be allowed beside it.
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                pages, contexts = {}, {}
                for who in ("seeker", "advisor"):
                    context = browser.new_context(locale="fr-FR")
                    context.add_cookies([{"name": "sessionid", "value": cookies[who], "url": base}])
                    page = context.new_page()
                    page.set_default_timeout(15000)
                    contexts[who], pages[who] = context, page
                expect.set_options(timeout=15000)
                seeker, advisor = pages["seeker"], pages["advisor"]

                seeker.goto(base + "/espace/demandeur/")
                seeker.get_by_role("link", name="Ouvrir ma conversation").click()
                seeker.wait_for_url(re.compile(rf"/messagerie/{conversation.pk}/$"))
                advisor.goto(base + "/conseiller/")
                advisor.get_by_role("link", name="Messagerie").click()
                advisor.get_by_role("link", name=followed.user.get_full_name()).click()
                for page in (seeker, advisor):
                    expect(page.locator(ROOT)).to_have_attribute(
                        "data-chat-socket", f"/ws/chat/{conversation.pk}/"
                    )
                    expect(page.locator(ROOT)).to_have_attribute("data-connection", "connected")
                    expect(bubble(page, "Message d'avant")).to_have_count(1)

                # A first exchange: delivered, announced to screen readers, then read.
                write(seeker, "Bonjour, j'ai mis mon CV à jour")
                expect(bubble(advisor, "Bonjour, j'ai mis mon CV à jour")).to_have_count(1)
                expect(advisor.locator("[data-chat-announcer]")).to_contain_text(
                    "Nouveau message de"
                )
                expect(
                    bubble(seeker, "Bonjour, j'ai mis mon CV à jour").locator(".chat-state")
                ).to_have_text("Lu")

                # The seeker's connection drops.
                contexts["seeker"].set_offline(True)
                seeker.evaluate(f"document.querySelector('{ROOT}').chatClient.socket.close()")
                expect(seeker.locator(ROOT)).to_have_attribute("data-connection", "reconnecting")

                for number in (1, 2, 3):
                    write(advisor, f"Pendant la coupure {number}")
                    expect(
                        bubble(advisor, f"Pendant la coupure {number}").locator(".chat-state")
                    ).to_have_text("Envoyé")
                write(seeker, "Écrit hors ligne")
                expect(bubble(seeker, "Écrit hors ligne").locator(".chat-state")).to_have_text(
                    "Pas encore envoyé : nouvel essai automatique"
                )
                expect(bubble(seeker, "Pendant la coupure")).to_have_count(0)
                expect(seeker.locator(ROOT)).to_have_attribute("data-connection", "reconnecting")

                # Back online: sync from the last seq, retry of the unacknowledged message.
                contexts["seeker"].set_offline(False)
                expect(seeker.locator(ROOT)).to_have_attribute("data-connection", "connected")
                for number in (1, 2, 3):
                    expect(bubble(seeker, f"Pendant la coupure {number}")).to_have_count(1)
                expect(bubble(advisor, "Écrit hors ligne")).to_have_count(1)
                expect(bubble(seeker, "Écrit hors ligne").locator(".chat-state")).to_have_text(
                    re.compile("^(Envoyé|Lu)$")
                )

                # A message whose event the server's channel layer lost: on the layer's gap the
                # server asks both pages to sync, on their open sockets.
                for page in (seeker, advisor):
                    page.evaluate(
                        f"window.socketBefore = document.querySelector('{ROOT}').chatClient.socket"
                    )
                lost_event(prefix, conversation, "Sans événement")
                for page in (seeker, advisor):
                    expect(bubble(page, "Sans événement")).to_have_count(1)
                    client = f"document.querySelector('{ROOT}').chatClient"
                    same = f"window.socketBefore === {client}.socket"
                    assert page.evaluate(same)  # no reconnection: the open socket synced

                for page in (seeker, advisor):
                    seqs = page.eval_on_selector_all("[data-chat-log] li[data-seq]", SEQS)
                    assert seqs == [1, 2, 3, 4, 5, 6, 7]
                    assert page.locator("[data-chat-log] li[data-pending]").count() == 0
            finally:
                browser.close()

    stored = list(Message.objects.order_by("seq").values_list("seq", "body"))
    assert [seq for seq, _ in stored] == [1, 2, 3, 4, 5, 6, 7]
    assert [body for _, body in stored].count("Écrit hors ligne") == 1


def test_a_seeker_shares_a_cv_and_the_advisor_downloads_it(
    conversation, followed, referent, monkeypatch, tmp_path
):
    require_or_skip(os.path.exists(CHROMIUM), "Chromium")
    from playwright.sync_api import expect, sync_playwright

    cv = tmp_path / "Mon CV.pdf"
    cv.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    cookies = {"seeker": session_cookie(followed.user), "advisor": session_cookie(referent.user)}
    url = f"/messagerie/{conversation.pk}/"

    with daphne_servers(1) as (base,):
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                pages = {}
                for who in ("seeker", "advisor"):
                    context = browser.new_context(locale="fr-FR", accept_downloads=True)
                    context.add_cookies([{"name": "sessionid", "value": cookies[who], "url": base}])
                    pages[who] = context.new_page()
                    pages[who].set_default_timeout(15000)
                    pages[who].goto(base + url)
                expect.set_options(timeout=15000)
                seeker, advisor = pages["seeker"], pages["advisor"]
                for page in (seeker, advisor):
                    expect(page.locator(ROOT)).to_have_attribute("data-connection", "connected")

                seeker.get_by_label("Partager un fichier").set_input_files(str(cv))
                seeker.get_by_role("button", name="Envoyer le fichier").focus()
                seeker.keyboard.press("Enter")

                link = advisor.get_by_role("link", name="Fichier : Mon CV.pdf")
                seeker.wait_for_timeout(3000)
                print(
                    "DEBUG",
                    seeker.locator("[data-chat-announcer]").inner_text(),
                    seeker.url,
                    seeker.locator("[data-chat-log]").inner_html()[-800:],
                )
                expect(link).to_have_count(1)
                expect(seeker.get_by_role("link", name="Fichier : Mon CV.pdf")).to_have_count(1)
                with advisor.expect_download() as download:
                    link.click()
                assert download.value.suggested_filename == "Mon CV.pdf"
                assert Path(download.value.path()).read_bytes() == cv.read_bytes()
            finally:
                browser.close()

    message = Message.objects.get()
    assert message.attachment_type == "application/pdf"
