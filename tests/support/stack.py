"""Senda as it runs in production, on loopback: gunicorn (its own database, Redis when given),
nginx in front of it with the shipped deploy/nginx/senda.conf, and an LMS simulator that signs
real RS256 id_tokens and drives a complete launch over HTTP (login POST → launch POST → her
first page). Used by `make bench` (tests/bench_launch.py), tests/integration/test_nginx.py and
`make load` / `make soak` (tests/load.py)."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import requests
from flask import Flask, jsonify
from requests.adapters import HTTPAdapter

from tests.support.keys import platform_key
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx" / "senda.conf"
WEB_UNIT = ROOT / "deploy" / "systemd" / "senda-web.service"
CLIENT_ID = "bench-client"
DEPLOYMENT = "bench-deployment"
TICKS = os.sysconf("SC_CLK_TCK")
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ENCRYPTION_KEY = "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktYmU="
KEY = platform_key("bench")


# ------------------------------------------------------------------------ server CPU and memory
def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def cpu_of(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS if fields else 0.0  # utime + stime


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@dataclass
class Clock:
    """CPU seconds of a gunicorn tree, of PostgreSQL's processes, of Redis and of an nginx tree
    (when given), per process: a process that exits between two readings (a closed database
    connection) is left out rather than counted as negative time."""

    master: int
    nginx: int | None = None

    KINDS = ("app", "postgres", "redis", "nginx")

    def snapshot(self) -> dict[tuple[str, int], float]:
        pids = [("app", self.master)] + [("app", p) for p in children(self.master)]
        pids += [("postgres", p) for p in named("postgres")]
        pids += [("redis", p) for p in named("redis-server")]
        if self.nginx:
            pids += [("nginx", self.nginx)] + [("nginx", p) for p in children(self.nginx)]
        return {(kind, pid): cpu_of(pid) for kind, pid in pids}

    def read(self) -> dict[str, float]:
        totals = dict.fromkeys(self.KINDS, 0.0)
        for (kind, _pid), seconds in self.snapshot().items():
            totals[kind] += seconds
        return totals

    @staticmethod
    def spent(
        before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]
    ) -> dict[str, float]:
        totals = dict.fromkeys(Clock.KINDS, 0.0)
        for key, seconds in after.items():
            totals[key[0]] += max(0.0, seconds - before.get(key, 0.0))
        return totals


# ------------------------------------------------------------------ the platform simulator
@contextmanager
def simulator(latency: float = 0.0) -> Iterator[str]:
    """The LMS: its key set (a peer tool fetches it; Senda holds it already), and, for a real
    browser, a course page that opens Senda in an iframe (`/course?tool=…&sub=…`) and the
    authorization step that signs her id_token and posts it to Senda. Load clients skip those
    two and sign the id_token themselves."""
    import logging
    from html import escape

    from flask import request
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per key-set fetch
    app = Flask("bench-lms")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"

    def autopost(action: str, fields: dict[str, str], target: str = "_self") -> str:
        inputs = "".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
            for k, v in fields.items()
        )
        return (
            f'<!doctype html><form method="post" action="{escape(action)}" target="{target}" '
            f'id="f">{inputs}</form><script>document.getElementById("f").submit()</script>'
        )

    @app.get("/jwks")
    def jwks() -> Any:
        if latency:
            time.sleep(latency)
        return jsonify(KEY.key_set())

    @app.get("/course")
    def course() -> str:
        tool = request.args["tool"]
        login = login_form(issuer, request.args["sub"], tool + "/lti/launch")
        return '<!doctype html><title>Curso</title><iframe name="tool" title="Senda" ' + (
            'width="360" height="700"></iframe>' + autopost(tool + "/lti/login", login, "tool")
        )

    @app.get("/auth")
    def auth() -> str:
        args = request.args
        token = id_token(issuer, args["login_hint"], args["nonce"], args["redirect_uri"])
        return autopost(args["redirect_uri"], {"id_token": token, "state": args["state"]})

    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()


def id_token(issuer: str, sub: str, nonce: str, target: str) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": CLIENT_ID,
        "sub": sub,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "name": f"Participante {sub}",
        "given_name": "Participante",
        "locale": "es-CL",
        LTI + "message_type": "LtiResourceLinkRequest",
        LTI + "version": "1.3.0",
        LTI + "deployment_id": DEPLOYMENT,
        LTI + "target_link_uri": target,
        LTI + "roles": [LEARNER],
        LTI + "resource_link": {"id": "bench-link", "title": "Senda"},
        LTI + "context": {"id": "bench-course", "title": "Cohorte bench", "label": "B"},
        LTI + "launch_presentation": {"return_url": issuer + "/course/1"},
    }
    return jwt.encode(claims, KEY.private, algorithm="RS256", headers={"kid": KEY.kid})


def login_form(issuer: str, sub: str, target: str) -> dict[str, str]:
    """What the LMS posts to a tool's OIDC login for her launch of `target`."""
    return {
        "iss": issuer,
        "login_hint": sub,
        "target_link_uri": target,
        "client_id": CLIENT_ID,
        "lti_deployment_id": DEPLOYMENT,
    }


