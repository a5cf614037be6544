"""A real TOM Toolkit site on 127.0.0.1 for the sharing tests.

:func:`running_tomtoolkit` makes a site in a folder with TOM Toolkit's own bundled settings
(``tom_base.settings``; only the database, media folder and allowed hosts are moved there, and
its tables are made straight from its models, which takes seconds instead of the minute its
migrations take on a busy machine), creates a user with a password and an API token, starts
``manage.py runserver 127.0.0.1:<free port> --noreload`` from the Python that has TOM Toolkit
(``TOMTOOLKIT_PYTHON``, else this Python), waits until it answers, and stops
it afterwards. When TOM Toolkit cannot be started the test is skipped with the reason, unless
``TOMTOOLKIT_REQUIRED`` is set (the test command's interop part), where it fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

USERNAME = "sharer"
PASSWORD = "a-long-password-for-tests"
START_SECONDS = 60.0

SETTINGS = """\
import os
from tom_base.settings import *  # noqa: F403 -- TOM Toolkit's own settings

HERE = os.path.dirname(os.path.abspath(__file__))
DATABASES["default"]["NAME"] = os.path.join(HERE, "tom.sqlite3")  # noqa: F405
MEDIA_ROOT = os.path.join(HERE, "media")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DEBUG = False


class _TablesFromModels(dict):
    def __contains__(self, app):
        return True

    def __getitem__(self, app):
        return None


MIGRATION_MODULES = _TablesFromModels()
"""

SETUP = f"""\
import os
os.environ["DJANGO_SETTINGS_MODULE"] = "tomsite_settings"
import django
django.setup()
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.authtoken.models import Token
call_command("migrate", run_syncdb=True, verbosity=0)
user = User.objects.create_user({USERNAME!r}, password={PASSWORD!r})
print("TOKEN", Token.objects.get_or_create(user=user)[0].key)
"""


@dataclass(frozen=True)
class TomToolkitSite:
    base_url: str
    token: str
    username: str = USERNAME
    password: str = PASSWORD


def tomtoolkit_python() -> str:
    """The Python with TOM Toolkit: ``TOMTOOLKIT_PYTHON`` (the test command sets it), else this one."""
    given = os.environ.get("TOMTOOLKIT_PYTHON")
    # The server runs in a folder of its own: a path relative to where the tests started must
    # be made absolute here (the test command passes .venv-tomtoolkit/bin/python).
    if not given:
        return sys.executable
    return str(Path(given).absolute()) if os.sep in given else given  # a bare name is found on PATH


def cannot_start(why: str) -> None:
    """Skip loudly, or fail when a real TOM Toolkit is required."""
    message = f"TOM Toolkit could not be started: {why}"
    if os.environ.get("TOMTOOLKIT_REQUIRED"):
        pytest.fail(message)
    print(f"\n*** {message}; the TOM Toolkit sharing tests are SKIPPED ***")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(folder: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TOM_TUI_")}
    environment.update({"PYTHONPATH": str(folder), "DJANGO_SETTINGS_MODULE": "tomsite_settings"})
    return environment


def _make_site(python: str, folder: Path) -> str:
    (folder / "tomsite_settings.py").write_text(SETTINGS)
    (folder / "setup_site.py").write_text(SETUP)
    made = subprocess.run(
        [python, str(folder / "setup_site.py")],
        capture_output=True,
        text=True,
        env=_environment(folder),
        cwd=folder,
        timeout=180,
        check=False,
    )
    tokens = [line.split()[1] for line in made.stdout.splitlines() if line.startswith("TOKEN ")]
    if made.returncode != 0 or not tokens:
        cannot_start(f"making the site failed: {made.stderr.strip()[-400:]}")
    return tokens[0]


def _wait_until_up(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            cannot_start(f"runserver ended: {log.read_text()[-400:]}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    cannot_start(f"runserver did not answer within {START_SECONDS:g} s")


@contextmanager
def running_tomtoolkit(folder: Path) -> Iterator[TomToolkitSite]:
    python = tomtoolkit_python()
    found = subprocess.run([python, "-c", "import tom_targets"], capture_output=True, check=False)
    if found.returncode != 0:
        cannot_start(f"{python} cannot import TOM Toolkit (set TOMTOOLKIT_PYTHON to a Python that has it)")
    token = _make_site(python, folder)
    port = _free_port()
    log = folder / "runserver.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [python, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=_environment(folder),
            cwd=folder,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_up(server, f"{base_url}/api/", log)
        yield TomToolkitSite(base_url, token)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
