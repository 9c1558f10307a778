"""Live feed sources: an MQTT topic or a Redis stream, received into a bounded buffer.

Why a buffer of parsed rows, not a callback into the engine: a live source delivers at its
own pace on its own thread (paho's network loop, a blocking ``XREAD``), while runs, previews
and snapshots read whenever they like. The buffer decouples the two: the receiving thread
only parses and appends (bounded: the oldest rows go first), readers take a consistent copy
(:meth:`FeedBuffer.frame`) under a lock. A snapshot of a live feed is such a copy, stored
like any other fetch, so a run on live data can be re-run bit for bit later.

Messages are JSON objects (``{"t": 12.5, "value": 3}``; for Redis the stream entry's fields)
or a bare number. ``time_column`` names the field that holds the time; without it the time
is when the message arrived (seconds since the epoch). Every value field must be a finite
number; a message that is not (bad JSON, a string, NaN, too large) is counted as rejected
and its reason kept in ``status().last_error`` -- it never stops the source.

Reconnects: MQTT sessions are persistent (a fixed client id, ``clean_session`` off, the
topic subscribed at QoS 2), so the broker queues what was published while the connection
was down, and paho reconnects with a capped back-off. Delivery is what the publisher asked
for: exactly once at QoS 2; at QoS 1 a message whose acknowledgement was lost with the
connection arrives again (MQTT's at-least-once); at QoS 0 it may be lost.

A Redis stream keeps its entries, so the reader resumes from the last id it saw after
reconnecting (with jittered, capped back-off): no entry is lost or read twice across a
dropped connection.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

MAX_MESSAGE_BYTES = 64 * 1024
"""A message larger than this is rejected unparsed (one feed must not eat the memory)."""

DEFAULT_CAPACITY = 100_000
RECONNECT_MIN_S = 0.2
RECONNECT_MAX_S = 10.0


class MessageError(ValueError):
    """A message that cannot become a row; the text names the field and what is allowed."""


@dataclass(frozen=True)
class LiveStatus:
    """What a source has done so far (shown on the Feeds page and by ``feeds show``)."""

    connected: bool
    received: int
    rejected: int
    reconnects: int
    last_error: str
    last_message_at: float | None


def parse_message(payload: bytes | str | dict[str, Any], *, time_column: str | None,
                  value_columns: tuple[str, ...], arrived: float) -> dict[str, float]:
    """One message as a row ``{"t": ..., column: value, ...}``.

    A bare number is accepted for a single value column. Raises MessageError naming the
    field when a value is missing or not a finite number.
    """
    if isinstance(payload, (bytes, str)):
        if len(payload) > MAX_MESSAGE_BYTES:
            raise MessageError(f"message of {len(payload):,} bytes is too large "
                               f"(allowed: up to {MAX_MESSAGE_BYTES:,})")
        try:
            decoded: Any = json.loads(payload)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MessageError(f"message is not JSON: {exc}") from None
    else:
        decoded = payload
    if not isinstance(decoded, dict):
        if len(value_columns) != 1 or time_column is not None:
            raise MessageError("message must be a JSON object with the fields "
                               f"{', '.join([*filter(None, [time_column]), *value_columns])}")
        decoded = {value_columns[0]: decoded}
    row = {"t": arrived if time_column is None else _number(decoded, time_column)}
    for column in value_columns:
        row[column] = _number(decoded, column)
    return row


def _number(fields: dict[str, Any], name: str) -> float:
    if name not in fields:
        raise MessageError(f"message has no field {name!r}")
    raw = fields[name]
    if isinstance(raw, bytes):  # Redis stream fields arrive as bytes
        raw = raw.decode("utf-8", errors="replace")
    if isinstance(raw, bool):
        raise MessageError(f"{name} = {raw!r} is not allowed (allowed: a finite number)")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise MessageError(f"{name} = {str(raw)[:40]!r} is not allowed "
                           "(allowed: a finite number)") from None
    if not math.isfinite(value):
        raise MessageError(f"{name} = {value} is not allowed (allowed: a finite number)")
    return value


class FeedBuffer:
    """The last ``capacity`` rows of a live source, appended by one thread, read by any."""

    def __init__(self, value_columns: tuple[str, ...], capacity: int = DEFAULT_CAPACITY):
        if not 1 <= capacity <= 10_000_000:
            raise ValueError(f"capacity = {capacity} is not allowed (allowed: 1 to 10,000,000)")
        self.value_columns = value_columns
        self._rows: deque[tuple[float, ...]] = deque(maxlen=capacity)
        self._changed = threading.Condition()
        self.received = 0

    def append(self, row: dict[str, float]) -> None:
        with self._changed:
            self._rows.append((row["t"], *(row[c] for c in self.value_columns)))
            self.received += 1
            self._changed.notify_all()

    def __len__(self) -> int:
        with self._changed:
            return len(self._rows)

    def latest(self) -> tuple[float, ...] | None:
        """The newest row (time, values...), or None before the first one."""
        with self._changed:
            return self._rows[-1] if self._rows else None

    def wait_for(self, received: int, timeout: float) -> bool:
        """Block until ``received`` rows have arrived in total (True) or ``timeout``."""
        with self._changed:
            return self._changed.wait_for(lambda: self.received >= received, timeout)

    def frame(self) -> pd.DataFrame:
        """A copy of the buffered rows: column ``t`` then the value columns, in arrival
        order."""
        with self._changed:
            rows = list(self._rows)
        return pd.DataFrame(rows, columns=["t", *self.value_columns], dtype="float64")


class LiveSource:
    """What MQTT and Redis sources share: the buffer, parsing, counters, start/stop."""

    def __init__(self, *, value_columns: tuple[str, ...], time_column: str | None = None,
                 capacity: int = DEFAULT_CAPACITY):
        if not value_columns:
            raise ValueError("value_columns must name at least one field")
        self.time_column = time_column
        self.buffer = FeedBuffer(tuple(value_columns), capacity)
        self._lock = threading.Lock()
        self._connected = False
        self._ever_connected = False
        self._rejected = 0
        self._reconnects = 0
        self._last_error = ""
        self._last_message_at: float | None = None

    def receive(self, payload: bytes | str | dict[str, Any]) -> None:
        """Parse one message into the buffer; a bad one is counted, never raised."""
        arrived = time.time()
        try:
            row = parse_message(payload, time_column=self.time_column,
                                value_columns=self.buffer.value_columns, arrived=arrived)
        except MessageError as exc:
            with self._lock:
                self._rejected += 1
                self._last_error = str(exc)
            return
        self.buffer.append(row)
        with self._lock:
            self._last_message_at = arrived

    def _set_connected(self, connected: bool, error: str = "") -> None:
        with self._lock:
            if connected and not self._connected and self._ever_connected:
                self._reconnects += 1
            self._ever_connected = self._ever_connected or connected
            self._connected = connected
            if error:
                self._last_error = error

    def status(self) -> LiveStatus:
        with self._lock:
            return LiveStatus(self._connected, self.buffer.received, self._rejected,
                              self._reconnects, self._last_error, self._last_message_at)

    def start(self) -> LiveSource:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> LiveSource:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class MqttSource(LiveSource):
    """An MQTT topic (paho-mqtt, subscribed at QoS 2, persistent session) into a FeedBuffer."""

    def __init__(self, topic: str, *, host: str = "127.0.0.1", port: int = 1883,
                 client_id: str | None = None, **options: Any):
        super().__init__(**options)
        import paho.mqtt.client as mqtt

        self.topic = topic
        self.host, self.port = host, port
        self._client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"nexus-feed-{uuid.uuid4().hex[:12]}",
            clean_session=False)
        self._client.reconnect_delay_set(min_delay=1, max_delay=int(RECONNECT_MAX_S))
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = lambda _c, _u, message: self.receive(message.payload)
        self._subscribed = threading.Event()
        self._client.on_subscribe = lambda *_a: self._subscribed.set()

    def _on_connect(self, client: Any, _userdata: Any, _flags: Any, reason: Any,
                    _props: Any) -> None:
        if reason.is_failure:
            self._set_connected(False, f"MQTT broker refused the connection: {reason}")
            return
        self._set_connected(True)
        client.subscribe(self.topic, qos=2)

    def _on_disconnect(self, _client: Any, _userdata: Any, _flags: Any, reason: Any,
                       _props: Any) -> None:
        self._set_connected(False, "" if str(reason) == "Success"
                            else f"MQTT connection lost: {reason}")

    def start(self, timeout: float = 10.0) -> MqttSource:
        """Connect and subscribe; returns once the subscription is acknowledged (raises
        ConnectionError naming the broker after ``timeout`` seconds)."""
        self._client.connect_async(self.host, self.port, keepalive=30)
        self._client.loop_start()
        if not self._subscribed.wait(timeout):
            self.stop()
            raise ConnectionError(f"no MQTT subscription to {self.topic!r} at "
                                  f"{self.host}:{self.port} within {timeout:g} s")
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


class RedisStreamSource(LiveSource):
    """A Redis stream read with blocking ``XREAD`` from its newest entry on, resuming after
    the last id seen when the connection comes back."""

    BLOCK_MS = 1000

    def __init__(self, stream: str, *, url: str = "redis://127.0.0.1:6379/0",
                 start_id: str = "$", **options: Any):
        super().__init__(**options)
        self.stream, self.url = stream, url
        self.last_id = start_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self, timeout: float = 10.0) -> RedisStreamSource:
        self._thread = threading.Thread(target=self._run, name=f"redis-feed-{self.stream}",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise ConnectionError(f"no connection to Redis at {self.url} within {timeout:g} s")
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.BLOCK_MS / 1000 + 5)

    def _run(self) -> None:
        import redis

        delay = RECONNECT_MIN_S
        while not self._stop.is_set():
            # one held connection, not a pool: a pool silently replaces a connection that
            # died while idle, and the drop would never be counted or reported
            client = redis.Redis.from_url(self.url, socket_connect_timeout=5,
                                          socket_timeout=self.BLOCK_MS / 1000 + 5,
                                          single_connection_client=True)
            try:
                if self.last_id == "$":  # pin "newest" to an id, so a reconnect resumes
                    info = client.xinfo_stream(self.stream) if client.exists(self.stream) \
                        else None
                    self.last_id = info["last-generated-id"].decode() if info else "0-0"
                self._set_connected(True)
                self._ready.set()
                delay = RECONNECT_MIN_S
                while not self._stop.is_set():
                    batches = client.xread({self.stream: self.last_id}, count=1000,
                                           block=self.BLOCK_MS)
                    for _stream, entries in batches or ():
                        for entry_id, fields in entries:
                            self.receive({k.decode(): v for k, v in fields.items()})
                            self.last_id = entry_id.decode()
            except redis.RedisError as exc:
                self._set_connected(False, f"Redis connection lost: {exc}")
                # jittered, capped back-off: many feeds must not reconnect in lock-step
                self._stop.wait(delay * (0.5 + random.random()))
                delay = min(delay * 2, RECONNECT_MAX_S)
            finally:
                client.close()
        self._set_connected(False)


# --- feed source kinds: a live topic or stream as a stored, named feed -----------------------
# (imported by nexus_panel.feeds.sources, which registers every Source subclass declared here)
import param  # noqa: E402

from nexus_panel.feeds.definition import FeedDefinition  # noqa: E402
from nexus_panel.feeds.errors import FetchError  # noqa: E402
from nexus_panel.feeds.sources import FetchContext, Fetched, Source  # noqa: E402
from nexus_panel.feeds.ssrf import Target, vet  # noqa: E402

MQTT_PORTS = {"mqtt": 1883}
REDIS_PORTS = {"redis": 6379}


def vetted(url: str, field: str, context: FetchContext, ports: dict[str, int]) -> Target:
    """``url`` through the same allowlist and address rules as an HTTP feed (a broker is a
    connection the server makes on a user's behalf), resolved once: the source connects
    to the vetted address."""
    from nexus_panel.models.errors import ValidationError

    try:
        return vet(url, context.allowlist, context.resolve, ports=ports)
    except ValidationError as exc:
        raise FetchError(field, "; ".join(e.allowed for e in exc.errors)) from None


def _frame(source: LiveSource, definition: FeedDefinition) -> pd.DataFrame:
    return source.buffer.frame().rename(columns={"t": definition.time_column})


class MqttFeed(Source):
    """An MQTT topic. A fetch listens for ``timeout_s`` seconds (retained messages come
    first) and snapshots what arrived; a live run reads the topic continuously."""

    kind = "mqtt"
    parameters: ClassVar[dict[str, param.Parameter]] = {
        "broker_url": param.String("", doc="mqtt://HOST[:PORT] of the broker (on the "
                                           "allowlist).", label="Broker URL"),
        "topic": param.String("", doc="The MQTT topic (wildcards allowed).", label="Topic"),
    }
    fields: ClassVar[tuple[str, ...]] = ("broker_url", "topic", "timeout_s")

    def fetch(self, definition: FeedDefinition, context: FetchContext) -> Fetched:
        target = vetted(definition.broker_url, "broker_url", context, MQTT_PORTS)
        source = open_live(definition, target)
        try:
            source.start(timeout=definition.timeout_s)
        except ConnectionError as exc:
            raise FetchError("broker_url", str(exc)) from None
        try:
            time.sleep(definition.timeout_s)
        finally:
            source.stop()
        frame = _frame(source, definition)
        if frame.empty:
            raise FetchError("topic", f"no usable message on {definition.topic!r} within "
                             f"{definition.timeout_s:g} s"
                             + (f" (last refused: {source.status().last_error})"
                                if source.status().rejected else ""))
        return Fetched(source=f"mqtt {target.host}:{target.port} {definition.topic}",
                       frame=frame)


class RedisFeed(Source):
    """A Redis stream. A fetch snapshots its newest ``max_rows`` entries; a live run reads
    new entries as they are added."""

    kind = "redis"
    parameters: ClassVar[dict[str, param.Parameter]] = {
        "redis_url": param.String("", doc="redis://HOST[:PORT][/DB] (on the allowlist).",
                                  label="Redis URL"),
        "stream": param.String("", doc="The stream's key.", label="Stream"),
    }
    fields: ClassVar[tuple[str, ...]] = ("redis_url", "stream", "timeout_s")

    def fetch(self, definition: FeedDefinition, context: FetchContext) -> Fetched:
        import redis

        target = vetted(definition.redis_url, "redis_url", context, REDIS_PORTS)
        client = redis.Redis(host=target.address, port=target.port, db=_db(target.url),
                             socket_timeout=definition.timeout_s,
                             socket_connect_timeout=definition.timeout_s)
        try:
            entries = client.xrevrange(definition.stream, count=definition.max_rows)
        except redis.RedisError as exc:
            raise FetchError("redis_url", f"Redis at {target.host}:{target.port}: {exc}") \
                from None
        finally:
            client.close()
        reader = LiveSource(value_columns=tuple(definition.value_columns),
                            time_column=definition.time_column, capacity=max(1, len(entries)))
        for _id, fields in reversed(entries):
            reader.receive({k.decode(): v for k, v in fields.items()})
        frame = _frame(reader, definition)
        if frame.empty:
            raise FetchError("stream", f"no usable entry in {definition.stream!r}"
                             + (f" (last refused: {reader.status().last_error})"
                                if reader.status().rejected else ""))
        return Fetched(source=f"redis {target.host}:{target.port} {definition.stream}",
                       frame=frame)


def _db(url: str) -> int:
    from urllib.parse import urlsplit

    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def open_live(definition: FeedDefinition, target: Target,
              start_id: str | None = None) -> LiveSource:
    """A (not yet started) live source reading the feed's topic or stream at the vetted
    address, parsing its time and value columns as the definition says. ``start_id``: a
    Redis stream is read from the entry after it (default: only entries added from now)."""
    options = {"value_columns": tuple(definition.value_columns),
               "time_column": definition.time_column}
    if definition.source == "mqtt":
        return MqttSource(definition.topic, host=target.address, port=target.port, **options)
    return RedisStreamSource(definition.stream, url=f"redis://{target.address}:{target.port}"
                             f"/{_db(target.url)}", start_id=start_id or "$", **options)
