"""The network guard used in builds and tests blocks non-local hosts and allows loopback."""

import socket

import pytest

from trustlab.offline import NetworkBlocked, install


def test_remote_connection_is_refused():
    install()
    with pytest.raises(NetworkBlocked, match="blocked"):
        socket.create_connection(("203.0.113.10", 80), timeout=1)
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("cdn.jsdelivr.net", 443)


def test_loopback_is_allowed():
    install()
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    cli = socket.create_connection(srv.getsockname(), timeout=2)
    cli.close()
    srv.close()
