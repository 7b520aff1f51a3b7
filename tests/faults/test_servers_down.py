"""Fault tests on real servers: Redis stopped for 10 s during a chat, PostgreSQL restarted, daphne
stopped with SIGTERM during chats and calls. Each runs on its own throw-away PostgreSQL and
Redis (free loopback ports, temporary directories) and its own daphne processes, never on the
shared servers."""

import asyncio
import json
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import require_or_skip
from tests.faults import servers
from tests.faults.peers import Peer, wait_for

pytestmark = pytest.mark.services

OUTAGE_SECONDS = 10
BACK_IN_SYNC_SECONDS = 30


@pytest.fixture(scope="module")
def stack():
    """PostgreSQL and Redis of our own, migrated and seeded; a fresh daphne per test."""
    require_or_skip(servers.available(), "PostgreSQL 15 binaries and redis-server")
    database, redis = servers.PostgresServer(), servers.RedisServer()
    try:
        database.start()
        database.create_database()
        redis.start()
        portal = servers.Portal(database, redis)
        portal.manage("migrate", "--noinput")
        people = portal.seed()
        yield database, redis, portal, people
    finally:
        redis.close()
        database.close()


@pytest.fixture
def portal(stack):
    database, redis, portal, people = stack
    for server in (database, redis):
        # A test that failed half-way may have left one stopped.
        if isinstance(server, servers.RedisServer) and server.process is None:
            server.start()
    yield portal
    try:
        for process in portal.processes:
            if process.poll() is None:
                portal.terminate(portal.processes.index(process))
    finally:
        portal.processes.clear()


