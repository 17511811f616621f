"""Listen and upstream addresses parsed, resolved and bound the way Go's ``net`` package does.

A proxy's ``listen`` string goes through Go's ``net.Listen("tcp", addr)`` in the real server, and
its error texts reach API clients: ``listen tcp: address 99999: invalid port``, ``listen tcp
127.0.0.1:8474: bind: address already in use``. :func:`resolve` reproduces ``SplitHostPort``,
port parsing and host lookup (an empty host is the wildcard, bound dual-stack as ``[::]``);
:func:`bind_listener` creates the bound, non-blocking listening socket; :func:`format_addr` gives
Go's ``host:port`` text for the address actually bound (so port 0 is reported as the real port).

:func:`split_host_port` and :func:`parse_port` also serve ``connection.py`` when it dials an
upstream.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from dataclasses import dataclass

__all__ = ["AddressError", "ResolvedAddr", "bind_listener", "format_addr", "parse_port", "resolve",
           "resolve_without_dns", "split_host_port"]

DNS_TIMEOUT_S = 5.0


class AddressError(Exception):
    """An address problem with Go's message text (without the ``listen tcp:`` prefix)."""


@dataclass(frozen=True)
class ResolvedAddr:
    """Where to bind: ``host`` is an IP literal, or ``""`` for every interface."""

    host: str
    port: int

    @property
    def family(self) -> int:
        if self.host == "":
            return socket.AF_INET6 if socket.has_ipv6 else socket.AF_INET
        return socket.AF_INET6 if ":" in self.host else socket.AF_INET


def split_host_port(hostport: str) -> tuple[str, str]:
    """Go's ``net.SplitHostPort``, with its error texts."""

    def fail(why: str) -> AddressError:
        return AddressError(f"address {hostport}: {why}" if hostport else why)

    i = hostport.rfind(":")
    if i < 0:
        raise fail("missing port in address")
    j = k = 0
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise fail("missing ']' in address")
        if end + 1 == len(hostport):
            raise fail("missing port in address")
        if end + 1 != i:
            if hostport[end + 1] == ":":
                raise fail("too many colons in address")
            raise fail("missing port in address")
        host = hostport[1:end]
        j, k = 1, end + 1
    else:
        host = hostport[:i]
        if ":" in host:
            raise fail("too many colons in address")
    if "[" in hostport[j:]:
        raise fail("unexpected '[' in address")
    if "]" in hostport[k:]:
        raise fail("unexpected ']' in address")
    return host, hostport[i + 1:]


def parse_port(service: str) -> int:
    """Go's ``parsePort`` + ``LookupPort`` range check; service names are looked up."""
    if service == "":
        return 0
    text = service
    negative = False
    if text[0] in "+-":
        negative = text[0] == "-"
        text = text[1:]
    if text.isdigit() and text.isascii():
        port = -int(text) if negative else int(text)
        if port < 0 or port > 0xFFFF:
            raise AddressError(f"address {service}: invalid port")
        return port
    try:
        return socket.getservbyname(service, "tcp")
    except OSError:
        raise AddressError(f"lookup tcp/{service}: unknown port") from None


def resolve_without_dns(hostport: str) -> ResolvedAddr | None:
    """:func:`resolve` for addresses that need no DNS (wildcard or IP literal), else ``None``.
    Raises :class:`AddressError` for malformed addresses either way."""
    if hostport == "":
        return ResolvedAddr("", 0)
    host, port_text = split_host_port(hostport)
    port = parse_port(port_text)
    if host == "":
        return ResolvedAddr("", port)
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    return ResolvedAddr(str(ip) if ip.version == 4 else host, port)


def resolve(hostport: str) -> ResolvedAddr:
    """Resolve a ``host:port`` for listening, like Go's resolver for ``net.Listen("tcp", ...)``.

    ``""`` and ``":port"`` mean every interface; host names resolve to their first IPv4 address
    (else IPv6). A host name needs DNS, which may block: callers run that in a thread, with a
    deadline (``proxy.resolve_listen``).
    """
    literal = resolve_without_dns(hostport)
    if literal is not None:
        return literal
    host, port_text = split_host_port(hostport)
    port = parse_port(port_text)
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressError(f"lookup {host}: no such host") from None
    v4 = [info[4][0] for info in infos if info[0] == socket.AF_INET]
    v6 = [info[4][0] for info in infos if info[0] == socket.AF_INET6]
    if not v4 and not v6:
        raise AddressError(f"lookup {host}: no such host")
    return ResolvedAddr(v4[0] if v4 else v6[0], port)


def format_addr(host: str, port: int) -> str:
    """Go's ``JoinHostPort`` for a bound address: IPv6 in brackets, the wildcard as ``[::]``."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def _go_errno_text(code: int) -> str:
    """Go's syscall error strings are ``strerror`` in lower case (``address already in use``)."""
    text = os.strerror(code)
    return text[:1].lower() + text[1:]


def bind_listener(addr: ResolvedAddr, backlog: int = 512) -> socket.socket:
    """A bound, listening, non-blocking TCP socket, or :class:`AddressError` with Go's full text:
    ``listen tcp 127.0.0.1:8474: bind: address already in use``. (Errors of :func:`resolve` lack
    that prefix; callers that listen add ``listen tcp: `` to them, as Go does.)"""
    family = addr.family
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and addr.host == "":
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        host = addr.host if addr.host else ("::" if family == socket.AF_INET6 else "0.0.0.0")
        try:
            if family == socket.AF_INET6:
                sock.bind(socket.getaddrinfo(host, addr.port, family, socket.SOCK_STREAM)[0][4])
            else:
                sock.bind((host, addr.port))
        except OSError as exc:
            code = exc.errno if exc.errno is not None else errno.EINVAL
            raise AddressError(f"listen tcp {format_addr(addr.host, addr.port)}: bind: "
                               f"{_go_errno_text(code)}") from None
        sock.listen(backlog)
        sock.setblocking(False)
        return sock
    except BaseException:
        sock.close()
        raise
