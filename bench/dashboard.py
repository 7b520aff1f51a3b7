"""Benchmark of the advisor dashboard and the managers' figures (issue 6 "Speed", issue 8 item 5).

Two databases, each migrated and filled by set-based SQL (generate_series), deterministic:
- agency: 1 agency, 11 advisors, 1,500 seekers;
- national: 1,000,000 seekers, 5,000 advisors in 500 agencies, one of which (agency 1) is a large
  agency of 100,000 seekers followed by 500 advisors.
In both, the measured advisor follows exactly 250 seekers; every conversation holds messages
(some unread, some awaiting an answer), half the seekers had an interview (held, absent or
technical failure), a quarter have one coming, half did an equipment check.

The dashboard (/conseiller/) is timed through Django's test Client in-process (middleware, session,
view, template), the same way on both databases, p50/p99 over many requests; the two databases
take turns (four rounds), so that the machine's drift does not fall on one of them. The anchor,
in the same run and on the same database: the same rows fetched by one raw SQL query and
rendered by a bare template. Targets: the dashboard within 3x of that floor; national p50
within 1.5x of agency. The figures page (/admin/pilotage/chiffres/) of the 100,000-seeker
agency must answer in under a second (its anchor is that second).

The national database is built once (several minutes) and reused while its parameters match
(VERSION and the sizes); migrations that landed since are applied to it.

    python -m bench.dashboard           # full run
    python -m bench.dashboard --quick   # small sizes, asserts correctness only
    python -m bench.dashboard --profile # also profiles the dashboard view (pyinstrument)
"""

# ruff: noqa: S608 - the SQL is built from this module's own integers, never from input

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from bench.common import ROOT, Figure, Report, median, migrated_database, percentile

PG = "postgres://postgres@127.0.0.1:5432"
MEASURED = 250  # seekers of the measured advisor

AGENCY = {"agencies": 1, "advisors": 11, "seekers": 1_500, "big": 0, "messages": 6}
NATIONAL = {"agencies": 500, "advisors": 5_000, "seekers": 1_000_000, "big": 500, "messages": 3}
QUICK_AGENCY = {"agencies": 1, "advisors": 11, "seekers": 600, "big": 0, "messages": 4}
QUICK_NATIONAL = {"agencies": 20, "advisors": 200, "seekers": 20_000, "big": 20, "messages": 2}
ROUNDS = 4  # turns taken by the agency and national measurements
VERSION = "3"  # bump when the generator changes: the cached national database is rebuilt


def env_for(database: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.chat_settings",
        "DATABASE_URL": f"{PG}/{database}",
        "PYTHONPATH": str(ROOT),
    }


# --- The data ----------------------------------------------------------------------------------


def signature(size: dict) -> str:
    return VERSION + ":" + ",".join(f"{k}={v}" for k, v in sorted(size.items()))


def existing_signature(database: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(f"{PG}/{database}", autocommit=True) as connection:
            row = connection.execute("SELECT signature FROM bench_signature").fetchone()
            return row[0] if row else None
    except psycopg.Error:
        return None


def build(database: str, size: dict, *, reuse: bool) -> float:
    """Creates, migrates and fills `database`; returns the seconds it took (0 when reused)."""
    import psycopg

    if reuse and existing_signature(database) == signature(size):
        # Migrations that landed since (an index, say) apply to the kept rows: minutes saved.
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env_for(database),
            check=True,
        )
        return 0.0
    started = time.monotonic()
    migrated_database(database, env_for(database))
    with psycopg.connect(f"{PG}/{database}", autocommit=True) as connection:
        connection.execute("SET synchronous_commit = off")
        connection.execute("SET maintenance_work_mem = '256MB'")
        for statement in fill_sql(size):
            connection.execute(statement)
        connection.execute("VACUUM ANALYZE")
        connection.execute("CREATE TABLE bench_signature (signature text)")
        connection.execute("INSERT INTO bench_signature VALUES (%s)", [signature(size)])
    return time.monotonic() - started


