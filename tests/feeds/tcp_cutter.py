"""A loopback TCP forwarder whose connections a test can cut.

Why: a reconnect test needs the real broker (Mosquitto, Redis) to stay up for the other
tests while one client's connection drops. The client connects to this forwarder, which
relays bytes to the real service; ``cut()`` closes every relayed connection at once, as a
network failure would, and new connections are relayed again right after.
"""

from __future__ import annotations

import contextlib
import socket
import threading


def _shut(sock: socket.socket) -> None:
    """Shut both directions now (wakes any thread blocked on the socket)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class TcpCutter:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.accepted = 0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._open += [client, server]
                self.accepted += 1
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        _shut(src)
        _shut(dst)

    def cut(self) -> None:
        """Drop every relayed connection now."""
        with self._lock:
            doomed, self._open = self._open, []
        for s in doomed:
            _shut(s)
            s.close()

    def close(self) -> None:
        self._closed = True
        _shut(self._listener)  # wakes the thread blocked in accept(); close() would not
        self._listener.close()
        self.cut()