def senda_launch(
    base: str, issuer: str, session: requests.Session, sub: str
) -> tuple[int, int, requests.Response]:
    """Login POST → id_token → launch POST → redirects → her first page, which must be a 200.
    (requests made, redirects after the launch POST, the first page)."""
    target = base + "/lti/launch"
    login = session.post(
        base + "/lti/login",
        data=login_form(issuer, sub, target),
        allow_redirects=False,
    )
    if login.status_code != 302:
        raise RuntimeError(f"senda login: {login.status_code}")
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    token = id_token(issuer, sub, query["nonce"][0], target)
    response = session.post(
        query["redirect_uri"][0],
        data={"id_token": token, "state": query["state"][0]},
        allow_redirects=False,
    )
    count, redirects = 2, 0
    while response.status_code in (301, 302, 303):
        redirects += 1
        response = session.get(urljoin(base, response.headers["Location"]), allow_redirects=False)
        count += 1
    if response.status_code != 200:
        raise RuntimeError(f"senda: {response.status_code}")
    return count, redirects, response


# ------------------------------------------------------------------------------------ Senda
def prepare_senda(
    issuer: str,
    database_url: str,
    redis_url: str | None,
    *,
    users: int,
    schema: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> dict[str, str]:
    """Senda's database, migrated, with the platform (its key set stored), the content and
    `users` returning participants (u0, u1, …) with a plan; the environment for gunicorn. On
    PostgreSQL, `schema` is dropped and rebuilt and the URL points at it."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from lti_tool import create_app
    from lti_tool.actor import Actor, Role
    from lti_tool.lti import keys
    from lti_tool.models import Deployment, LmsContext, LtiUser, Membership, Platform, db
    from lti_tool.services import content, learning

    if schema and database_url.startswith("postgresql"):
        admin = create_engine(database_url)
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        separator = "&" if "?" in database_url else "?"
        database_url = f"{database_url}{separator}options=-csearch_path%3D{schema}"
    env = {
        "SENDA_SECRET_KEY": "bench-secret",
        "SENDA_DATABASE_URL": database_url,
        "SENDA_CONTENT_PATH": str(ROOT / "content"),
        "SENDA_PRIVACY__ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "SENDA_LTI__ALLOW_PRIVATE_URLS": "true",
        # One client address drives every launch here: the limiter counts, but never refuses.
        "SENDA_LIMITS__LOGIN_PER_ADDRESS": "1000000/minute",
        "SENDA_LIMITS__LOGIN_PER_PLATFORM": "1000000/minute",
        **({"SENDA_REDIS_URL": redis_url} if redis_url else {}),
        **(extra_env or {}),
    }
    app = create_app(
        {
            "secret_key": env["SENDA_SECRET_KEY"],
            "database_url": database_url,
            "redis_url": redis_url,
            "content_path": env["SENDA_CONTENT_PATH"],
            "privacy": {"encryption_keys": [ENCRYPTION_KEY]},
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "lti_tool" / "migrations"))
        keys.ensure_current_key()
        content.import_tree()
        platform = Platform(
            issuer=issuer,
            client_id=CLIENT_ID,
            name="Bench LMS",
            auth_login_url=issuer + "/auth",
            auth_token_url=issuer + "/token",
            key_set_url=issuer + "/jwks",
            key_set=KEY.key_set(),
        )
        db.session.add(platform)
        db.session.flush()
        deployment = Deployment(platform_id=platform.id, deployment_id=DEPLOYMENT)
        db.session.add(deployment)
        db.session.flush()
        course = LmsContext(deployment_id=deployment.id, context_id="bench-course", title="B")
        db.session.add(course)
        db.session.flush()
        for n in range(users):
            user = LtiUser(platform_id=platform.id, sub=f"u{n}", name=f"Participante u{n}")
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, context_id=course.id, role="participant"))
            db.session.flush()
            actor = Actor(user.id, platform.id, 1, course.id, None, Role.PARTICIPANT, "P")
            learning.enrol(actor, {"goal": ["own-business"]}, None, None)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    return env


def _wait_for(
    url: str, process: subprocess.Popen[bytes], what: str, session: Any = requests
) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            session.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer at {url}")


@contextmanager
def gunicorn(
    binary: Path,
    module: str,
    env: dict[str, str],
    cwd: Path,
    workers: int = 2,
    extra_args: tuple[str, ...] = (),
) -> Iterator[tuple[str, Clock]]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            str(binary),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            "-",
            "--log-level",
            "warning",
            *extra_args,
            module,
        ],
        cwd=cwd,
        env={**os.environ, **env, "PYTHONPATH": str(cwd)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/health" if "lti_tool" in module else base + "/", process, "gunicorn")
        yield base, Clock(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def unit_gunicorn_args(unit: Path = WEB_UNIT) -> tuple[int, tuple[str, ...]]:
    """The workers and the other options of the shipped unit's gunicorn command (its `--bind`,
    logging and app are the caller's): the load test runs gunicorn as production does."""
    text = unit.read_text()
    command = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE)
    assert command, f"{unit}: no ExecStart"
    defaults = dict(re.findall(r"^Environment=(\w+)=(\S*)$", text, re.MULTILINE))
    words = re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], command.group(1)).split()
    workers, options = 1, []
    words = words[1:-1]  # the binary and the app
    skip = {"--bind", "--error-logfile", "--access-logfile"}
    i = 0
    while i < len(words):
        if words[i] == "--workers":
            workers = int(words[i + 1])
        elif words[i] not in skip:
            options += words[i : i + 2]
        i += 2
    return workers, tuple(options)


