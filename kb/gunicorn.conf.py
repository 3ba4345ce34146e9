"""gunicorn's configuration for KB: `gunicorn -c kb/gunicorn.conf.py kb.wsgi`.

Every value can be changed with an environment variable (README, "Running in production"):

  GUNICORN_BIND              127.0.0.1:8000   address(es) to listen on, comma-separated
                                              (host:port or unix:/path)
  GUNICORN_WORKERS           cores + 1        worker processes
  GUNICORN_THREADS           4                threads per worker (gthread)
  GUNICORN_TIMEOUT           60               s a worker may stay silent before it is killed
  GUNICORN_GRACEFUL_TIMEOUT  30               s requests under way may finish on TERM or HUP
  GUNICORN_KEEPALIVE         75               s an idle keep-alive connection stays open
  GUNICORN_MAX_REQUESTS      5000             requests before a worker is replaced (0: never)
  GUNICORN_MAX_REQUESTS_JITTER 500            random extra, so workers are not replaced together
  GUNICORN_ACCESS_LOG        (off)            "-" for gunicorn's access log on stdout, or a file
  GUNICORN_CONTROL_SOCKET    (off)            path of gunicorn's control socket for `gunicornc`
  TRUSTED_PROXIES            (none)           the reverse proxies whose X-Forwarded-Proto gunicorn
                                              believes: the same list Django uses for client IPs
  LOG_FORMAT, LOG_LEVEL      json, INFO       gunicorn's own messages (start, reload, worker
                                              deaths) are logged like the application's

Why these defaults (a 2-core machine, pages that are mostly Python work on the CPU):
- gthread with cores + 1 processes × 4 threads: more processes than cores only compete for the
  CPU (rendering holds the GIL), while the threads cover the waits for PostgreSQL, Redis and
  Elasticsearch; 3 × 4 = 12 requests at once on 2 cores. Idle keep-alive connections cost no
  thread in gthread, so a long keep-alive behind a proxy is cheap.
- keep-alive 75 s: longer than nginx's upstream keepalive_timeout (60 s in deploy/nginx/kb.conf),
  so gunicorn never closes a connection the proxy is just reusing.
- max_requests 5000 ± 500: a slow leak cannot grow for ever, yet the in-process caches (facet
  matrices, labels) are not rebuilt every few minutes.
- preload_app off: each worker imports the code itself, so `kill -HUP` (graceful reload) brings
  new code after an upgrade, and no database or Elasticsearch connection is opened before fork.
- control socket off unless asked for: its default path ($HOME/.gunicorn/gunicorn.ctl) would be
  shared by every gunicorn of the same user; signals (HUP, TERM) are what systemd uses.
"""

import os
import sys
from pathlib import Path

# The config file is read before gunicorn puts its directory on sys.path; the project's root is
# both, wherever gunicorn is started from.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.settings import env  # noqa: E402  (the project's one parser of environment variables)
from operations import logging as site_logging  # noqa: E402


def _count(name: str, default: int, minimum: int = 1) -> int:
    value = env.env_int(name, default)
    if value < minimum:
        raise env.ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

wsgi_app = "kb.wsgi:application"
chdir = str(ROOT)
bind = env.env_list("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = _count("GUNICORN_WORKERS", _cores + 1)
threads = _count("GUNICORN_THREADS", 4)
timeout = _count("GUNICORN_TIMEOUT", 60)
graceful_timeout = _count("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _count("GUNICORN_KEEPALIVE", 75)
max_requests = _count("GUNICORN_MAX_REQUESTS", 5000, minimum=0)
max_requests_jitter = _count("GUNICORN_MAX_REQUESTS_JITTER", 500, minimum=0)
preload_app = False
# The heartbeat file on a memory file system: fchmod on a busy disk can stall a worker.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "kb"

# Requests: the request line may carry many search facets; 100 header fields of at most 8 KB
# (cookies) are plenty for browsers and a proxy's X-Forwarded-* headers.
limit_request_line = _count("GUNICORN_LIMIT_REQUEST_LINE", 8190, minimum=0)
limit_request_fields = _count("GUNICORN_LIMIT_REQUEST_FIELDS", 100)
limit_request_field_size = _count("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", 8190, minimum=0)

# Only the reverse proxies Django trusts for the client IP may tell gunicorn that a request came
# over HTTPS (X-Forwarded-Proto); nobody when none is configured, not even loopback. (On a unix
# socket gunicorn believes the peer anyway: only the proxy can reach it.)
forwarded_allow_ips = ",".join(env.TRUSTED_PROXIES)

_control_socket = env.env_str("GUNICORN_CONTROL_SOCKET")
control_socket_disable = not _control_socket
if _control_socket:
    control_socket = _control_socket

# Logs: the application logs one line per request itself, with its request id, so gunicorn's access
# log is off unless asked for. gunicorn's own messages (start, reload, worker timeouts) go to stderr
# in the site's log format (LOG_FORMAT: JSON lines in production).
accesslog = env.env_str("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = env.LOG_LEVEL
# JSON unless LOG_FORMAT says otherwise: the production default, as in kb/settings/production.py.
logconfig_dict = site_logging.gunicorn_logconfig(env.LOG_FORMAT or "json", loglevel)
if accesslog:
    del logconfig_dict["loggers"]["gunicorn.access"]  # keep the handler gunicorn gives it


def post_worker_init(worker):
    """Load the Swedish and English word lists (search/lexicon.py, about 1 s) before the worker's first
    request, not during a visitor's first search."""
    from search.lexicon import LANGUAGES, word_forms

    for language in LANGUAGES:
        word_forms(language)
