"""`make run`'s embedded default (SQLite, in-memory channel layer) with the demo data: every page
that the seeker, an advisor and the manager can reach by following links answers without a
server error. PostgreSQL-only code paths (one-statement writes, percentiles) must have their
portable twin: the whole suite otherwise runs on PostgreSQL and would not notice."""

import json
import textwrap

from tests.embedded import run_embedded

SCRIPT = textwrap.dedent(
    """
    import json, re, sys
    import django
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", seekers=24, verbosity=0)
    from accounts.models import User
    from accounts.second_factor import SESSION_KEY

    SKIP = ("/accounts/logout", "/accounts/", "/static/", "/media/", "/i18n/", "/ws/")
    LINK = re.compile(r'(?:href|action)="(/[^"#]*)"')
    report = {}
    for email in ("demandeur0001@demo.test", "conseiller01@demo.test", "manager@demo.test"):
        user = User.objects.get(email=email)
        client = Client(raise_request_exception=False)
        client.force_login(user)
        session = client.session
        session[SESSION_KEY] = str(user.pk)
        session.save()
        seen, queue, errors, shapes = set(), ["/"], [], {}
        while queue and len(seen) < 250:
            path = queue.pop(0)
            if path in seen or path.startswith(SKIP) or "logout" in path:
                continue
            # Two pages of each shape (/entretiens/N/...) are enough: room for the others.
            shape = re.sub(r"[0-9]+", "N", path.split("?")[0])
            if shapes.get(shape, 0) >= 2:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            seen.add(path)
            response = client.get(path, follow=False)
            if response.status_code >= 500:
                errors.append([path, response.status_code])
                continue
            if response.status_code in (301, 302) and response["Location"].startswith("/"):
                queue.append(response["Location"])
                continue
            if "html" in response.get("Content-Type", ""):
                for link in LINK.findall(response.content.decode()):
                    link = link.replace("&amp;", "&")
                    if link not in seen:
                        queue.append(link)
        report[email] = {"pages": len(seen), "errors": errors}
    print(json.dumps(report))
    """
)


def test_demo_pages_answer_on_the_embedded_default(tmp_path):
    stdout = run_embedded(SCRIPT, tmp_path, timeout=300)
    report = json.loads(stdout.strip().splitlines()[-1])
    for email, seen in report.items():
        assert seen["errors"] == [], (email, seen["errors"])
        assert seen["pages"] >= 5, (email, seen)