def fetch(url: str, session: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept-Language": "fr"})  # noqa: S310
    if session:
        request.add_header("Cookie", f"sessionid={session}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, repr(error)


def pages(base: str, people: dict) -> list[tuple[str, str | None]]:
    seeker, advisor = people["seeker_session"], people["advisor_session"]
    return [
        (base + "/", None),
        (base + "/messagerie/", seeker),
        (base + "/espace/demandeur/", seeker),
        (base + "/messagerie/boite/", advisor),
        (base + "/conseiller/", advisor),
        (base + "/readyz", None),
    ]


class Prober:
    """Asks for every page again and again in a thread, keeping each answer's status with the
    time it was asked."""

    def __init__(self, targets):
        self.targets = targets
        self.answers: list[tuple[float, str, int, str]] = []
        self.running = True

    async def run(self) -> None:
        # One loop per page: a request held by the pool's timeout delays no other page.
        await asyncio.gather(*(self._probe(url, session) for url, session in self.targets))

    async def _probe(self, url: str, session: str | None) -> None:
        while self.running:
            asked_at = time.monotonic()
            status, body = await asyncio.to_thread(fetch, url, session)
            self.answers.append((asked_at, url, status, body))
            await asyncio.sleep(0.2)

    def bad_answers(self) -> list[str]:
        """Every answer that is a 500, a traceback, or a 503 without a clear French message."""
        bad = []
        for _at, url, status, body in self.answers:
            if status >= 500 and status != 503:
                bad.append(f"{url}: {status}")
            elif "Traceback" in body or "Server Error (500)" in body:
                bad.append(f"{url}: traceback or Django's 500 page")
            elif (
                status == 503
                and not url.endswith("/readyz")
                and ("Service momentanément indisponible" not in body or "réessayez" not in body)
            ):
                bad.append(f"{url}: 503 without the French message")
        return bad


def _assert_in_sync(seeker: Peer, advisor: Peer, acknowledged: set[str]) -> None:
    for peer in (seeker, advisor):
        assert peer.holds(acknowledged), (
            f"{peer.name} lost {acknowledged - set(peer.seqs.values())}"
        )
        assert sorted(peer.seqs) == list(range(1, len(peer.seqs) + 1)), "a seq is missing"


async def _chat_through_redis_outage(portal, redis, people):
    base = portal.start()
    conversation = people["conversation"]
    seeker = Peer(base, conversation, people["seeker_session"], "seeker")
    advisor = Peer(base, conversation, people["advisor_session"], "advisor")
    seeker.start()
    advisor.start()
    prober = Prober(pages(base, people))
    probing = asyncio.create_task(prober.run())
    try:
        await wait_for(lambda: seeker.connections and advisor.connections, 15)
        before = await seeker.say("Bonjour, avant la panne")
        await wait_for(lambda: before in advisor.live, 10)

        redis.stop()
        stopped_at = time.monotonic()
        said = [before]
        while time.monotonic() - stopped_at < OUTAGE_SECONDS:
            said.append(await seeker.say(f"Pendant la panne {len(said)}"))
            said.append(await advisor.say(f"Réponse pendant la panne {len(said)}"))
            await asyncio.sleep(1)
        acknowledged_during = set(seeker.acked) | set(advisor.acked)
        redis.start()
        back_at = time.monotonic()

        # Every message the server acknowledged reaches both sides; the ones never acknowledged
        # are sent again by their author and arrive too.
        await wait_for(lambda: seeker.holds(said) and advisor.holds(said), BACK_IN_SYNC_SECONDS)
        after = await advisor.say("La panne est finie")
        await wait_for(
            lambda: after in seeker.live, BACK_IN_SYNC_SECONDS - (time.monotonic() - back_at)
        )
        in_sync_after = time.monotonic() - back_at
    finally:
        prober.running = False
        await probing
        await seeker.stop()
        await advisor.stop()
    return seeker, advisor, acknowledged_during, said, in_sync_after, prober


def test_redis_stopped_for_10_seconds_during_a_chat(stack, portal):
    database, redis, _portal, people = stack
    try:
        seeker, advisor, acknowledged, said, in_sync_after, prober = asyncio.run(
            _chat_through_redis_outage(portal, redis, people)
        )
    except BaseException:
        print(portal.log_text())
        raise

    _assert_in_sync(seeker, advisor, set(said))
    assert acknowledged <= set(seeker.seqs.values())
    assert in_sync_after < BACK_IN_SYNC_SECONDS
    assert prober.bad_answers() == []
    statuses = {url.rsplit("/", 2)[-2] or "/": set() for _a, url, _s, _b in prober.answers}
    assert len(prober.answers) > 20 and statuses
    print(f"back in sync {in_sync_after:.1f} s after Redis returned")


async def _chat_through_postgres_restart(portal, database, people):
    base = portal.start()
    process = portal.processes[-1]
    conversation = people["conversation"]
    seeker = Peer(base, conversation, people["seeker_session"], "seeker")
    advisor = Peer(base, conversation, people["advisor_session"], "advisor")
    seeker.start()
    advisor.start()
    prober = Prober(pages(base, people))
    probing = asyncio.create_task(prober.run())
    said = []
    try:
        await wait_for(lambda: seeker.connections and advisor.connections, 15)
        said.append(await seeker.say("Avant le redémarrage"))
        await wait_for(lambda: said[0] in advisor.live, 10)

        async def keep_talking():
            while True:
                said.append(await seeker.say(f"Message {len(said)}"))
                await asyncio.sleep(0.3)

        talking = asyncio.create_task(keep_talking())
        await asyncio.to_thread(database.stop)
        down_at = time.monotonic()
        await asyncio.sleep(4)
        await asyncio.to_thread(database.start)
        up_at = time.monotonic()
        await asyncio.sleep(2)
        talking.cancel()
        # Recovery with no restart of the portal: pages answer 200 again, the same process
        # stores and delivers messages again.
        recovered = await wait_for(
            lambda: (
                all(
                    status == 200
                    for at, url, status, _ in prober.answers
                    if at > time.monotonic() - 1.5 and not url.endswith("/messagerie/")
                )
                and any(at > up_at + 1 for at, *_ in prober.answers)
            ),
            30,
        )
        after = await advisor.say("Après le redémarrage")
        await wait_for(lambda: after in seeker.live, 30)
        # What could not be stored during the restart is sent again and arrives, once.
        try:
            await wait_for(lambda: seeker.holds(said) and advisor.holds(said), 30)
        except TimeoutError:
            raise AssertionError(
                f"still pending {seeker.pending}, errors {seeker.errors[-3:]}"
            ) from None
    finally:
        prober.running = False
        await probing
        await seeker.stop()
        await advisor.stop()
    assert process.poll() is None, "the portal process was restarted or died"
    during = [a for a in prober.answers if down_at <= a[0] <= up_at]
    return seeker, advisor, said, prober, during, recovered


def test_postgresql_restarted_during_requests_and_a_chat(stack, portal):
    database, _redis, _portal, people = stack
    try:
        seeker, advisor, said, prober, during, recovered = asyncio.run(
            _chat_through_postgres_restart(portal, database, people)
        )
    except BaseException:
        print(portal.log_text())
        raise

    assert prober.bad_answers() == []
    # Requests during the restart were answered "try again", not left hanging nor a 500.
    html_during = [a for a in during if not a[1].endswith("/readyz")]
    assert any(status == 503 for _at, _url, status, _body in html_during), [
        (url, status) for _at, url, status, _ in during
    ]
    # Nothing half-written: every stored message has its own seq, with no gap, up to the
    # conversation's counter; every acknowledged message is stored once and reached both sides.
    sql = (
        "SELECT count(*), count(DISTINCT seq), coalesce(max(seq), 0), "
        "(SELECT last_seq FROM chat_conversation WHERE id = %(id)d) "
        "FROM chat_message WHERE conversation_id = %(id)d"
    )
    rows = portal.psql(sql % {"id": int(people["conversation"])})
    count, distinct, highest, last_seq = map(int, rows.split("|"))
    assert count == distinct == highest == last_seq
    acknowledged = set(seeker.acked) | set(advisor.acked)
    _assert_in_sync(seeker, advisor, acknowledged)
    print(
        f"recovered {recovered:.1f} s after PostgreSQL came back; {len(said)} said, "
        f"{len(acknowledged)} acked, {len(seeker.pending)} pending, errors "
        f"{sorted({e['code'] for e in seeker.errors})}, statuses during the restart "
        f"{sorted({(url.split('/', 3)[-1], status) for _at, url, status, _ in during})}"
    )


async def _start_equipment_check(base: str, session: str):
    """A seeker's equipment check in progress (a server-side WebRTC peer decoding frames)."""
    from websockets.asyncio.client import connect

    from tests.equipment.client import ClientPeer, SyntheticVideo, Tone

    peer = ClientPeer(video=SyntheticVideo(fps=25), audio=Tone())
    socket = await connect(
        base.replace("http://", "ws://") + "/ws/equipement/test/",
        origin=base,
        additional_headers={"Cookie": f"sessionid={session}"},
    )
    await socket.send(json.dumps({"type": "offer", "sdp": await peer.offer()}))
    answer = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert answer["type"] == "answer", answer
    await peer.accept(answer["sdp"])
    progress = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert progress == {"type": "progress", "stage": "measuring"}, progress
    return peer, socket


async def _sigterm_during_chat_and_call(portal, people):
    base = portal.start()
    port = int(base.rsplit(":", 1)[1])
    conversation = people["conversation"]
    seeker = Peer(base, conversation, people["seeker_session"], "seeker")
    advisor = Peer(base, conversation, people["advisor_session"], "advisor")
    seeker.start()
    advisor.start()
    peer, socket = None, None
    try:
        await wait_for(lambda: seeker.connections and advisor.connections, 15)
        first = await seeker.say("Avant l'arrêt")
        await wait_for(lambda: first in advisor.live, 10)
        peer, socket = await _start_equipment_check(base, people["seeker_session"])
        await asyncio.sleep(1)  # frames flowing, decoder threads running

        exit_seconds = await asyncio.to_thread(portal.terminate)
        while_down = await seeker.say("Pendant le redémarrage")
        # The new process takes the same address, as behind the load balancer.
        await asyncio.to_thread(portal.start, port)
        restarted_at = time.monotonic()
        reconnected = await wait_for(
            lambda: seeker.connections >= 2 and advisor.connections >= 2, 30
        )
        after = await advisor.say("Après le redémarrage")
        await wait_for(lambda: after in seeker.live, 15)
        await wait_for(
            lambda: seeker.holds([first, while_down]) and advisor.holds([while_down]), 15
        )
        in_sync = time.monotonic() - restarted_at
        # A new call works on the new process.
        await peer.close()
        peer, socket = await _start_equipment_check(base, people["seeker_session"])
    finally:
        if peer is not None:
            await peer.close()
        if socket is not None:
            await socket.close()
        await seeker.stop()
        await advisor.stop()
    return exit_seconds, reconnected, in_sync, seeker, advisor


def test_daphne_stopped_with_sigterm_during_a_chat_and_a_call(stack, portal):
    _database, _redis, _portal, people = stack
    portal.env.update(EQUIPMENT_CHECK_SAMPLE_SECONDS="12", EQUIPMENT_CHECK_TIMEOUT_SECONDS="20")
    try:
        exit_seconds, reconnected, in_sync, seeker, advisor = asyncio.run(
            _sigterm_during_chat_and_call(portal, people)
        )
    except BaseException:
        print(portal.log_text())
        raise

    assert exit_seconds < 5, portal.log_text()
    _assert_in_sync(seeker, advisor, set(seeker.acked) | set(advisor.acked))
    print(
        f"daphne exited {exit_seconds:.2f} s after SIGTERM; clients reconnected "
        f"{reconnected:.1f} s and were in sync {in_sync:.1f} s after the new process started"
    )