def fill_sql(size: dict) -> list[str]:
    """Set-based SQL filling a migrated database. Ids are explicit (1-based index + 1):
    advisors' users 1..A, seekers' users A+1..A+N, the manager A+N+1; seeker i's conversation
    is i+1. The measured advisor is advisor index m: the first of the ordinary agencies."""
    g, a, n, big, k = (size[key] for key in ("agencies", "advisors", "seekers", "big", "messages"))
    m = big  # index of the measured advisor: the first one outside the big agency
    # Agency index of advisor index `x` (a SQL expression).
    if big:
        agency_of = f"(CASE WHEN {{x}} < {big} THEN 0 ELSE 1 + ({{x}} - {big}) % {g - 1} END)"
    else:
        agency_of = f"({{x}} % {g})"
    # Advisor index of seeker index i: the first 250 go to the measured advisor, the rest round
    # robin over the others; rank is the seeker's position in their advisor's caseload.
    others = f"((i - {MEASURED}) % {a - 1})"
    advisor_of = f"(CASE WHEN i < {MEASURED} THEN {m} ELSE {others} + ({others} >= {m})::int END)"
    rank_of = f"(CASE WHEN i < {MEASURED} THEN i ELSE (i - {MEASURED}) / {a - 1} END)"
    password = "md5$bench$0123456789abcdef0123456789abcdef"  # noqa: S105 - nobody logs in
    names = (
        "(ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Richard','Petit','Durand',"
        "'Leroy','Moreau','Simon','Laurent','Lefebvre','Michel','Garcia','David'])"
    )
    firsts = "(ARRAY['Camille','Léa','Hugo','Nina','Yanis','Inès','Lucas','Manon','Adam','Zoé'])"
    seeker_user = f"({a} + i + 1)"
    return [
        "INSERT INTO agencies_region (id, name) VALUES (1, 'Bench')",
        f"""INSERT INTO agencies_agency (id, name, code, response_target_minutes, region_id)
            SELECT x + 1, 'Agence ' || x, 'bench-' || x, 240, 1
            FROM generate_series(0, {g - 1}) x""",
        f"""INSERT INTO accounts_user (id, password, is_superuser, first_name, last_name, is_staff,
                is_active, date_joined, email, role, agency_id)
            SELECT x + 1, '{password}', false, 'Conseiller', 'N' || x, false, true, now(),
                'advisor' || x || '@bench.test', 'advisor', {agency_of.format(x="x")} + 1
            FROM generate_series(0, {a - 1}) x""",
        f"""INSERT INTO advisors_advisor (id, capacity, state, agency_id, backup_id, user_id)
            SELECT x + 1, 300, 'active', {agency_of.format(x="x")} + 1, NULL, x + 1
            FROM generate_series(0, {a - 1}) x""",
        f"""INSERT INTO accounts_user (id, password, is_superuser, first_name, last_name, is_staff,
                is_active, date_joined, email, role, agency_id)
            SELECT {seeker_user}, '{password}', false, {firsts}[1 + i % 10],
                {names}[1 + (i / 10) % 16] || '-' || i, false, true, now(),
                'seeker' || i || '@bench.test', 'seeker', NULL
            FROM generate_series(0, {n - 1}) i""",
        f"""INSERT INTO accounts_user (id, password, is_superuser, first_name, last_name, is_staff,
                is_active, date_joined, email, role, agency_id)
            VALUES ({a + n + 1}, '{password}', false, 'Responsable', 'Agence', true, true, now(),
                'manager@bench.test', 'manager', 1)""",
        f"""INSERT INTO seekers_seeker (id, status, enrolment_step, accessibility_need,
                accessibility_details, preferred_channel, age_band, phone,
                declared_device_with_webcam, declared_good_connection, consent_given_at,
                consent_version, enrolled_at, queued_since, returned_at, return_reason,
                return_comment, created_at, agency_id, referent_id, user_id)
            SELECT i + 1, 'followed_online', 'done',
                (ARRAY['none','none','none','none','none','none','none','deaf_signing',
                       'hard_of_hearing','other'])[1 + i % 10], '',
                (ARRAY['chat','video','email','phone'])[1 + i % 4],
                (ARRAY['under_25','25_49','25_49','50_plus'])[1 + i % 4], '',
                true, true, now() - interval '90 days', '1', now() - (i % 120) * interval '1 day',
                NULL, NULL, '', '', now() - interval '90 days',
                {agency_of.format(x=advisor_of)} + 1, {advisor_of} + 1, {seeker_user}
            FROM generate_series(0, {n - 1}) i""",
        # Messages alternate seeker / advisor, one a day, the last one {i % 50} hours ago.
        f"""INSERT INTO chat_conversation (id, last_seq, last_message_at, awaiting_since,
                created_at, seeker_id)
            SELECT i + 1, {k}, now() - (i % 50) * interval '1 hour',
                CASE WHEN ({k} - 1) % 2 = 0 AND i % 3 = 0
                     THEN now() - (i % 50) * interval '1 hour' END,
                now() - interval '90 days', i + 1
            FROM generate_series(0, {n - 1}) i""",
        f"""INSERT INTO chat_message (seq, client_id, author_role, body, sent_at, attachment,
                attachment_name, attachment_type, attachment_size, author_id, conversation_id)
            SELECT s, md5(i || ':' || s)::uuid,
                CASE WHEN (s - 1) % 2 = 0 AND NOT (s = {k} AND i % 3 <> 0) THEN 'seeker'
                     ELSE 'advisor' END,
                'Bonjour, j''ai mis à jour mon CV, pouvez-vous le relire ?',
                now() - (i % 50) * interval '1 hour' - ({k} - s) * interval '1 day',
                '', '', '', NULL,
                CASE WHEN (s - 1) % 2 = 0 AND NOT (s = {k} AND i % 3 <> 0) THEN {seeker_user}
                     ELSE {advisor_of} + 1 END,
                i + 1
            FROM generate_series(0, {n - 1}) i, generate_series(1, {k}) s""",
        # The waits the chat records when an advisor answers (messages alternate, so each wait
        # starts at the seeker message just before the answer).
        """INSERT INTO chat_responsewait (conversation_id, agency_id, started_at, answered_at)
            SELECT m.conversation_id, s.agency_id, m.previous_at, m.sent_at
            FROM (
                SELECT conversation_id, author_role, sent_at,
                    lag(author_role) OVER turn AS previous_role,
                    lag(sent_at) OVER turn AS previous_at
                FROM chat_message
                WINDOW turn AS (PARTITION BY conversation_id ORDER BY seq)
            ) m
            JOIN chat_conversation c ON c.id = m.conversation_id
            JOIN seekers_seeker s ON s.id = c.seeker_id
            WHERE m.author_role = 'advisor' AND m.previous_role = 'seeker'""",
        # The advisor has read up to some point: 1, 2 or 3 messages before the end.
        f"""INSERT INTO chat_readmark (last_read_seq, emailed_seq, updated_at, conversation_id,
                user_id)
            SELECT greatest(0, {k} - 1 - i % 3), 0, now(), i + 1, {advisor_of} + 1
            FROM generate_series(0, {n - 1}) i""",
        f"""INSERT INTO chat_readmark (last_read_seq, emailed_seq, updated_at, conversation_id,
                user_id)
            SELECT {k}, 0, now(), i + 1, {seeker_user}
            FROM generate_series(0, {n - 1}) i WHERE i % 2 = 0""",
        # Past interviews (every other seeker), three hours apart in each caseload: some recent.
        f"""INSERT INTO interviews_appointment (starts_at, ends_at, status, sequence, created_at,
                cancel_reason, fallback, advisor_notes, advisor_id, seeker_id, held_seconds)
            SELECT now() - interval '1 hour' - {rank_of} * interval '3 hours',
                now() - interval '30 minutes' - {rank_of} * interval '3 hours',
                (ARRAY['held','held','held','seeker_absent','technical_failure'])[1 + (i / 2) % 5],
                0, now() - interval '60 days', '', '', '', {advisor_of} + 1, i + 1, 1500
            FROM generate_series(0, {n - 1}) i WHERE i % 2 = 0""",
        f"""INSERT INTO interviews_appointment (starts_at, ends_at, status, sequence, created_at,
                cancel_reason, fallback, advisor_notes, advisor_id, seeker_id)
            SELECT date_trunc('hour', now()) + interval '1 day' + {rank_of} * interval '3 hours',
                date_trunc('hour', now()) + interval '1 day 30 minutes'
                    + {rank_of} * interval '3 hours',
                (ARRAY['proposed','confirmed'])[1 + (i / 4) % 2],
                0, now() - interval '2 days', '', '', '', {advisor_of} + 1, i + 1
            FROM generate_series(0, {n - 1}) i WHERE i % 4 = 1""",
        f"""INSERT INTO equipment_equipmentcheck (state, profile, verdict, reasons, measurements,
                user_agent, started_at, finished_at, seeker_id, user_id)
            SELECT 'completed', 'standard', (ARRAY['passed','warnings','failed'])[1 + (i / 2) % 3],
                '[]', '{{}}', 'bench', now() - (i % 60) * interval '1 day',
                now() - (i % 60) * interval '1 day' + interval '2 minutes', i + 1, {seeker_user}
            FROM generate_series(0, {n - 1}) i WHERE i % 2 = 1""",
        *(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
            for table in (
                "agencies_region",
                "agencies_agency",
                "accounts_user",
                "advisors_advisor",
                "seekers_seeker",
                "chat_conversation",
            )
        ),
    ]


