"""The access matrix: every HTTP route and every websocket route, found by introspection, tried by
every kind of person against seeker A's objects. A route without an entry in the table fails the
test, so that nobody adds a page without saying who may reach it.

"Not yours" must look exactly like "does not exist": a 404 (or the login redirect for anonymous
people, or the admin's own not-found redirect in the admin), and never seeker A's data."""

from dataclasses import dataclass, field

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal.routing import websocket_urlpatterns

from .conftest import MARK_EMAIL, MARK_NAME, session_cookie

pytestmark = pytest.mark.django_db

# The actors ---------------------------------------------------------------------------------
ANON = "anonymous"
SEEKER_A = "seeker_a"
SEEKER_B = "seeker_b"
ADVISOR_A = "advisor_a"  # seeker A's referent
OTHER_ADVISOR = "other_advisor"
BACKUP_ABSENT = "backup_while_referent_absent"
BACKUP_PRESENT = "backup_while_referent_present"
MANAGER_A = "manager_a"
MANAGER_OTHER = "manager_other_agency"
ACTORS = [
    ANON,
    SEEKER_A,
    SEEKER_B,
    ADVISOR_A,
    OTHER_ADVISOR,
    BACKUP_ABSENT,
    BACKUP_PRESENT,
    MANAGER_A,
    MANAGER_OTHER,
]
# Those who may see seeker A's data somewhere (on the routes that allow them).
A_CIRCLE = {SEEKER_A, ADVISOR_A, BACKUP_ABSENT, MANAGER_A}

EVERYONE = frozenset(ACTORS)
LOGGED_IN = EVERYONE - {ANON}
SEEKERS = frozenset({SEEKER_A, SEEKER_B})
ADVISORS = frozenset({ADVISOR_A, OTHER_ADVISOR, BACKUP_ABSENT, BACKUP_PRESENT})
CHAT_PEOPLE = SEEKERS | ADVISORS
A_FOLLOWERS = frozenset({ADVISOR_A, BACKUP_ABSENT})  # referent, and backup while absent
A_AND_FOLLOWERS = A_FOLLOWERS | {SEEKER_A}
MANAGERS = frozenset({MANAGER_A, MANAGER_OTHER})
NOBODY = frozenset()


def user_of(world, actor):
    return {
        ANON: None,
        SEEKER_A: world.seeker_a.user,
        SEEKER_B: world.seeker_b.user,
        ADVISOR_A: world.advisor_a.user,
        OTHER_ADVISOR: world.other_advisor.user,
        BACKUP_ABSENT: world.backup.user,
        BACKUP_PRESENT: world.backup.user,
        MANAGER_A: world.manager_a,
        MANAGER_OTHER: world.manager_other,
    }[actor]


@dataclass(frozen=True)
class Route:
    allowed: frozenset
    kwargs: object = None  # world -> dict of URL kwargs
    method: str = "get"
    # A route answering a whole-number id for "something that does not exist".
    missing: object = None  # world -> kwargs naming nothing
    query: dict = field(default_factory=dict)


def _a(**builders):
    """kwargs from the world: _a(seeker_id=lambda w: w.seeker_a.pk)."""
    return lambda w: {key: build(w) for key, build in builders.items()}


MISSING = 987654321

