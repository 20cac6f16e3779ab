"""The README's promise that the tests reach nothing but 127.0.0.1, held by a guard on the test process's sockets.
These cases call the guard's check directly: no packet is sent to the refused addresses."""

import socket

import pytest

from tests.support import loopback_only


def test_the_guard_is_installed_for_every_test():
    assert loopback_only.installed()


@pytest.mark.parametrize(
    ("family", "address"),
    [
        (socket.AF_INET, ("192.0.2.1", 443)),
        (socket.AF_INET, ("10.0.0.1", 80)),
        (socket.AF_INET, ("athena.us-east-1.amazonaws.com", 443)),
        (socket.AF_INET6, ("2001:db8::1", 443, 0, 0)),
    ],
)
def test_a_connect_beyond_loopback_is_refused(family, address):
    with pytest.raises(loopback_only.BeyondLoopback, match="nothing but loopback"):
        loopback_only.check(family, address)


@pytest.mark.parametrize(
    ("family", "address"),
    [
        (socket.AF_INET, ("127.0.0.1", 4566)),
        (socket.AF_INET, ("127.8.9.10", 80)),
        (socket.AF_INET, ("localhost", 80)),
        (socket.AF_INET6, ("::1", 443, 0, 0)),
        (socket.AF_UNIX, "/tmp/some.sock"),
    ],
)
def test_loopback_and_local_sockets_pass(family, address):
    loopback_only.check(family, address)


@pytest.mark.parametrize("connect", ["connect", "connect_ex"])
def test_a_socket_of_the_test_process_is_refused_before_it_sends(connect):
    # 192.0.2.1 is TEST-NET-1: were the guard not on the socket, the connect would time out or fail otherwise.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        with pytest.raises(loopback_only.BeyondLoopback, match="nothing but loopback"):
            getattr(sock, connect)(("192.0.2.1", 9))
