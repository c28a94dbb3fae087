"""Refuse network connections to anything but this machine.

Installed into every Python process of the build and the tests (including notebook kernels)
by ``tools/offline/sitecustomize.py`` when ``TRUSTLAB_OFFLINE=1``, so that nothing in the
course silently depends on the internet. Loopback stays open: Jupyter kernels and the
browser tests talk over 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}
_installed = False


class NetworkBlocked(OSError):
    """Raised when code tries to reach a host other than this machine."""


def _is_local(host: object) -> bool:
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    name = name.strip("[]").lower()
    if name in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(host: object) -> None:
    raise NetworkBlocked(
        f"network access to {host!r} is blocked: the course must build and run offline "
        "(TRUSTLAB_OFFLINE=1). Load data from datasets/ through trustlab.load instead.")


def install() -> None:
    """Patch the socket module so only loopback and Unix sockets can connect."""
    global _installed
    if _installed:
        return
    _installed = True
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse(address[0])
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse(address[0])
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            _refuse(host)
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