# The table: who may reach each named route. ----------------------------------------------------
HTTP_ROUTES = {
    "healthz": Route(EVERYONE),
    "readyz": Route(EVERYONE),
    "set_language": Route(EVERYONE, method="post"),
    "accessibility": Route(EVERYONE),
    "portal:dispatch": Route(LOGGED_IN),
    # Seekers' space
    "seekers:landing": Route(EVERYONE),
    "seekers:enrol": Route(SEEKERS),
    "seekers:enrol_declarations": Route(SEEKERS),
    "seekers:enrol_accessibility": Route(SEEKERS),
    "seekers:enrol_equipment": Route(SEEKERS),
    "seekers:home": Route(SEEKERS),
    "seekers:return_to_agency": Route(SEEKERS),
    "seekers:rejoin": Route(SEEKERS, method="post"),
    # Advisors' space
    "advisors:home": Route(ADVISORS),
    "advisors:absence": Route(ADVISORS, method="post"),
    "advisors:agenda": Route(ADVISORS),
    # The seeker's file
    "casefile:file": Route(A_FOLLOWERS, _a(seeker_id=lambda w: w.seeker_a.pk)),
    "casefile:goal_add": Route(A_FOLLOWERS, _a(seeker_id=lambda w: w.seeker_a.pk), "post"),
    "casefile:action_add": Route(
        A_FOLLOWERS,
        _a(seeker_id=lambda w: w.seeker_a.pk, goal_id=lambda w: w.goal_a.pk),
        "post",
    ),
    "casefile:action_status": Route(
        A_FOLLOWERS,
        _a(seeker_id=lambda w: w.seeker_a.pk, action_id=lambda w: w.action_a.pk),
        "post",
    ),
    "casefile:note_add": Route(A_FOLLOWERS, _a(seeker_id=lambda w: w.seeker_a.pk), "post"),
    "casefile:offer_share": Route(A_FOLLOWERS, _a(seeker_id=lambda w: w.seeker_a.pk), "post"),
    "casefile:my_plan": Route(SEEKERS),
    "casefile:my_action_status": Route({SEEKER_A}, _a(action_id=lambda w: w.action_a.pk), "post"),
    # Privacy
    "privacy:my_data": Route(SEEKERS),
    "privacy:export": Route(SEEKERS),
    "privacy:erasure": Route(SEEKERS, method="post"),
    # Equipment check
    "equipment:check": Route(LOGGED_IN),
    "equipment:history": Route(LOGGED_IN),
    "equipment:seeker_checks": Route(
        A_FOLLOWERS | {SEEKER_A, MANAGER_A}, _a(seeker_id=lambda w: w.seeker_a.pk)
    ),
    # Chat
    "chat:seeker_conversation": Route(SEEKERS),
    "chat:inbox": Route(ADVISORS),
    "chat:open_for_seeker": Route(A_FOLLOWERS, _a(seeker_id=lambda w: w.seeker_a.pk)),
    "chat:write_to": Route(A_FOLLOWERS, query={"seeker": "SEEKER_A"}),
    "chat:conversation": Route(A_AND_FOLLOWERS, _a(conversation_id=lambda w: w.conversation_a.pk)),
    "chat:upload": Route(
        A_AND_FOLLOWERS, _a(conversation_id=lambda w: w.conversation_a.pk), "post"
    ),
    "chat:attachment": Route(
        A_AND_FOLLOWERS,
        _a(conversation_id=lambda w: w.conversation_a.pk, message_id=lambda w: w.message_a.pk),
    ),
    # Interviews: only the two participants (the backup does not join another's interview).
    "interviews:list": Route(SEEKERS | ADVISORS),
    "interviews:book": Route(SEEKERS),
    "interviews:availability": Route(ADVISORS),
    "interviews:propose": Route(ADVISORS),
    "interviews:detail": Route({SEEKER_A, ADVISOR_A}, _a(pk=lambda w: w.appointment_a.pk)),
    "interviews:call": Route({SEEKER_A, ADVISOR_A}, _a(pk=lambda w: w.appointment_a.pk)),
    # The advisor may not confirm, but is a participant: sent back to the appointment.
    "interviews:confirm": Route({SEEKER_A, ADVISOR_A}, _a(pk=lambda w: w.appointment_a.pk), "post"),
    "interviews:reschedule": Route({SEEKER_A, ADVISOR_A}, _a(pk=lambda w: w.appointment_a.pk)),
    "interviews:cancel": Route({SEEKER_A, ADVISOR_A}, _a(pk=lambda w: w.appointment_a.pk)),
    "interviews:notes": Route({ADVISOR_A}, _a(pk=lambda w: w.appointment_a.pk), "post"),
    "interviews:report": Route({SEEKER_A, ADVISOR_A}, _a(pk=lambda w: w.appointment_a.pk), "post"),
    # E-ateliers
    "ateliers:catalogue": Route(SEEKERS),
    "ateliers:cv_upload": Route(SEEKERS, method="post"),
    "ateliers:cv_detail": Route(A_AND_FOLLOWERS, _a(pk=lambda w: w.cv_a.pk)),
    "ateliers:cv_file": Route(A_AND_FOLLOWERS, _a(pk=lambda w: w.cv_a.pk)),
    "ateliers:seeker_progress": Route(A_FOLLOWERS, _a(seeker_pk=lambda w: w.seeker_a.pk)),
    "ateliers:sessions": Route(SEEKERS | ADVISORS),
    # Sessions are announced to the agency's seekers; the facilitator runs them.
    "ateliers:session": Route(SEEKERS | {ADVISOR_A}, _a(pk=lambda w: w.live_a.pk)),
    "ateliers:session_register": Route(SEEKERS, _a(pk=lambda w: w.live_a.pk), "post"),
    "ateliers:session_cancel": Route({SEEKER_A}, _a(pk=lambda w: w.live_a.pk), "post"),
    "ateliers:session_ics": Route({SEEKER_A, ADVISOR_A}, _a(pk=lambda w: w.live_a.pk)),
    "ateliers:attendance_correct": Route({ADVISOR_A}, _a(pk=lambda w: w.live_a.pk), "post"),
    "ateliers:room": Route({SEEKER_A, ADVISOR_A}, _a(pk=lambda w: w.live_a.pk)),
    "ateliers:simulations": Route(SEEKERS),
    "ateliers:simulation": Route(A_AND_FOLLOWERS, _a(pk=lambda w: w.simulation_a.pk)),
    "ateliers:simulation_share": Route({SEEKER_A}, _a(pk=lambda w: w.simulation_a.pk), "post"),
    "ateliers:simulation_delete": Route({SEEKER_A}, _a(pk=lambda w: w.simulation_a.pk)),
    "ateliers:simulation_question": Route(
        {SEEKER_A}, _a(pk=lambda w: w.simulation_a.pk, position=lambda w: 1)
    ),
    "ateliers:take_offer": Route(
        {SEEKER_A}, _a(pk=lambda w: w.simulation_a.pk, position=lambda w: 1), "post"
    ),
    "ateliers:take_stop": Route(
        {SEEKER_A}, _a(pk=lambda w: w.simulation_a.pk, position=lambda w: 1), "post"
    ),
    "ateliers:answer_media": Route(
        A_AND_FOLLOWERS, _a(pk=lambda w: w.simulation_a.pk, position=lambda w: 1)
    ),
    "ateliers:feedback_add": Route(
        A_FOLLOWERS, _a(pk=lambda w: w.simulation_a.pk, position=lambda w: 1), "post"
    ),
    "ateliers:workshop": Route(SEEKERS, _a(slug=lambda w: w.workshop.slug)),
    "ateliers:lesson": Route(
        SEEKERS, _a(slug=lambda w: w.workshop.slug, position=lambda w: w.lesson.position)
    ),
    # No template file on this lesson: a 404 for everyone is the right answer here.
    "ateliers:lesson_template": Route(
        NOBODY, _a(slug=lambda w: w.workshop.slug, position=lambda w: w.lesson.position)
    ),
    # The managers' pages of the admin
    "admin:index": Route(MANAGERS),
    "admin:steering_figures": Route(MANAGERS),
    "admin:steering_rebalance": Route(MANAGERS),
    "admin:steering_import": Route(MANAGERS),
}

