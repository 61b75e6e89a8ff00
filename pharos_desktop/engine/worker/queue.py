"""The cloud's Redis, reached the way the cloud reaches it: Upstash's REST API (the deployed service) or a
plain ``redis://``/``rediss://`` URL (self-hosted). Both through their own well-kept clients; this module
only gives them one shape and one error type, so the worker never knows which it talks to.
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

from ..errors import CloudError
from ..secrets import QUEUE_TOKEN, get_secret, optional_secret

QUEUE_TIMEOUT = 20.0  # seconds for one command: a queue that stops answering is "down", not "slow"


class QueueError(CloudError):
    """The queue could not be reached or refused a command; the worker backs off and tries again."""


class UnreadableValue(Exception):
    """The command ran, but the value it returned cannot be decoded (not UTF-8)."""


class Queue:
    """The few list and key commands the worker needs. Values come back as the client gives them: bytes from
    redis:// (a value that is not UTF-8 must still be read, and removed byte for byte), str from Upstash."""

    def __init__(self, url: str, token: str = "") -> None:
        self.url = url.strip().rstrip("/")
        scheme = urlsplit(self.url).scheme.lower()
        try:
            if scheme in ("redis", "rediss"):
                import redis

                self._client = redis.Redis.from_url(self.url, password=token or None, decode_responses=False,
                                                    socket_timeout=QUEUE_TIMEOUT,
                                                    socket_connect_timeout=QUEUE_TIMEOUT)
                self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
                self.kind = "redis"
            elif scheme in ("http", "https"):
                import httpx
                from upstash_redis import Redis
                from upstash_redis.errors import UpstashError

                if not token:
                    raise QueueError("no queue token is set: add it in Settings (or set PHAROS_QUEUE_TOKEN)")
                # No telemetry, and no retries of its own: the worker's backoff is the one policy.
                self._client = Redis(self.url, token, allow_telemetry=False, rest_retries=0)
                self._errors = (UpstashError, httpx.HTTPError, OSError, ValueError)
                self.kind = "upstash"
            else:
                raise QueueError(f"the queue URL must start with https:// (Upstash) or redis:// / rediss://, "
                                 f"not {self.url or 'nothing'}: check it in Settings")
        except QueueError:
            raise
        except Exception as exc:  # noqa: BLE001 - a malformed URL surfaces in several shapes
            raise QueueError(f"cannot use the queue URL {self.url}: {exc}") from None

    @property
    def host(self) -> str:
        return _host(self.url)

    def _call(self, name: str, *args, **kwargs):
        try:
            return getattr(self._client, name)(*args, **kwargs)
        except UnicodeDecodeError:
            # Upstash's SDK decodes every value as UTF-8 after the command ran: the value is unreadable,
            # the command itself is done.
            raise UnreadableValue() from None
        except self._errors as exc:
            raise QueueError(f"the queue at {_host(self.url)} failed ({type(exc).__name__}: {_short(exc)})") from None

    # Each is one command (one request to Upstash).
    def ping(self) -> None:
        self._call("ping")

    def move_first(self, source: str, destination: str) -> str | None:
        """LMOVE source destination LEFT RIGHT: the oldest job of ``source``, atomically kept in ``destination``."""
        return self._call("lmove", source, destination, "LEFT", "RIGHT")

    def move_back(self, source: str, destination: str) -> str | None:
        """LMOVE source destination LEFT LEFT: a job put back at the head of ``destination``."""
        return self._call("lmove", source, destination, "LEFT", "LEFT")

    def drop_last(self, key: str) -> None:
        """RPOP without reading the value: what ``move_first`` just put at the end of ``key`` goes."""
        try:
            self._call("rpop", key)
        except UnreadableValue:
            pass

    def remove(self, key: str, value: str | bytes) -> int:
        return int(self._call("lrem", key, 1, value) or 0)

    def length(self, key: str) -> int:
        return int(self._call("llen", key) or 0)

    def items(self, key: str, most: int) -> list[str | bytes]:
        """The first ``most`` values of a list."""
        return list(self._call("lrange", key, 0, most - 1) or [])

    def push_front(self, key: str, value: str) -> None:
        self._call("lpush", key, value)

    def trim(self, key: str, keep: int) -> None:
        self._call("ltrim", key, 0, keep - 1)

    def set(self, key: str, value: str, seconds: int) -> None:
        self._call("set", key, value, ex=seconds)


def queue_token(url: str, warn: Callable[[str], None]) -> str:
    """The queue's token (keyring or PHAROS_QUEUE_TOKEN). Upstash cannot go without one; a redis:// URL may
    carry its password itself or need none, so there a keyring that cannot be read is only a warning."""
    if urlsplit(url.strip()).scheme.lower() in ("redis", "rediss"):
        return optional_secret(QUEUE_TOKEN, warn)
    return get_secret(QUEUE_TOKEN)


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.hostname or url  # never the password or token


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else "no detail"


def check_queue(url: str, token: str) -> str:
    """'Test queue': one line saying whether the queue answers and how many repositories wait in it."""
    from .cloud_job import INGEST_QUEUE

    queue = Queue(url, token)
    queue.ping()
    waiting = queue.length(INGEST_QUEUE)
    return f"the queue at {_host(queue.url)} answers: {waiting} repositories waiting"
