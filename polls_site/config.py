"""Settings read from the environment, with defaults that run on a fresh machine."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .core.db_options import engine_options

# The limits are "COUNT/SECONDS" strings so that one variable says both numbers.
DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": "dev-only-not-secret",
    # Earlier keys, comma-separated, oldest first: what they signed (staff sessions, form
    # tokens, voter cookies) stays valid while the new SECRET_KEY signs everything new.
    "SECRET_KEY_FALLBACKS": [],
    # Staff passwords: scrypt with N = 2**PASSWORD_HASH_COST (17 is OWASP's minimum; each
    # hash then takes 128 MiB for a fraction of a second), at most PASSWORD_HASH_CONCURRENCY
    # at a time per process, so that a login burst cannot take the cores from readers.
    "PASSWORD_HASH_COST": 17,
    "PASSWORD_HASH_CONCURRENCY": 1,
    "DATABASE_URL": None,  # None: SQLite file under instance/
    # PostgreSQL connections each process keeps open (SQLAlchemy's pool), and how many more a
    # burst may open. A request holds at most one: keep POOL_SIZE + MAX_OVERFLOW at least
    # GUNICORN_THREADS, and processes x (POOL_SIZE + MAX_OVERFLOW) within what PgBouncer or
    # max_connections allow (docs/reliability.md "PostgreSQL connections").
    "DATABASE_POOL_SIZE": 5,
    "DATABASE_MAX_OVERFLOW": 10,
    # How long a request waits for a free pooled connection before it is refused (503).
    "DATABASE_POOL_TIMEOUT": 30.0,
    # Replace connections older than this many seconds (-1: never): for a firewall or a
    # server that cuts long-lived connections.
    "DATABASE_POOL_RECYCLE": -1,
    # Test a connection before each use: after a restart or failover the pool holds dead ones.
    "DATABASE_POOL_PRE_PING": True,
    # A PgBouncer in transaction pooling sits between the app and PostgreSQL: psycopg must
    # not prepare statements (PgBouncer 1.18 cannot follow them from server to server).
    "DATABASE_PGBOUNCER": False,
    "REDIS_URL": None,  # None: an embedded redis-server under instance/
    # Redis behind Sentinel instead of REDIS_URL: the Sentinels ("host:port,host:port,…",
    # "[::1]:26379" for IPv6) and the name they monitor the primary under. The app asks
    # them for the primary and follows a failover (docs/faults.md).
    "REDIS_SENTINELS": "",
    "REDIS_SENTINEL_MASTER": "",
    # The Sentinels' own password (their requirepass), and the primary's and replicas'.
    "REDIS_SENTINEL_PASSWORD": "",
    "REDIS_PASSWORD": "",
    # Connect and read timeout of one question to a Sentinel (seconds).
    "REDIS_SENTINEL_TIMEOUT": 0.25,
    "REDIS_KEY_PREFIX": "polls:",
    "RQ_QUEUE": "default",
    # After Redis failed to answer, a process skips it for this long (seconds).
    "REDIS_BREAKER_SECONDS": 2.0,
    # Votes per client IP for one poll, and per client IP over all polls.
    "VOTE_LIMIT_IP_POLL": "30/600",
    "VOTE_LIMIT_IP": "120/600",
    # New ballots per network (/24, or /48 for IPv6) per poll: cookie rotation over many
    # addresses of one network. Generous, because an office or a carrier's NAT shares one.
    "VOTE_LIMIT_NET_POLL": "300/600",
    # How long a per-render vote token stays valid.
    "VOTE_TOKEN_MAX_AGE": 12 * 3600,
    # How often an open poll's results partial asks for a newer version.
    "RESULTS_POLL_SECONDS": 10,
    # How often the worker reconciles snapshots that are older than their ballots.
    "RECONCILE_SECONDS": 30,
    # How often the worker opens and closes polls whose opening or closing time has come.
    "SCHEDULE_SECONDS": 5,
    # How long rendered archive pages live in Redis (dropped at once when a poll changes).
    "ARCHIVE_CACHE_SECONDS": 300,
    # How many polls one page of the archive lists.
    "ARCHIVE_PAGE_SIZE": 10,
    # How long the widget may use a cached copy of a poll and its options.
    "POLL_CACHE_SECONDS": 10,
    # How long a comment thread's shared rendered pages live in Redis (each new version
    # of the thread has its own, so this only bounds how long an old one is kept).
    "COMMENT_CACHE_SECONDS": 10,
    # How long a web process may reuse a poll's version, copy and HTML without asking Redis.
    "NEAR_CACHE_SECONDS": 1.0,
    # Least time between two recounts of one poll: a burst of votes costs one recount
    # per interval, while a lone vote is recounted at once.
    "RECOMPUTE_MIN_INTERVAL": 1.0,
    # The site's public address, scheme://host[:port] ("https://polls.portal.kg"). Absolute
    # URLs (feeds, oEmbed, the OpenAPI document) are built from it, never from the request's
    # Host header, which anyone can set; unset, they follow the request (development).
    "PUBLIC_URL": "",
    # Host names a request may name (comma-separated, ".portal.kg" for its subdomains);
    # others get a 400. Unset with PUBLIC_URL: its host and loopback (health probes).
    "TRUSTED_HOSTS": "",
    # Number of proxies in front of the app that set X-Forwarded-For; 0 trusts none.
    "TRUSTED_PROXY_COUNT": 0,
    "BABEL_DEFAULT_LOCALE": "ru",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Almaty",
    "LANGUAGES": ["ru", "en"],
    "PRODUCTION": False,
    # The key of stored IP hashes changes this often; old ballots keep their hash.
    "IP_HASH_ROTATION_DAYS": 30,
    # After this many days the worker clears the IP hashes of ballots.
    "RETENTION_DAYS": 90,
    # Who may read /metrics: these networks, or a request with "Bearer <METRICS_TOKEN>".
    "METRICS_ALLOW": "127.0.0.1/32,::1/128",
    "METRICS_TOKEN": "",
    # With PRODUCTION on, browsers are told to use HTTPS only for this long (seconds).
    "HSTS_SECONDS": 31536000,
    # Where a worker serves its host's /metrics (host:port, or "off"). Loopback by
    # default; the same METRICS_ALLOW and METRICS_TOKEN rules apply.
    "WORKER_METRICS_BIND": "127.0.0.1:9101",
    # "json": one JSON object per line (for log shippers); "text" for a console.
    "LOG_FORMAT": "json",
    # One line per request; off for benchmarks or behind a proxy that logs them.
    "LOG_REQUESTS": True,
    # The level of a worker's lines, RQ's own included (three per job at INFO); WARNING
    # keeps only failures.
    "WORKER_LOG_LEVEL": "INFO",
    # Our forms show only our own messages; Flask-WTF's i18n would re-read WTForms'
    # catalog on every request that builds a form.
    "WTF_I18N_ENABLED": False,
    # Portal origins that may frame the widgets and whose pages may open comment threads,
    # comma-separated ("https://portal.kg,https://m.portal.kg"). The default is the demo
    # portal that `flask demo` serves on the next port.
    "EMBED_ALLOWED_ORIGINS": "http://127.0.0.1:8001,http://localhost:8001",
    # Secrets with which portal origins sign a thread's title and URL (docs/embedding.md),
    # comma-separated "origin=secret" ("https://portal.kg=9f2c…,https://m.portal.kg=41ab…").
    # An origin listed twice has two valid secrets: the new and the old during a rotation.
    # Once an origin has one, views of its pages that are not signed set no title or URL.
    "EMBED_SIGNING_KEYS": "",
    # Comments per IP and per reader cookie, over all threads.
    "COMMENT_LIMIT_IP": "10/600",
    "COMMENT_LIMIT_VOTER": "5/600",
    # Likes from one client IP: for one comment, and over all comments. Cookies rotate for
    # free, addresses do not (60 fresh cookies from one address moved a count from 1 to 61);
    # generous, because a carrier's NAT puts many readers behind one address.
    "LIKE_LIMIT_IP_COMMENT": "20/3600",
    "LIKE_LIMIT_IP": "120/600",
    # New threads one client IP may open: Referer and Origin say which page framed the
    # widget, but a script can forge them, so junk threads are also slowed down.
    "THREAD_OPEN_LIMIT_IP": "60/3600",
    # Comma-separated names no reader may sign with (contained anywhere in the name, any
    # look-alike spelling); staff usernames are reserved too. README "Staff voice".
    "RESERVED_AUTHOR_NAMES": "News-Asia,Редакция,Модератор,Администратор",
    # How long a web process reuses the staff names it reserves (usernames, display names).
    "RESERVED_NAMES_CACHE_SECONDS": 30,
    # Staff logged in on this site post from the comment widget as staff (with their
    # badge) where the widget is first party; false: only from the staff thread page.
    "STAFF_POST_FROM_WIDGET": True,
    # Reports ("Пожаловаться") per client IP and per reader, over all comments.
    "REPORT_LIMIT_IP": "30/3600",
    "REPORT_LIMIT_VOTER": "10/3600",
    # The weight of independent reports (distinct readers, at least two networks) that
    # hides an approved comment until a moderator decides; README "Reader reports".
    "REPORT_THRESHOLD": 3,
    # Minutes during which authors may edit or delete their own comment.
    "COMMENT_EDIT_MINUTES": 10,
    # How often an open comment widget asks whether new comments have been approved.
    "COMMENTS_POLL_SECONDS": 15,
    # Every comment waits for a moderator, whatever the auto-moderator says.
    "PREMODERATE_ALL": False,
    # Threads close by themselves this many days after their first comment (0: never).
    # Applied whenever a thread is read or written to; staff can reopen one for good.
    "THREAD_AUTO_CLOSE_DAYS": 0,
    # A reader's comments wait for a moderator until this many of theirs have been
    # approved (by reader identity, over all threads; 0: no such premoderation).
    "PREMODERATE_FIRST_COMMENTS": 0,
    # Request bodies: the largest legitimate one (a poll with 20 options, a word list) is a
    # few kilobytes; anything past these is refused with 413 before it is read into memory.
    # The proxy in front should refuse it first (client_max_body_size in nginx).
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Form data kept in memory (all fields together), and fields (or multipart parts) per request.
    "MAX_FORM_MEMORY_SIZE": 512 * 1024,
    "MAX_FORM_PARTS": 500,
    # Staff login attempts per client IP, and per (username, client IP), before a pause.
    "STAFF_LOGIN_LIMIT_IP": "20/900",
    "STAFF_LOGIN_LIMIT_USER": "5/900",
    # A staff login lasts this long, however active the session is.
    "STAFF_SESSION_HOURS": 12,
    # Outgoing mail (README "Notifications"): no SMTP_HOST, no mail. STARTTLS upgrades a
    # plain connection (port 587); the login is used only when SMTP_USER is set.
    "SMTP_HOST": "",
    "SMTP_PORT": 25,
    "SMTP_USER": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    "SMTP_TIMEOUT": 10,
    "MAIL_FROM": "comments@localhost",
    # Moderators' mail: these addresses (comma-separated) get at most one digest per
    # interval, however many comments wait.
    "MODERATOR_EMAILS": [],
    "MODERATOR_DIGEST_SECONDS": 600,
    # A moderators' webhook: JSON POSTed to this URL, signed with the secret (HMAC-SHA256),
    # for the events listed ("review", "reported", "queue_old").
    "NOTIFY_WEBHOOK_URL": "",
    "NOTIFY_WEBHOOK_SECRET": "",
    "NOTIFY_WEBHOOK_EVENTS": ["review", "reported", "queue_old"],
    # "queue_old": comments waiting for a person for longer than this many minutes.
    "NOTIFY_QUEUE_OLD_MINUTES": 60,
    # Hosts (host or host:port) a webhook may reach although they resolve to loopback or
    # private addresses. Empty in production; tests name their loopback receiver.
    "NOTIFY_WEBHOOK_ALLOW_HOSTS": [],
    # Reply mail per reader address, and confirmation requests per address.
    "NOTIFY_REPLY_LIMIT": "10/3600",
    "NOTIFY_CONFIRM_LIMIT": "3/3600",
    # Delays (seconds, comma-separated) before each retry of a failed delivery; after the
    # last one the job stays failed in /staff/jobs.
    "NOTIFY_RETRY_SECONDS": [30, 120, 600],
    # How long a confirmation link stays valid (seconds).
    "NOTIFY_CONFIRM_MAX_AGE": 3 * 24 * 3600,
}

_INT_KEYS = {
    "RESERVED_NAMES_CACHE_SECONDS",
    "THREAD_AUTO_CLOSE_DAYS",
    "PREMODERATE_FIRST_COMMENTS",
    "VOTE_TOKEN_MAX_AGE",
    "RESULTS_POLL_SECONDS",
    "RECONCILE_SECONDS",
    "SCHEDULE_SECONDS",
    "ARCHIVE_CACHE_SECONDS",
    "ARCHIVE_PAGE_SIZE",
    "TRUSTED_PROXY_COUNT",
    "POLL_CACHE_SECONDS",
    "COMMENT_CACHE_SECONDS",
    "IP_HASH_ROTATION_DAYS",
    "RETENTION_DAYS",
    "COMMENT_EDIT_MINUTES",
    "STAFF_SESSION_HOURS",
    "COMMENTS_POLL_SECONDS",
    "MAX_CONTENT_LENGTH",
    "MAX_FORM_MEMORY_SIZE",
    "MAX_FORM_PARTS",
    "PASSWORD_HASH_COST",
    "PASSWORD_HASH_CONCURRENCY",
    "HSTS_SECONDS",
    "SMTP_PORT",
    "SMTP_TIMEOUT",
    "MODERATOR_DIGEST_SECONDS",
    "NOTIFY_QUEUE_OLD_MINUTES",
    "NOTIFY_CONFIRM_MAX_AGE",
}


def instance_path(environ: dict[str, str] | None = None) -> str:
    """Where runtime state goes (SQLite file, metric samples, the embedded Redis socket).

    INSTANCE_PATH if set; else instance/ in the checkout the code runs from; else, for an
    installed wheel, <sys.prefix>/var/polls_site-instance (Flask's rule), never site-packages.
    """
    env = os.environ if environ is None else environ
    if env.get("INSTANCE_PATH"):
        return os.path.abspath(env["INSTANCE_PATH"])
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():
        return str(checkout / "instance")
    return os.path.join(sys.prefix, "var", "polls_site-instance")


def _public_url(config: dict[str, Any]) -> None:
    """Pin absolute URLs to PUBLIC_URL (Flask's SERVER_NAME) and set TRUSTED_HOSTS."""
    hosts = config["TRUSTED_HOSTS"]
    if isinstance(hosts, str):
        hosts = [h.strip() for h in hosts.split(",") if h.strip()]
    public = str(config["PUBLIC_URL"] or "").rstrip("/")
    if public:
        parts = urlsplit(public)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path:
            raise ValueError(f"PUBLIC_URL {public!r} is not of the form scheme://host[:port]")
        config["SERVER_NAME"] = parts.netloc
        config["PREFERRED_URL_SCHEME"] = parts.scheme
        hosts = hosts or [parts.hostname, "localhost", "127.0.0.1", "::1"]
    config["TRUSTED_HOSTS"] = hosts or None


# A shorter secret could be guessed offline from one signed snippet of the portal's HTML.
MIN_SIGNING_SECRET_LENGTH = 16


def parse_signing_keys(
    value: str | Mapping[str, Any], allowed: str | list[str]
) -> dict[str, tuple[str, ...]]:
    """EMBED_SIGNING_KEYS as {origin: (secret, ...)}, from "origin=secret,..." or a mapping.

    Each origin must be one of ``allowed`` (a secret for an origin that may not frame the
    widgets would be a typo that silently protects nothing).
    """
    if isinstance(value, str):
        pairs = [item.strip().partition("=")[::2] for item in value.split(",") if item.strip()]
    else:
        pairs = [
            (origin, secret)
            for origin, secrets in value.items()
            for secret in ([secrets] if isinstance(secrets, str) else secrets)
        ]
    # A test's overrides may name the allowed origins as the environment does, one string.
    allowed_list = allowed.split(",") if isinstance(allowed, str) else allowed
    allowed_set = {a.strip().lower().rstrip("/") for a in allowed_list}
    keys: dict[str, tuple[str, ...]] = {}
    for raw_origin, raw_secret in pairs:
        origin, secret = raw_origin.strip().lower().rstrip("/"), raw_secret.strip()
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path:
            raise ValueError(
                f"EMBED_SIGNING_KEYS: {raw_origin!r} is not an origin of the form "
                "scheme://host[:port]=secret"
            )
        if origin not in allowed_set:
            raise ValueError(f"EMBED_SIGNING_KEYS: {origin} is not in EMBED_ALLOWED_ORIGINS")
        if len(secret) < MIN_SIGNING_SECRET_LENGTH:
            raise ValueError(
                f"EMBED_SIGNING_KEYS: the secret for {origin} must have at least "
                f"{MIN_SIGNING_SECRET_LENGTH} characters"
            )
        keys[origin] = (*keys.get(origin, ()), secret)
    return keys


def parse_limit(value: str) -> tuple[int, int]:
    """Parse a "COUNT/SECONDS" limit such as "30/600" into (30, 600)."""
    try:
        count_text, seconds_text = value.split("/")
        count, seconds = int(count_text), int(seconds_text)
    except (AttributeError, ValueError) as exc:
        raise ValueError(f"limit {value!r} is not of the form COUNT/SECONDS") from exc
    if count < 1 or seconds < 1:
        raise ValueError(f"limit {value!r} must have a positive count and window")
    return count, seconds


def parse_sentinels(value: str | list) -> list[tuple[str, int]]:
    """REDIS_SENTINELS as [(host, port), ...], from "host:port,[::1]:26379,..." or a list."""
    items = value.split(",") if isinstance(value, str) else value
    sentinels = []
    for item in items:
        if isinstance(item, tuple):
            host, port_text = item[0], str(item[1])
        else:
            text = item.strip()
            if not text:
                continue
            host, _, port_text = text.rpartition(":")
            host = host.removeprefix("[").removesuffix("]")
        if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(
                f"REDIS_SENTINELS: {item!r} is not of the form host:port "
                "(comma-separated, [address]:port for IPv6)"
            )
        sentinels.append((host, int(port_text)))
    return sentinels


def _redis_sentinel(config: dict[str, Any]) -> None:
    """Check the Sentinel settings together: one way to find Redis, and a whole one."""
    config["REDIS_SENTINELS"] = parse_sentinels(config["REDIS_SENTINELS"])
    sentinels, master = config["REDIS_SENTINELS"], config["REDIS_SENTINEL_MASTER"]
    if sentinels and config["REDIS_URL"]:
        raise ValueError("set REDIS_URL or REDIS_SENTINELS, not both")
    if sentinels and not master:
        raise ValueError("REDIS_SENTINELS is set: REDIS_SENTINEL_MASTER must name the primary")
    if master and not sentinels:
        raise ValueError("REDIS_SENTINEL_MASTER is set: REDIS_SENTINELS must list the Sentinels")
    if config["REDIS_PASSWORD"] and not sentinels:
        raise ValueError("REDIS_PASSWORD is for Sentinel mode; put the password in REDIS_URL")
    if not config["REDIS_SENTINEL_TIMEOUT"] > 0:
        raise ValueError("REDIS_SENTINEL_TIMEOUT must be a positive number of seconds")


def load_settings(instance_path: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return the settings: defaults, overridden by environment variables of the same name."""
    env = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key in DEFAULTS:
        if key in env and env[key] != "":
            settings[key] = env[key]
    for key in _INT_KEYS:
        settings[key] = int(settings[key])
    for key in (
        "RECOMPUTE_MIN_INTERVAL",
        "NEAR_CACHE_SECONDS",
        "REDIS_BREAKER_SECONDS",
        "REDIS_SENTINEL_TIMEOUT",
    ):
        settings[key] = float(settings[key])
    if isinstance(settings["SECRET_KEY_FALLBACKS"], str):
        settings["SECRET_KEY_FALLBACKS"] = [
            x.strip() for x in settings["SECRET_KEY_FALLBACKS"].split(",") if x.strip()
        ]
    if isinstance(settings["LANGUAGES"], str):
        settings["LANGUAGES"] = [x.strip() for x in settings["LANGUAGES"].split(",") if x.strip()]
    if isinstance(settings["EMBED_ALLOWED_ORIGINS"], str):
        settings["EMBED_ALLOWED_ORIGINS"] = [
            x.strip().rstrip("/") for x in settings["EMBED_ALLOWED_ORIGINS"].split(",") if x.strip()
        ]
    if isinstance(settings["NOTIFY_RETRY_SECONDS"], str):
        settings["NOTIFY_RETRY_SECONDS"] = [
            int(x) for x in settings["NOTIFY_RETRY_SECONDS"].split(",") if x.strip()
        ]
    for key in ("MODERATOR_EMAILS", "NOTIFY_WEBHOOK_EVENTS", "NOTIFY_WEBHOOK_ALLOW_HOSTS"):
        if isinstance(settings[key], str):
            settings[key] = [x.strip() for x in settings[key].split(",") if x.strip()]
    for key in (
        "PRODUCTION",
        "LOG_REQUESTS",
        "PREMODERATE_ALL",
        "SMTP_STARTTLS",
        "STAFF_POST_FROM_WIDGET",
    ):
        settings[key] = str(settings[key]).lower() in {"1", "true", "yes"}
    if not settings["DATABASE_URL"]:
        db_file = Path(instance_path) / "polls_site.sqlite3"
        settings["DATABASE_URL"] = f"sqlite:///{db_file}"
    return settings


def finish(config: dict[str, Any]) -> None:
    """Derive the settings other extensions read, after tests have had their say."""
    url = config["DATABASE_URL"]
    config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we install; plain postgresql:// would ask for psycopg2.
        config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + url[len("postgresql://") :]
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(url, config))
    limits = (
        "VOTE_LIMIT_IP_POLL",
        "VOTE_LIMIT_IP",
        "VOTE_LIMIT_NET_POLL",
        "COMMENT_LIMIT_IP",
        "COMMENT_LIMIT_VOTER",
        "LIKE_LIMIT_IP_COMMENT",
        "LIKE_LIMIT_IP",
        "NOTIFY_REPLY_LIMIT",
        "NOTIFY_CONFIRM_LIMIT",
        "REPORT_LIMIT_IP",
        "REPORT_LIMIT_VOTER",
    )
    for key in (*limits, "STAFF_LOGIN_LIMIT_IP", "STAFF_LOGIN_LIMIT_USER"):
        parse_limit(config[key])
    _public_url(config)
    _redis_sentinel(config)
    if not 14 <= config["PASSWORD_HASH_COST"] <= 20:
        raise ValueError("PASSWORD_HASH_COST must be between 14 and 20 (scrypt's N = 2**cost)")
    if config["PASSWORD_HASH_CONCURRENCY"] < 1:
        raise ValueError("PASSWORD_HASH_CONCURRENCY must be at least 1")
    # Flask-WTF signs the staff forms' tokens with this; itsdangerous signs with the last
    # key of a list and accepts any of them, as Flask does for sessions.
    config.setdefault(
        "WTF_CSRF_SECRET_KEY", [*config["SECRET_KEY_FALLBACKS"], config["SECRET_KEY"]]
    )
    config["EMBED_SIGNING_KEYS"] = parse_signing_keys(
        config["EMBED_SIGNING_KEYS"], config["EMBED_ALLOWED_ORIGINS"]
    )
    # The session cookie belongs to the staff area (first party; readers never get one).
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = bool(config["PRODUCTION"])
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=config["STAFF_SESSION_HOURS"])
    if config["PRODUCTION"]:
        if config["SECRET_KEY"] == DEFAULTS["SECRET_KEY"]:
            raise RuntimeError("PRODUCTION is set: SECRET_KEY must be set to a real secret")
        if not config["REDIS_URL"] and not config["REDIS_SENTINELS"]:
            raise RuntimeError(
                "PRODUCTION is set: REDIS_URL (or REDIS_SENTINELS) must point to a real Redis"
            )