# Admin models: A's object in each (None when the model holds nobody's personal data), and
# whether an agency manager works on it at all (False: superusers only, or no Django permission).
ADMIN_MODELS = {
    "seekers.seeker": (lambda w: w.seeker_a, True),
    "seekers.seekerqueueentry": (None, True),
    "advisors.advisor": (lambda w: w.advisor_a, True),
    "advisors.skill": (None, False),
    "agencies.region": (None, True),
    "agencies.agency": (lambda w: w.seeker_a.agency, True),
    "accounts.user": (lambda w: w.seeker_a.user, False),
    "casefile.auditentry": (None, True),
    "privacy.erasurerequest": (lambda w: w.erasure_a, True),
    "equipment.equipmentcheck": (lambda w: w.check_a, True),
    # Managers read their agency's interviews (superusers alone change them).
    "interviews.appointment": (lambda w: w.appointment_a, True),
    "interviews.weeklyavailability": (None, False),
    "interviews.availabilityexception": (None, False),
    "ateliers.workshop": (None, True),
    "ateliers.lesson": (None, True),
    "ateliers.quizquestion": (None, True),
    "ateliers.questionbank": (None, True),
    "ateliers.livesession": (lambda w: w.live_a, True),
    # Third-party models: superusers only.
    "auth.group": (None, False),
    "account.emailaddress": (lambda w: w.seeker_a.user.emailaddress_set.first(), False),
    "mfa.authenticator": (None, False),
    "dsfr.dsfrconfig": (None, False),
    "django_tasks_database.dbtaskresult": (None, False),
}
# Per-model admin routes tried: the list, and for A's object its change, history and delete
# pages. "add" is a form with no data in it; the unnamed "<id>/" route only redirects to change.
ADMIN_OBJECT_VIEWS = ("change", "history", "delete")

