"""Live feed figures against the machine's Mosquitto (127.0.0.1:1883) and Redis (6379).

Target (issue 12): an MQTT message reaches the feed's buffer in at most 20 ms (median),
measured from ``publish()`` to the row being in the buffer: broker round trip, paho's
network thread, parsing and the append. The Redis figure is the same path through
``XADD`` and a blocking ``XREAD``. A service that is not running makes the benchmark fail
with the address it tried (nothing here is simulated).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid

from nexus_panel.benchmarks import Figure, quick, selected
from nexus_panel.feeds.live import MqttSource, RedisStreamSource

MQTT_TARGET_S = 0.020
MESSAGES = 200


def _latencies(send, source, count: int) -> list[float]:
    out = []
    for i in range(count):
        start = time.perf_counter()
        send(i)
        if not source.buffer.wait_for(i + 1, 5.0):
            raise RuntimeError(f"message {i} did not arrive within 5 s")
        out.append(time.perf_counter() - start)
    return out


def figures() -> list[Figure]:
    out: list[Figure] = []
    count = 30 if quick() else MESSAGES
    if selected("live_feeds.mqtt_message_to_buffer"):
        import paho.mqtt.client as mqtt

        topic = f"nexus/bench/{uuid.uuid4().hex}"
        publisher = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
        publisher.connect("127.0.0.1", 1883)
        publisher.loop_start()
        try:
            with MqttSource(topic, value_columns=("v",)) as source:
                times = _latencies(lambda i: publisher.publish(
                    topic, json.dumps({"v": i}), qos=1), source, count)
        finally:
            publisher.loop_stop()
            publisher.disconnect()
        out.append(Figure("live_feeds.mqtt_message_to_buffer", statistics.median(times),
                          target=MQTT_TARGET_S,
                          note=f"median of {count} messages published at QoS 1, Mosquitto on "
                               f"loopback; "
                               f"p95 {sorted(times)[int(0.95 * len(times))] * 1e3:.1f} ms"))
    if selected("live_feeds.redis_entry_to_buffer"):
        import redis

        stream = f"nexus:bench:{uuid.uuid4().hex}"
        client = redis.Redis(host="127.0.0.1", port=6379)
        try:
            with RedisStreamSource(stream, value_columns=("v",)) as source:
                times = _latencies(lambda i: client.xadd(stream, {"v": i}), source, count)
        finally:
            client.delete(stream)
            client.close()
        out.append(Figure("live_feeds.redis_entry_to_buffer", statistics.median(times),
                          note=f"median of {count} entries, XADD to blocking XREAD on loopback"))
    return out
