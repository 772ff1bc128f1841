"""Small tools the benchmark measures with."""

import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-only-secret-key-" + "x" * 40
ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_HTTPS": "0",
    "DJANGO_SECRET_KEY": SECRET,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
}


def in_turn(*fns, runs):
    """The median seconds of each of `fns` over `runs` runs, run in turn (in alternating
    order): on a shared host the machine's speed drifts by a fifth within seconds, and in turn
    an app's figure and its limit meet the same drift."""
    times: list[list[float]] = [[] for _ in fns]
    for run in range(runs):
        order = list(enumerate(fns))
        for index, fn in order if run % 2 else order[::-1]:
            started = time.perf_counter()
            fn()
            times[index].append(time.perf_counter() - started)
    return [statistics.median(t) for t in times]


def raw(sql, params):
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


# The limits read one zone's raw rows, as the app's pages do.
RAW_QUARTER = """
SELECT organization_id, SUM(points) FROM scoring_pointentry
WHERE year = %s AND month IN (%s, %s, %s) AND points IS NOT NULL
  AND organization_id IN (SELECT id FROM orgs_organization WHERE zone_id = %s)
GROUP BY organization_id
"""
RAW_YEAR = """
SELECT organization_id,
       SUM(points) FILTER (WHERE month <= 3), SUM(points) FILTER (WHERE month BETWEEN 4 AND 6),
       SUM(points) FILTER (WHERE month BETWEEN 7 AND 9), SUM(points) FILTER (WHERE month >= 10),
       SUM(points)
FROM scoring_pointentry WHERE year = %s AND points IS NOT NULL
  AND organization_id IN (SELECT id FROM orgs_organization WHERE zone_id = %s)
GROUP BY organization_id
"""
RAW_YEAR_OF_ZONE_PARTITION = """
SELECT organization_id,
       SUM(points) FILTER (WHERE month <= 3), SUM(points) FILTER (WHERE month BETWEEN 4 AND 6),
       SUM(points) FILTER (WHERE month BETWEEN 7 AND 9), SUM(points) FILTER (WHERE month >= 10),
       SUM(points)
FROM bench_points_by_zone WHERE year = %s AND points IS NOT NULL AND zone_id = %s
GROUP BY organization_id
"""


def in_subprocess(module, *args, url):
    """Run `python -m module args` on the database at `url`, its progress shown as it goes;
    return its last line of output, parsed as JSON."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=ROOT,
        env={**os.environ, **ENVIRONMENT, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    last = ""
    for line in process.stdout:
        if last:
            print(last, end="", flush=True)
        last = line
    if process.wait() != 0:
        raise SystemExit(f"python -m {module} failed on {url}")
    return json.loads(last)


def export_in_subprocess(kind, zone_code, year, url):
    """Run one export of the zone's year in a fresh process: (seconds, peak RSS in MB) as it
    reports them."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.export", kind, zone_code, str(year)],
        cwd=ROOT,
        env={**os.environ, **ENVIRONMENT, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, megabytes = result.stdout.split()[-2:]
    return float(seconds), float(megabytes)


def session_cookie(user, **data):
    """A signed-in session of `user` (with `data` stored in it) as a Cookie header value."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        load_backend,
    )
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.update(data)
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def answers_200(url, cookie):
    """Whether `url` answers 200 itself: wrk counts a redirect to the login page as a success."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(request, timeout=10).status == 200
    except urllib.error.HTTPError:
        return False


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wrk(url, cookie, seconds):
    """(requests/s, p99 ms, non-2xx count) from wrk with 2 threads and 8 connections."""
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate_found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99_found = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    assert rate_found and p99_found, f"wrk printed no figures: {output}"
    rate = float(rate_found.group(1))
    value, unit = p99_found.groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, p99, int(errors.group(1)) if errors else 0


def serve(url, port):
    env = {**os.environ, **ENVIRONMENT, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "bench.wsgi:application",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            "--access-logfile=/dev/null",
            "--error-logfile=/tmp/partybuild-bench-gunicorn.log",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/minimal/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not start; see /tmp/partybuild-bench-gunicorn.log")


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return f"{platform.node()} · {cpu} · {os.cpu_count()} cores · {memory:.0f} GiB · {platform.platform()}"