# ------------------------------------------------------------------------------------ nginx
def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if Path(p).exists()), None
    )


HOST = "senda.example.org"  # the shipped file's server_name, kept: the test resolves it


def self_signed_certificate(folder: Path, host: str = HOST) -> tuple[Path, Path]:
    """A certificate for `host` (and 127.0.0.1), signed by itself; (certificate, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class Nginx:
    https: str  # https://senda.example.org:PORT
    http: str  # http://senda.example.org:PORT (the redirect to https)
    https_port: int
    pid: int
    folder: Path
    certificate: Path


def _replace(text: str, pattern: str, replacement: str, count: int) -> str:
    """Replace exactly `count` matches: when the shipped file changes, this says where."""
    new, found = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert found == count, f"senda.conf: {pattern!r} matched {found} times, expected {count}"
    return new


def render_nginx_conf(
    upstream_port: int, https_port: int, http_port: int, cert: Path, key: Path, folder: Path
) -> str:
    """The shipped senda.conf with only its ports, paths and certificate changed."""
    text = NGINX_CONF.read_text()
    text = _replace(text, r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream_port};", 1)
    text = _replace(text, r"listen 443 ", f"listen 127.0.0.1:{https_port} ", 2)
    text = _replace(text, r"listen \[::\]:443 ", f"listen [::1]:{https_port} ", 2)
    text = _replace(text, r"listen 80;", f"listen 127.0.0.1:{http_port};", 1)
    text = _replace(text, r"listen \[::\]:80;", f"listen [::1]:{http_port};", 1)
    text = _replace(text, r"ssl_certificate /\S+;", f"ssl_certificate {cert};", 1)
    text = _replace(text, r"ssl_certificate_key /\S+;", f"ssl_certificate_key {key};", 1)
    text = _replace(text, r"alias /srv/senda/src/static/;", f"alias {ROOT / 'static'}/;", 1)
    text = _replace(
        text, r"access_log /var/log/nginx/senda\.access\.log", f"access_log {folder}/access.log", 1
    )
    return text


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@contextmanager
def nginx(upstream: str, folder: Path, worker_processes: int | str = 1) -> Iterator[Nginx]:
    """Debian's nginx running the shipped senda.conf in front of `upstream` (http://127.0.0.1:N),
    with a self-signed certificate for senda.example.org. The http{} around it is what Debian's
    nginx.conf gives a site (mime types, sendfile), with every path in `folder`."""
    binary = nginx_binary()
    assert binary, "nginx is not installed (make nginx)"
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / sub).mkdir(exist_ok=True)
    cert, key = self_signed_certificate(folder)
    https_port, http_port = free_port(), free_port()
    site = render_nginx_conf(
        int(urlsplit(upstream).port or 80), https_port, http_port, cert, key, folder
    )
    if not _ipv6_loopback():  # a machine without IPv6: its listen lines cannot bind
        site = re.sub(r"^\s*listen \[::1\]:\d+.*$", "", site, flags=re.MULTILINE)
    (folder / "senda.conf").write_text(site)
    (folder / "nginx.conf").write_text(
        f"""worker_processes {worker_processes};
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/senda.conf;
}}
"""
    )
    check = subprocess.run(  # noqa: S603
        [binary, "-t", "-q", "-p", str(folder), "-c", str(folder / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, f"nginx -t: {check.stderr}"
    process = subprocess.Popen(  # noqa: S603
        [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # its error log is folder/error.log
    )
    https = f"https://{HOST}:{https_port}"
    try:
        with resolving_to_loopback(HOST):
            _wait_for(https + "/health", process, "nginx", session=client(cert))
        yield Nginx(https, f"http://{HOST}:{http_port}", https_port, process.pid, folder, cert)
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: finish the requests in flight
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class FromAddress(HTTPAdapter):
    """Connect from a given local address (127.0.0.0/8 is all this machine on Linux)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client(certificate: Path, address: str | None = None) -> requests.Session:
    """A browser that trusts `certificate` only (never REQUESTS_CA_BUNDLE from the environment,
    which requests would prefer to a session's own), optionally from a given local address."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(certificate)
    if address:
        session.mount("https://", FromAddress(address))
        session.mount("http://", FromAddress(address))
    return session


_real_getaddrinfo = socket.getaddrinfo


@contextmanager
def resolving_to_loopback(host: str) -> Iterator[None]:
    """`host` resolves to 127.0.0.1 in this process (and the processes it forks) meanwhile, as a
    real name resolves to the server: the TLS name, Host header and cookies are the real ones."""
    previous = socket.getaddrinfo

    def getaddrinfo(name: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if name == host:
            return _real_getaddrinfo("127.0.0.1", port, socket.AF_INET, *args[1:], **kwargs)
        return previous(name, port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.getaddrinfo = previous
