"""A real Next.js 16 site for end-to-end tests: installed, built (cached), started, stopped.

``next_site`` (session scope) runs ``scripts/setup-e2e.sh`` (npm install, a no-op when
``node_modules`` is up to date), builds ``tests/e2e/next_site`` unless ``.next`` carries a stamp
with the hash of the current sources, copies the site's data file to a temp dir and starts
``next start`` on 127.0.0.1 with a free port in its own process group. The site never writes
to ``.next`` (``isrFlushToDisk: false``), so one build serves every session.

Tests change the data with :meth:`NextSite.edit_post` and watch a page with
:meth:`NextSite.page` / :meth:`NextSite.settle` / :meth:`NextSite.wait_for`.
The slug ``pages-router`` is never edited (tests may rely on its build-time content).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.sites import free_port

SITE_DIR = Path(__file__).parent / "next_site"
REPO_DIR = SITE_DIR.parents[2]
NEXT_BIN = SITE_DIR / "node_modules" / "next" / "dist" / "bin" / "next"
BUILD_STAMP = ".isr-desk-build-stamp"
# Everything the build output depends on (besides node_modules, covered by the lockfile).
SOURCES = ("app", "pages", "lib", "data", "package.json", "package-lock.json", "next.config.mjs",
           "tsconfig.json")  # fmt: skip
START_TIMEOUT = 60.0
BUILD_TIMEOUT = 300.0
UNTOUCHED_SLUG = "pages-router"

_TITLE = re.compile(r'id="title">([^<]*)<')
_BODY = re.compile(r'id="body">([^<]*)<')
_GENERATED = re.compile(r'id="generated-at">([^<]*)<')


@dataclass(frozen=True)
class Page:
    """One GET of a page: status, the ISR cache header, ETag and the rendered fields."""

    status: int
    cache: str | None
    etag: str | None
    title: str | None
    body: str | None
    generated_at: str | None
    text: str

    @classmethod
    def from_response(cls, response: httpx.Response) -> Page:
        def field(pattern: re.Pattern[str]) -> str | None:
            match = pattern.search(response.text)
            return html.unescape(match.group(1)) if match else None

        return cls(
            status=response.status_code,
            cache=response.headers.get("x-nextjs-cache"),
            etag=response.headers.get("etag"),
            title=field(_TITLE),
            body=field(_BODY),
            generated_at=field(_GENERATED),
            text=response.text,
        )


@dataclass
class NextSite:
    """A running ``next start`` of the test site."""

    url: str
    secret: str
    build_dir: Path
    data_file: Path
    log_file: Path
    client: httpx.Client

    def posts(self) -> list[dict[str, str]]:
        posts: list[dict[str, str]] = json.loads(self.data_file.read_text())["posts"]
        return posts

    def edit_post(self, slug: str, **fields: str) -> dict[str, str]:
        """Change a post in the data file (atomically); returns the post as now stored."""
        data = json.loads(self.data_file.read_text())
        (post,) = (item for item in data["posts"] if item["slug"] == slug)
        post.update(fields)
        self.write_data(json.dumps(data, indent=2))
        return dict(post)

    def write_data(self, text: str) -> None:
        tmp = self.data_file.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.data_file)

    @staticmethod
    def unique(label: str) -> str:
        """A title no earlier page showed, so a test knows its own edit when it sees it."""
        return f"{label} {uuid.uuid4().hex[:8]}"

    def page(self, path: str) -> Page:
        return Page.from_response(self.client.get(path))

    def revalidate(
        self, payload: Any, *, secret: str | None = None, bearer: bool = False
    ) -> httpx.Response:
        """POST the App Router route with the site's (or the given) secret."""
        token = self.secret if secret is None else secret
        if bearer:
            headers = {"Authorization": f"Bearer {token}"}
            return self.client.post("/api/revalidate", json=payload, headers=headers)
        return self.client.post("/api/revalidate", params={"secret": token}, json=payload)

    def wait_for(
        self, path: str, condition: Callable[[Page], bool], *, timeout: float = 30.0
    ) -> list[Page]:
        """GET ``path`` until ``condition`` holds (bounded); returns every page seen."""
        deadline = time.monotonic() + timeout
        seen: list[Page] = []
        while True:
            seen.append(self.page(path))
            if condition(seen[-1]):
                return seen
            if time.monotonic() > deadline:
                summary = [(p.status, p.cache, p.title) for p in seen[-5:]]
                pytest.fail(f"{path}: condition not met in {timeout}s; last pages: {summary}")
            time.sleep(0.05)  # a poll interval, not a wait for the condition

    def settle(self, path: str) -> Page:
        """The page once it is a fresh cache HIT (a STALE one from an earlier purge regenerates)."""
        return self.wait_for(path, lambda page: page.status == 200 and page.cache == "HIT")[-1]

    def server_output(self) -> str:
        return self.log_file.read_text(errors="replace")