# Routes left out on purpose: allauth's own pages (login, signup, password reset, MFA: tested in
# tests/accounts) and the Django admin's generic pages that hold nobody's data.
EXCLUDED_MODULES = ("allauth.",)
EXCLUDED_NAMES = {
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:view_on_site",
    "admin:app_list",
    "admin:auth_user_password_change",  # superusers only, same check as accounts.user
}


def _walk(resolver, namespace=None):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, ns)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name, pattern


def _admin_model_names():
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        yield opts.label_lower, prefix


def _is_admin_model_route(name):
    for label, prefix in _admin_model_names():
        for suffix in ("changelist", "add", *ADMIN_OBJECT_VIEWS):
            if name == f"{prefix}_{suffix}":
                return label, suffix
    return None


def enumerated_routes():
    """Every named route of the portal, except those excluded above."""
    names = set()
    for name, pattern in _walk(get_resolver()):
        module = getattr(pattern.callback, "__module__", "") or ""
        if module.startswith(EXCLUDED_MODULES) or name in EXCLUDED_NAMES:
            continue
        if name is None:
            # Only the admin's "<id>/" redirect to the change page and its catch-all (a 404 or
            # the login page) have no name; anything else must get one.
            assert str(pattern.pattern) in ("<path:object_id>/", "(?P<url>.*)$"), pattern
            continue
        names.add(name)
    return names


def test_every_route_has_an_entry():
    missing = []
    for name in sorted(enumerated_routes()):
        if name in HTTP_ROUTES:
            continue
        model_route = _is_admin_model_route(name)
        if model_route is None:
            missing.append(name)
        elif model_route[0] not in ADMIN_MODELS:
            missing.append(f"{name} (admin model {model_route[0]})")
    assert not missing, f"Routes without an entry in the access matrix: {missing}"
    stale = set(HTTP_ROUTES) - enumerated_routes()
    assert not stale, f"Entries for routes that no longer exist: {sorted(stale)}"


def test_every_websocket_route_has_an_entry():
    routes = {str(pattern.pattern) for pattern in websocket_urlpatterns}
    assert routes == set(WS_ROUTES), (
        f"Websocket routes without an entry: {sorted(routes - set(WS_ROUTES))}; "
        f"stale entries: {sorted(set(WS_ROUTES) - routes)}"
    )


# Trying the routes --------------------------------------------------------------------------


def _client(world, actor):
    from django.test import Client

    world.set_referent_absent(actor == BACKUP_ABSENT)
    client = Client()
    user = user_of(world, actor)
    if user is not None:
        client.force_login(user)
    return client


def _request(client, method, url):
    if method == "post":
        return client.post(url, {})
    return client.get(url)


def _is_login_redirect(response, *, admin_route=False):
    if response.status_code != 302:
        return False
    location = response["Location"]
    if admin_route:
        return location.startswith(reverse("admin:login"))
    return location.startswith(settings.LOGIN_URL) or location.startswith(reverse("account_login"))


