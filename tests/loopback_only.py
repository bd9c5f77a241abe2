"""Tests and benchmarks send packets to loopback only, even when the outbound
guard under test is wrong: `install()` wraps the socket layer of this process
(`socket.socket.connect`, `connect_ex` and `socket.create_connection`) so a
TCP/UDP connect to anything outside 127.0.0.0/8 and ::1 raises `LeftLoopback`
before the kernel sees it, and is recorded in `ATTEMPTS`. Unix and other
socket families are untouched. Name lookups (`socket.getaddrinfo`) of
anything but an address, `localhost` or this machine's name answer "Name or
service not known" without asking a DNS server (that would be a packet too),
so a test behaves the same on a machine with DNS as on one without. Child
processes (the local stack, runners, a browser) are not covered: they are
other interpreters.

tests/conftest.py installs it for the whole session and fails a test that
made an attempt; the bench scripts install it when run (`report_at_exit`
prints the attempts and makes the exit status 3)."""
import atexit
import ipaddress
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager

ATTEMPTS: list[str] = []  # "host:port" of every connect stopped, oldest first
_originals: dict = {}


class LeftLoopback(ConnectionRefusedError):
    """A connect outside loopback, stopped before any packet was sent."""


def _local_name(host) -> bool:
    """An address, or a name the machine answers itself (no DNS query)."""
    if host is None:
        return True
    host = (host.decode() if isinstance(host, bytes) else str(host)).rstrip(".").lower()
    try:
        ipaddress.ip_address(host.split("%")[0])
        return True
    except ValueError:
        return host in ("localhost", "localhost.localdomain", socket.gethostname().lower()) or \
            host.endswith(".localhost")


def _is_loopback(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    try:
        ip = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:  # a name: what the machine itself says it is (connect would ask DNS for others)
        if not _local_name(host):
            return False
        try:
            infos = _originals["getaddrinfo"](host, None)
        except OSError:
            return False
        return all(_is_loopback(info[4][0]) for info in infos)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback  # 127.0.0.0/8 and ::1


def _stop(address) -> None:
    where = f"{address[0]}:{address[1]}" if isinstance(address, tuple) and len(address) > 1 else str(address)
    ATTEMPTS.append(where)
    raise LeftLoopback(f"the loopback-only guard stopped a connect to {where} (no packet sent): "
                       "tests and benchmarks reach loopback only")


def _inet(sock) -> bool:
    return sock.family in (socket.AF_INET, socket.AF_INET6)


def install(report_at_exit: bool = False) -> list[str]:
    """Wrap the socket layer (once); returns ATTEMPTS. With `report_at_exit`
    (a script), attempts are printed at exit and the exit status is 3."""
    if not _originals:
        _originals.update(connect=socket.socket.connect, connect_ex=socket.socket.connect_ex,
                          create_connection=socket.create_connection, getaddrinfo=socket.getaddrinfo)

        def connect(self, address):
            if _inet(self) and not _is_loopback(address[0]):
                _stop(address)
            return _originals["connect"](self, address)

        def connect_ex(self, address):
            if _inet(self) and not _is_loopback(address[0]):
                _stop(address)
            return _originals["connect_ex"](self, address)

        def create_connection(address, *args, **kwargs):
            if not _is_loopback(address[0]):
                _stop(address)
            return _originals["create_connection"](address, *args, **kwargs)

        def getaddrinfo(host, *args, **kwargs):
            if not _local_name(host):
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return _originals["getaddrinfo"](host, *args, **kwargs)

        socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
        socket.create_connection, socket.getaddrinfo = create_connection, getaddrinfo
    if report_at_exit:
        atexit.register(_report)
    return ATTEMPTS


def uninstall() -> None:
    """Put the socket layer back as it was."""
    if _originals:
        socket.socket.connect, socket.socket.connect_ex = _originals["connect"], _originals["connect_ex"]
        socket.create_connection, socket.getaddrinfo = _originals["create_connection"], _originals["getaddrinfo"]
        _originals.clear()


@contextmanager
def expected() -> Iterator[list[str]]:
    """Attempts made inside the `with` are expected (a test of a guard): the
    list yielded holds them afterwards, and they are not counted as stray."""
    mark, seen = len(ATTEMPTS), []
    try:
        yield seen
    finally:
        seen.extend(ATTEMPTS[mark:])
        del ATTEMPTS[mark:]


def _report() -> None:
    if ATTEMPTS:
        print(f"{sys.argv[0]}: connects outside loopback were stopped: {', '.join(ATTEMPTS)}", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(3)