def _sources_hash() -> str:
    digest = hashlib.sha256()
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    digest.update(node.stdout.encode())
    for name in SOURCES:
        root = SITE_DIR / name
        files = sorted(root.rglob("*")) if root.is_dir() else [root]
        for file in files:
            if file.is_file():
                digest.update(file.relative_to(SITE_DIR).as_posix().encode() + b"\0")
                digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def _run(cmd: list[str], *, cwd: Path, timeout: float, what: str) -> None:
    env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1"}
    try:
        done = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{what} took longer than {timeout:.0f}s:\n{exc.stdout}\n{exc.stderr}")
    if done.returncode != 0:
        output = f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        pytest.fail(f"{what} failed ({done.returncode}):\n{output}")


def _ensure_built() -> Path:
    """Install and build unless the stamp in ``.next`` matches the sources; returns ``.next``."""
    _run(["bash", "scripts/setup-e2e.sh"], cwd=REPO_DIR, timeout=BUILD_TIMEOUT, what="npm install")
    build_dir = SITE_DIR / ".next"
    lock_path = SITE_DIR / "node_modules" / ".isr-desk-build.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two pytest runs at once build only once
        wanted = _sources_hash()
        stamp = build_dir / BUILD_STAMP
        if (build_dir / "BUILD_ID").is_file() and stamp.is_file() and stamp.read_text() == wanted:
            return build_dir
        with contextlib.suppress(FileNotFoundError):
            stamp.unlink()
        build = ["node", str(NEXT_BIN), "build"]
        _run(build, cwd=SITE_DIR, timeout=BUILD_TIMEOUT, what="next build")
        stamp.write_text(wanted)
    return build_dir


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(trust_env=False, timeout=5.0) as probe:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"next start exited ({proc.returncode}):\n{log_file.read_text()}")
            try:
                if probe.get(url + "/").status_code < 500:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                output = log_file.read_text()
                pytest.fail(f"next start not ready in {START_TIMEOUT:.0f}s:\n{output}")
            time.sleep(0.1)  # poll interval while the server boots


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def next_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NextSite]:
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"`{tool}` is not installed: the Next.js end-to-end tests need Node 20+")
    build_dir = _ensure_built()
    workdir = tmp_path_factory.mktemp("next-site")
    data_file = workdir / "posts.json"
    shutil.copyfile(SITE_DIR / "data" / "posts.json", data_file)
    log_file = workdir / "next.log"
    secret = secrets.token_urlsafe(18)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "NEXT_TELEMETRY_DISABLED": "1",
        "REVALIDATE_SECRET": secret,
        "DATA_FILE": str(data_file),
    }
    cmd = ["node", str(NEXT_BIN), "start", "-H", "127.0.0.1", "-p", str(port)]
    with log_file.open("wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=SITE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_ready(url, proc, log_file)
        with httpx.Client(base_url=url, trust_env=False, timeout=30.0) as client:
            yield NextSite(url, secret, build_dir, data_file, log_file, client)
    finally:
        _stop(proc)
