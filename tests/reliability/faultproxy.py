"""A TCP proxy on 127.0.0.1 that cuts connections: a network that drops mid-transfer.

    proxy = CuttingProxy(target_port)
    proxy.cut_down_after = 40_000   # reset the connection after 40 kB from the server
    proxy.cut_up_after = 60_000     # ... or after 60 kB from the client (a push's pack)
    proxy.cut_down_after = proxy.cut_up_after = None  # the network is back

A cut resets both sides (SO_LINGER 0), as a dropped Wi-Fi or a killed tunnel does.
"""

from __future__ import annotations

import socket
import struct
import threading


class CuttingProxy:
    def __init__(self, target_port: int):
        self.target_port = target_port
        self.cut_down_after: int | None = None
        self.cut_up_after: int | None = None
        self.cuts = 0
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, name: str = "hub.git") -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        self._stop = True
        self.server.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            done = threading.Event()
            limits = (self.cut_up_after, self.cut_down_after)
            threading.Thread(target=self._pipe, args=(client, upstream, limits[0], done), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, limits[1], done), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None, done: threading.Event) -> None:
        sent = 0
        try:
            while not done.is_set():
                data = src.recv(8192)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                if limit is not None and sent + len(data) > limit:
                    dst.sendall(data[: max(0, limit - sent)])
                    self.cuts += 1
                    self._reset(src, dst, done)
                    return
                dst.sendall(data)
                sent += len(data)
        except OSError:
            self._reset(src, dst, done)

    @staticmethod
    def _reset(a: socket.socket, b: socket.socket, done: threading.Event) -> None:
        done.set()
        for s in (a, b):
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RDWR)  # wakes the other direction's thread blocked in recv
            except OSError:
                pass
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass
