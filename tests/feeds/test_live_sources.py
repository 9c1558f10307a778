"""Live feed sources against the machine's real Mosquitto and Redis."""

from __future__ import annotations

import json
import socket
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st
from tcp_cutter import TcpCutter

from nexus_panel.feeds.live import (
    MAX_MESSAGE_BYTES,
    FeedBuffer,
    MessageError,
    MqttSource,
    RedisStreamSource,
    parse_message,
)


def publisher(port: int) -> mqtt.Client:
    client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def publish(client: mqtt.Client, topic: str, payload: object) -> None:
    text = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    client.publish(topic, text, qos=2).wait_for_publish(5)


def wait_until(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


# --- parsing -----------------------------------------------------------------------------------
def test_parse_object_bare_number_and_refusals() -> None:
    row = parse_message(b'{"t": 2.5, "price": "3.25"}', time_column="t",
                        value_columns=("price",), arrived=99.0)
    assert row == {"t": 2.5, "price": 3.25}
    assert parse_message(b"7", time_column=None, value_columns=("v",), arrived=5.0) == \
        {"t": 5.0, "v": 7.0}
    for payload, words in [(b"{oops", "not JSON"), (b'{"t": 1}', "no field 'price'"),
                           (b'{"t": 1, "price": "NaN"}', "price = nan"),
                           (b'{"t": 1, "price": true}', "price = True"),
                           (b'{"t": 1, "price": "abc"}', "price = 'abc'"),
                           (b"x" * (MAX_MESSAGE_BYTES + 1), "too large")]:
        with pytest.raises(MessageError, match=words.replace("(", r"\(")):
            parse_message(payload, time_column="t", value_columns=("price",), arrived=0.0)


@given(st.binary(max_size=200) | st.text(max_size=200))
def test_any_payload_is_a_row_or_a_named_refusal(payload: bytes | str) -> None:
    try:
        row = parse_message(payload, time_column=None, value_columns=("v",), arrived=1.0)
    except MessageError as exc:
        assert str(exc)
    else:
        assert set(row) == {"t", "v"} and row["v"] == row["v"]  # finite, not NaN


def test_buffer_keeps_the_newest_rows() -> None:
    buffer = FeedBuffer(("v",), capacity=3)
    for i in range(5):
        buffer.append({"t": float(i), "v": i * 10.0})
    frame = buffer.frame()
    assert frame["t"].tolist() == [2.0, 3.0, 4.0] and frame["v"].tolist() == [20, 30, 40]
    assert buffer.received == 5 and len(buffer) == 3
    with pytest.raises(ValueError, match="capacity = 0"):
        FeedBuffer(("v",), capacity=0)


# --- MQTT --------------------------------------------------------------------------------------
def test_mqtt_messages_reach_the_buffer_and_bad_ones_are_counted(mqtt_port: int) -> None:
    topic = f"nexus/test/{uuid.uuid4().hex}"
    pub = publisher(mqtt_port)
    with MqttSource(topic, port=mqtt_port, time_column="t", value_columns=("C",)) as source:
        publish(pub, topic, {"t": 0, "C": 60})
        publish(pub, topic, "not json")
        publish(pub, topic, {"t": 1, "C": 61.5})
        assert source.buffer.wait_for(2, 10)
        wait_until(lambda: source.status().rejected == 1)
        assert source.buffer.frame().to_dict("list") == {"t": [0.0, 1.0], "C": [60.0, 61.5]}
        status = source.status()
        assert status.connected and status.received == 2 and "not JSON" in status.last_error
    pub.loop_stop()


def test_mqtt_reconnects_and_gets_what_was_published_meanwhile(mqtt_port: int) -> None:
    topic = f"nexus/test/{uuid.uuid4().hex}"
    cutter = TcpCutter(mqtt_port)
    pub = publisher(mqtt_port)
    try:
        with MqttSource(topic, port=cutter.port, value_columns=("v",)) as source:
            publish(pub, topic, 1)
            assert source.buffer.wait_for(1, 10)
            cutter.cut()
            wait_until(lambda: not source.status().connected)
            publish(pub, topic, 2)  # while disconnected: the broker queues it (QoS 1)
            wait_until(lambda: source.status().connected, timeout=20)
            publish(pub, topic, 3)
            assert source.buffer.wait_for(3, 10)
            assert source.buffer.frame()["v"].tolist() == [1.0, 2.0, 3.0]
            assert source.status().reconnects == 1 and cutter.accepted == 2
    finally:
        pub.loop_stop()
        cutter.close()


def test_mqtt_unreachable_broker_is_named() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = MqttSource("x", port=port, value_columns=("v",))
    with pytest.raises(ConnectionError, match=f"127.0.0.1:{port}"):
        source.start(timeout=1.5)


# --- Redis -------------------------------------------------------------------------------------
def test_redis_stream_entries_reach_the_buffer(redis_url: str) -> None:
    stream = f"nexus:test:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)
    client.xadd(stream, {"t": 0, "E": 0.5})  # before the source starts: not replayed
    try:
        with RedisStreamSource(stream, url=redis_url, time_column="t",
                               value_columns=("E",)) as source:
            client.xadd(stream, {"t": 1, "E": 0.75})
            client.xadd(stream, {"t": 2, "E": "bad"})
            client.xadd(stream, {"t": 3, "E": 0.25})
            assert source.buffer.wait_for(2, 10)
            wait_until(lambda: source.status().rejected == 1)
            assert source.buffer.frame().to_dict("list") == {"t": [1.0, 3.0], "E": [0.75, 0.25]}
            assert "E = 'bad'" in source.status().last_error
    finally:
        client.delete(stream)


def test_redis_resumes_after_the_last_entry_seen(redis_url: str) -> None:
    stream = f"nexus:test:{uuid.uuid4().hex}"
    cutter = TcpCutter(6379)
    client = redis.Redis.from_url(redis_url)
    try:
        url = f"redis://127.0.0.1:{cutter.port}/0"
        with RedisStreamSource(stream, url=url, value_columns=("v",)) as source:
            client.xadd(stream, {"v": 1})
            assert source.buffer.wait_for(1, 10)
            cutter.cut()
            client.xadd(stream, {"v": 2})  # while (or just after) the connection is down
            # (a reconnect can be quicker than a poll: wait for it, not for the gap)
            wait_until(lambda: source.status().reconnects == 1 and source.status().connected,
                       timeout=20)
            client.xadd(stream, {"v": 3})
            assert source.buffer.wait_for(3, 10)
            assert source.buffer.frame()["v"].tolist() == [1.0, 2.0, 3.0]  # none lost, none twice
            assert source.status().reconnects == 1
    finally:
        client.delete(stream)
        cutter.close()