# --- The measurements (in a child process, Django set up on one database) ----------------------

# The anchor: the same rows as caseload_query, in one raw SQL query.
RAW_SQL = """
SELECT s.id, u.first_name, u.last_name, s.status, s.accessibility_need, s.enrolled_at,
       ag.response_target_minutes, c.last_message_at, c.awaiting_since,
       coalesce((SELECT count(*) FROM chat_message m
                 WHERE m.conversation_id = c.id AND m.author_id <> %(user)s
                   AND m.seq > coalesce((SELECT r.last_read_seq FROM chat_readmark r
                                         WHERE r.conversation_id = c.id AND r.user_id = %(user)s),
                                        0)), 0) AS unread,
       (SELECT max(a.ends_at) FROM interviews_appointment a
         WHERE a.seeker_id = s.id AND a.status = 'held') AS last_held_at,
       nxt.id AS next_id, nxt.starts_at AS next_at,
       (SELECT e.verdict FROM equipment_equipmentcheck e
         WHERE e.seeker_id = s.id AND e.verdict <> '' ORDER BY e.started_at DESC LIMIT 1)
         AS last_verdict,
       EXISTS (SELECT 1 FROM interviews_appointment a WHERE a.seeker_id = s.id
               AND a.status = 'seeker_absent' AND a.starts_at >= %(since)s) AS recent_absence,
       EXISTS (SELECT 1 FROM interviews_appointment a WHERE a.seeker_id = s.id
               AND a.status = 'technical_failure' AND a.starts_at >= %(since)s) AS recent_failure
FROM seekers_seeker s
JOIN accounts_user u ON u.id = s.user_id
LEFT JOIN agencies_agency ag ON ag.id = s.agency_id
LEFT JOIN chat_conversation c ON c.seeker_id = s.id
LEFT JOIN LATERAL (SELECT a.id, a.starts_at FROM interviews_appointment a
                   WHERE a.seeker_id = s.id AND a.advisor_id = %(advisor)s
                     AND a.ends_at > %(now)s AND a.status IN ('proposed', 'confirmed')
                   ORDER BY a.starts_at LIMIT 1) nxt ON true
WHERE s.referent_id = %(advisor)s
ORDER BY u.last_name, u.first_name
"""

