"""MQTT and Redis feeds: defined and fetched like any feed (snapshots, allowlist), against
the machine's real Mosquitto and Redis."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from nexus_panel.feeds.errors import FetchError
from nexus_panel.feeds.store import FeedStore
from nexus_panel.storage import ScenarioStore


def test_an_mqtt_feed_snapshots_what_arrives(sqlite_url: str, mqtt_port: int) -> None:
    topic = f"nexus/feeds/{uuid.uuid4().hex}"
    publisher = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
    publisher.connect("127.0.0.1", mqtt_port)
    publisher.loop_start()
    publisher.publish(topic, json.dumps({"time": 0, "C": 61}), qos=1,
                      retain=True).wait_for_publish(5)
    with ScenarioStore(sqlite_url) as store:
        feeds = FeedStore(store)
        definition = {"source": "mqtt", "broker_url": f"mqtt://127.0.0.1:{mqtt_port}",
                      "topic": topic, "time_column": "time", "value_columns": ["C"],
                      "timeout_s": 1.5, "scale": 2.0}
        feeds.add("sensor", definition)
        with pytest.raises(FetchError, match=r"broker_url: .*allowlist"):
            feeds.fetch("sensor")  # a broker is a connection like any URL: vetted
        feeds.allow(f"127.0.0.1:{mqtt_port}")

        def publish_more() -> None:
            time.sleep(0.5)
            for k in (1, 2):
                publisher.publish(topic, json.dumps({"time": k, "C": 60 + k}), qos=1)
        threading.Thread(target=publish_more).start()
        snapshot = feeds.fetch("sensor")
        assert snapshot.rows == 3
        series = feeds.series(snapshot.sha256)
        assert list(series.times) == [0.0, 1.0, 2.0]
        assert list(series.columns["C"]) == [122.0, 122.0, 124.0]  # scaled by 2
        assert "mqtt 127.0.0.1" in snapshot.source
    publisher.publish(topic, b"", retain=True).wait_for_publish(5)  # clear the retained one
    publisher.loop_stop()


def test_a_redis_feed_snapshots_the_newest_entries(sqlite_url: str,
                                                   redis_stream: Any) -> None:
    for k in range(5):
        redis_stream.client.xadd(redis_stream.name, {"time": k, "E": 0.1 * k})
    with ScenarioStore(sqlite_url) as store:
        feeds = redis_stream.define(store, "grid", "E", max_rows=3)
        snapshot = feeds.fetch("grid")
        assert snapshot.rows == 3
        assert list(feeds.series(snapshot.sha256).times) == [2.0, 3.0, 4.0]
        feeds.add("empty", {"source": "redis", "redis_url": "redis://127.0.0.1:6379/0",
                            "stream": redis_stream.name + ":none", "time_column": "time",
                            "value_columns": ["E"]})
        with pytest.raises(FetchError, match="no usable entry"):
            feeds.fetch("empty")
        assert "no usable entry" in feeds.get("empty").last_error
