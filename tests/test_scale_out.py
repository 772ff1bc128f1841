"""Two app instances on different ports against one database: a session started on one is
valid on the other, and a login lockout set on one holds on the other."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "scale-out-password-1"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def database_url(tmp_path):
    """A database of its own, on the same kind of server the suite runs on."""
    config = settings.DATABASES["default"]
    if config["ENGINE"] != "django.db.backends.postgresql":
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    import psycopg2

    name = f"partybuild_scaleout_{uuid.uuid4().hex[:8]}"
    server = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"],
        host=config["HOST"],
        port=config["PORT"] or 5432,
    )
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    yield f"postgres://{auth}@{config['HOST']}:{config['PORT'] or 5432}/{name}"
    with server.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    server.close()


@pytest.fixture
def instances(database_url):
    # Production settings, as a deployment runs them: one secret key shared by the instances,
    # hashed static files; only HTTPS is off, for plain HTTP on loopback.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_SECRET_KEY": f"scale-out-{uuid.uuid4().hex}-{uuid.uuid4().hex}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from orgs.models import User, Role, Zone; "
            "zone = Zone.objects.create(code='Z1', name='一区'); "
            "u = User(username='staff', role=Role.STAFF, zone=zone); "
            f"u.set_password('{PASSWORD}'); u.save()",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "partybuild.wsgi:application",
                "--workers=1",
                f"--bind=127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in bases:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/accounts/login/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail(f"gunicorn on {base} did not start")
        yield bases
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


class Browser:
    """Cookies shared across both instances, as one user's browser behind a load balancer."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def get(self, url):
        return self._open(urllib.request.Request(url))

    def login(self, base, username, password):
        page = self.get(f"{base}/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page[1]).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password}
        ).encode()
        return self._open(urllib.request.Request(f"{base}/accounts/login/", data=data))

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_session_started_on_one_instance_is_valid_on_the_other(instances):
    first, second = instances
    browser = Browser()
    status, _ = browser.login(first, "staff", PASSWORD)
    assert status == 302
    status, page = browser.get(f"{second}/orgs/")
    assert status == 200 and "党组织" in page
    assert Browser().get(f"{second}/orgs/")[0] == 302  # a stranger still goes to the login page


def test_a_lockout_on_one_instance_holds_on_the_other(instances):
    first, second = instances
    attacker = Browser()
    for _ in range(5):
        status, page = attacker.login(first, "staff", "wrong-password")
    status, page = Browser().login(second, "staff", PASSWORD)
    assert status == 429
    assert "登录已暂时锁定" in page