def _content(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _assert_no_marker(body, where):
    assert MARK_EMAIL not in body, f"{where}: seeker A's email leaked"
    assert MARK_NAME not in body, f"{where}: seeker A's name leaked"


def _url(name, route, world):
    kwargs = route.kwargs(world) if route.kwargs else {}
    url = reverse(name, kwargs=kwargs)
    if route.query:
        values = {"SEEKER_A": world.seeker_a.pk}
        url += "?" + "&".join(f"{k}={values.get(v, v)}" for k, v in route.query.items())
    return url


def _check_denied(response, actor, where, *, admin_route=False):
    if actor == ANON:
        assert _is_login_redirect(response, admin_route=admin_route), (
            f"{where}: anonymous got {response.status_code}, not the login redirect"
        )
    elif admin_route and actor not in MANAGERS:
        # Seekers and advisors never enter the admin: they get its login page, as strangers.
        assert _is_login_redirect(response, admin_route=True), (
            f"{where}: got {response.status_code}"
        )
    else:
        assert response.status_code == 404, f"{where}: got {response.status_code}, not a 404"


def _check_allowed(response, actor, route, where):
    if route.method == "post":
        assert response.status_code in (200, 302, 400), f"{where}: got {response.status_code}"
    else:
        assert response.status_code in (200, 302), f"{where}: got {response.status_code}"
    if response.status_code == 302:
        assert not _is_login_redirect(response), f"{where}: sent to the login page"


@pytest.mark.parametrize("name", sorted(HTTP_ROUTES))
def test_route(name, world):
    route = HTTP_ROUTES[name]
    admin_route = name.startswith("admin:")
    for actor in ACTORS:
        client = _client(world, actor)
        url = _url(name, route, world)
        where = f"{name} {route.method.upper()} {url} as {actor}"
        response = _request(client, route.method, url)
        body = _content(response)
        if actor in route.allowed:
            _check_allowed(response, actor, route, where)
        else:
            _check_denied(response, actor, where, admin_route=admin_route)
        if actor not in A_CIRCLE:
            _assert_no_marker(body, where)
        if route.kwargs and actor != ANON and not admin_route:
            # What does not exist looks the same as what is not yours.
            missing = {
                key: MISSING if isinstance(value, int) else "nexistepas"
                for key, value in route.kwargs(world).items()
            }
            ghost = _request(client, route.method, reverse(name, kwargs=missing))
            assert ghost.status_code == 404, f"{where}: a missing object gave {ghost.status_code}"


# The admin's model pages --------------------------------------------------------------------


def _admin_cases():
    for label, (getter, _manager_works) in sorted(ADMIN_MODELS.items()):
        yield pytest.param(label, "changelist", id=f"{label}-changelist")
        if getter is not None:
            for view in ADMIN_OBJECT_VIEWS:
                yield pytest.param(label, view, id=f"{label}-{view}")


def _admin_name(label, view):
    app_label, model_name = label.split(".")
    return f"admin:{app_label}_{model_name}_{view}"


@pytest.mark.parametrize(("label", "view"), list(_admin_cases()))
def test_admin_model_route(label, view, world):
    getter, manager_works = ADMIN_MODELS[label]
    name = _admin_name(label, view)
    obj = getter(world) if getter else None
    url = reverse(name, args=[obj.pk]) if view != "changelist" else reverse(name)
    for actor in ACTORS:
        client = _client(world, actor)
        where = f"{name} {url} as {actor}"
        response = client.get(url)
        body = _content(response)
        if actor not in MANAGERS:
            _check_denied(response, actor, where, admin_route=True)
            _assert_no_marker(body, where)
            continue
        if view == "changelist":
            expected = 200 if manager_works else 403
            assert response.status_code == expected, f"{where}: got {response.status_code}"
        else:
            ghost = client.get(reverse(name, args=[MISSING]))
            if actor == MANAGER_OTHER or not manager_works:
                # Another agency's object is answered exactly like one that does not exist.
                assert response.status_code == ghost.status_code, (
                    f"{where}: {response.status_code}, a missing object gives {ghost.status_code}"
                )
                if response.status_code == 302:
                    assert response["Location"] == ghost["Location"].replace(
                        str(MISSING), str(obj.pk)
                    ) or response["Location"] == reverse("admin:index"), where
            elif view != "delete":
                assert response.status_code == 200, f"{where}: got {response.status_code}"
        if actor == MANAGER_OTHER:
            _assert_no_marker(body, where)


# Websocket routes -------------------------------------------------------------------------

WS_ROUTES = {
    "ws/equipement/test/": (LOGGED_IN, lambda w: "/ws/equipement/test/"),
    "ws/chat/<int:conversation_id>/": (
        A_AND_FOLLOWERS,
        lambda w: f"/ws/chat/{w.conversation_a.pk}/",
    ),
    "ws/interviews/<int:appointment_id>/": (
        {SEEKER_A, ADVISOR_A},
        lambda w: f"/ws/interviews/{w.appointment_a.pk}/",
    ),
    "ws/ateliers/sessions/<int:session_id>/": (
        {SEEKER_A, ADVISOR_A},
        lambda w: f"/ws/ateliers/sessions/{w.live_a.pk}/",
    ),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(WS_ROUTES))
async def test_websocket_route(route, world, sockets):
    allowed, path_of = WS_ROUTES[route]
    path = path_of(world)
    for actor in ACTORS:
        await sync_to_async(world.set_referent_absent)(actor == BACKUP_ABSENT)
        user = user_of(world, actor)
        cookie = await sync_to_async(session_cookie)(user) if user is not None else None
        socket, connected, _code = await sockets(path, cookie)
        where = f"{path} as {actor}"
        if actor in allowed:
            assert connected, f"{where}: refused"
        else:
            assert not connected, f"{where}: accepted"
            # Refused before accept: nothing at all was sent.
            assert await socket.receive_nothing(timeout=0.05), where
        await socket.disconnect()
