"""The suite's network boundary, enforced in the test process: a TCP/UDP connect to anything but a loopback
address is refused before a packet leaves (README: "the tests reach nothing but 127.0.0.1"). Child processes
(LocalStack, Chromium) are started on 127.0.0.1 by the code under test; this guards the test process itself."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_CONNECT = socket.socket.connect
_CONNECT_EX = socket.socket.connect_ex


class BeyondLoopback(ConnectionRefusedError):
    """A test tried to reach an address other than loopback."""


def check(family: int, address: Any) -> None:
    if family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets and pipes stay on the machine
    host = address[0]
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False  # a host name: its address is not known here, so it is not loopback
    if not loopback:
        raise BeyondLoopback(f"the tests reach nothing but loopback; refused a connect to {address!r}")


def _connect(self: socket.socket, address: Any) -> None:
    check(self.family, address)
    return _CONNECT(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    check(self.family, address)
    return _CONNECT_EX(self, address)


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]


def installed() -> bool:
    return socket.socket.connect is _connect and socket.socket.connect_ex is _connect_ex