BARE_TEMPLATE = """<table>{% for r in rows %}<tr><th>{{ r.1 }} {{ r.2 }}</th><td>{{ r.3 }}</td>
<td>{{ r.7|default:"" }}</td><td>{{ r.12|default:"—" }}</td><td>{{ r.9 }}</td>
<td>{{ r.8|default:"—" }}</td><td>{{ r.13 }} {{ r.14 }} {{ r.15 }}</td></tr>{% endfor %}</table>"""


def measure(database: str, requests: int, figures_requests: int, profile: bool) -> dict:
    """Runs in a child process: Django set up on `database`."""
    os.environ.update(env_for(database))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import timedelta

    from django.db import connection
    from django.template import Context, Engine
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from advisors import dashboard
    from advisors.models import Advisor

    advisor = Advisor.objects.select_related("user").get(pk=_measured_advisor_pk())
    _second_factor(advisor.user)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(advisor.user)

    def dashboard_once() -> float:
        started = time.perf_counter()
        response = client.get("/conseiller/")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        return elapsed

    engine = Engine()
    bare = engine.from_string(BARE_TEMPLATE)

    def anchor_once() -> tuple[float, list]:
        started = time.perf_counter()
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                RAW_SQL,
                {
                    "user": advisor.user_id,
                    "advisor": advisor.pk,
                    "now": now,
                    "since": now - timedelta(days=dashboard.RECENT_TROUBLE_DAYS),
                },
            )
            rows = cursor.fetchall()
        bare.render(Context({"rows": rows}))
        return time.perf_counter() - started, rows

    # Correctness: the page lists the 250 seekers; the raw rows equal the dashboard's rows.
    response = client.get("/conseiller/")
    body = response.content.decode()
    shown = body.count("data-seeker=")
    orm = {r.seeker.pk: r for r in dashboard.caseload_rows(advisor)}
    _, raw = anchor_once()
    same = len(raw) == len(orm) and all(
        orm[r[0]].unread == r[9]
        and orm[r[0]].next_appointment_id == r[11]
        and orm[r[0]].seeker.last_verdict == (r[13] or None)
        and orm[r[0]].seeker.recent_absence == r[14]
        and orm[r[0]].seeker.recent_failure == r[15]
        and orm[r[0]].seeker.last_held_at == r[10]
        for r in raw
    )
    checks = {
        "rows shown": shown,
        "raw rows": len(raw),
        "raw rows equal the dashboard's": same,
        "unread total": sum(r.unread for r in orm.values()),
        "rows with alerts": sum(1 for r in orm.values() if r.alerts),
        "rows with a next interview": sum(1 for r in orm.values() if r.next_appointment_id),
    }
    from django.db import reset_queries
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get("/conseiller/")
    checks["SQL queries of the page"] = len(captured.captured_queries)
    reset_queries()

    for _ in range(5):  # warm: template loading, translations, plans
        dashboard_once()
        anchor_once()
    import gc

    gc.freeze()  # as the served process does once started (portal/asgi.py)
    page, floor = [], []
    for _ in range(requests):  # interleaved, so that the machine's noise falls on both
        page.append(dashboard_once())
        floor.append(anchor_once()[0])
    result = {"page": page, "floor": floor, "checks": checks}

    if figures_requests:
        manager = User.objects.get(email="manager@bench.test")
        _second_factor(manager)
        staff = Client(HTTP_HOST="127.0.0.1")
        staff.force_login(manager)
        first = staff.get("/admin/pilotage/chiffres/")
        assert first.status_code == 200, first.status_code
        checks["figures page tables"] = first.content.decode().count("<table")
        checks["manager's agency seekers"] = manager.agency.seekers.count()
        times = []
        for _ in range(figures_requests):
            started = time.perf_counter()
            assert staff.get("/admin/pilotage/chiffres/").status_code == 200
            times.append(time.perf_counter() - started)
        result["figures"] = times

    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(20):
            dashboard_once()
        profiler.stop()
        result["profile"] = profiler.output_text(unicode=False, color=False, show_all=False)
    return result


def _second_factor(user) -> None:
    """Staff reach their pages only with an authenticator (accounts.second_factor): the measured
    people have one, as in production; the session remembers it from the login on."""
    from allauth.mfa.models import Authenticator

    Authenticator.objects.get_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "bench"}}
    )


def _measured_advisor_pk() -> int:
    from django.db.models import Count

    from advisors.models import Advisor

    return (
        Advisor.objects.annotate(n=Count("caseload"))
        .filter(n=MEASURED)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def run_child(database: str, requests: int, figures_requests: int, profile: bool) -> dict:
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "result.json")
        command = [sys.executable, "-m", "bench.dashboard", "--child", database, "--out", out]
        command += ["--requests", str(requests), "--figures-requests", str(figures_requests)]
        subprocess.run(command + (["--profile"] if profile else []), cwd=ROOT, check=True)
        with open(out) as handle:
            return json.load(handle)


# --- The orchestration -------------------------------------------------------------------------


def main(args) -> Report:
    report = Report("dashboard", args.quick)
    agency_size, national_size = (
        (QUICK_AGENCY, QUICK_NATIONAL) if args.quick else (AGENCY, NATIONAL)
    )
    suffix = "_quick" if args.quick else ""
    agency_db, national_db = f"bench_dashboard{suffix}", f"bench_dashboard_national{suffix}"
    built = build(agency_db, agency_size, reuse=False)
    print(f"[dashboard] agency database built in {built:.1f} s", flush=True)
    built = build(national_db, national_size, reuse=not args.rebuild)
    print(f"[dashboard] national database built in {built:.1f} s (0 = reused)", flush=True)
    report.check("national database build seconds", round(built, 1))
    report.check("load average before", os.getloadavg())

    requests = 15 if args.quick else args.requests
    # The two databases take turns, a quarter of the requests at a time, so that the shared
    # machine's drift falls on both sides of the national / agency ratio.
    rounds = 1 if args.quick else ROUNDS
    agency, national = {}, {}
    for turn in range(rounds):
        last = turn == rounds - 1
        for result, database, figures, profile in (
            (agency, agency_db, 0, False),
            (
                national,
                national_db,
                (3 if args.quick else 20) if last else 0,
                args.profile and last,
            ),
        ):
            part = run_child(database, max(1, requests // rounds), figures, profile)
            result.setdefault("checks", part["checks"])
            result["page"] = result.get("page", []) + part["page"]
            result["floor"] = result.get("floor", []) + part["floor"]
            for key in ("figures", "profile"):
                if key in part:
                    result[key] = part[key]
                    result["checks"].update(part["checks"])
    report.check("load average after", os.getloadavg())

    results = {}
    for label, result in (("agency", agency), ("national", national)):
        page = [v * 1000 for v in result["page"]]
        floor = [v * 1000 for v in result["floor"]]
        p50, p99, f50, f99 = (
            median(page),
            percentile(page, 99),
            median(floor),
            percentile(floor, 99),
        )
        results[label] = (p50, p99)
        size = agency_size if label == "agency" else national_size
        tag = f"[{label}: {size['seekers']:,} seekers, {MEASURED} in the caseload]"
        report.add(
            Figure(f"dashboard p50 {tag}", p50, "ms", f50, "raw SQL + bare template p50", 3.0)
        )
        report.add(
            Figure(f"dashboard p99 {tag}", p99, "ms", f99, "raw SQL + bare template p99", 3.0)
        )
        for name, value in result["checks"].items():
            report.check(f"{name} [{label}]", value)
        if not args.quick:
            continue
        assert result["checks"]["rows shown"] == MEASURED, result["checks"]
        assert result["checks"]["raw rows"] == MEASURED, result["checks"]
        assert result["checks"]["raw rows equal the dashboard's"], result["checks"]
        assert result["checks"]["rows with alerts"] > 0, result["checks"]
        assert result["checks"]["unread total"] > 0, result["checks"]
    queries = agency["checks"]["SQL queries of the page"]
    report.check(
        "same SQL queries at both sizes, at most 12",
        (queries == national["checks"]["SQL queries of the page"] and queries <= 12),
    )
    if args.quick:
        assert queries == national["checks"]["SQL queries of the page"] <= 12, queries
    report.add(
        Figure(
            "dashboard p50, national / agency",
            results["national"][0],
            "ms",
            results["agency"][0],
            "agency p50",
            1.5,
        )
    )
    figures = [v * 1000 for v in national["figures"]]
    seekers = national["checks"]["manager's agency seekers"]
    report.add(
        Figure(
            f"figures page p50 [agency of {seekers:,} seekers]",
            median(figures),
            "ms",
            1000.0,
            "one second",
            1.0,
        )
    )
    report.add(
        Figure(
            f"figures page max [agency of {seekers:,} seekers]",
            max(figures),
            "ms",
            1000.0,
            "one second",
            1.0,
        )
    )
    if national.get("profile"):
        print(national["profile"])
        (ROOT / "var" / "bench" / "dashboard-profile.txt").write_text(national["profile"])
    return report


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, to show it works")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per database")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the national database")
    parser.add_argument("--profile", action="store_true", help="profile the view (pyinstrument)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--figures-requests", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.child:
        import json

        outcome = measure(
            arguments.child, arguments.requests, arguments.figures_requests, arguments.profile
        )
        with open(arguments.out, "w") as handle:
            json.dump(outcome, handle)
        sys.exit(0)
    final = main(arguments)
    print("written:", final.write())
