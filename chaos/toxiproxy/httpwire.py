"""A small HTTP/1.1 server on asyncio streams, enough for the Toxiproxy API.

It reads requests (request line, headers, a body by ``Content-Length`` or chunked), hands each
one to an async handler, and writes the handler's :class:`Response` with ``Date`` and
``Content-Length`` as Go's ``net/http`` does (none for 204, none for an empty answer to ``HEAD``;
header names sorted). Connections are kept alive (HTTP/1.1 default) until the client asks to
close or stays idle. Malformed requests get Go's ``400 Bad Request`` and the connection is
closed; the server itself never goes down over a request.

Every wait has a deadline: idle keep-alive, reading headers, reading a body, writing an answer.
Limits: headers 1 MiB (as Go's default), body 16 MiB.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import socket
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Awaitable, Callable
from urllib.parse import unquote_to_bytes, urlsplit

__all__ = ["HttpServer", "Request", "Response", "BadRequest"]

log = logging.getLogger(__name__)

IDLE_TIMEOUT_S = 120.0
READ_TIMEOUT_S = 30.0
WRITE_TIMEOUT_S = 30.0
MAX_HEADER_BYTES = 1 << 20
MAX_BODY_BYTES = 16 << 20
_TOKEN_CHARS = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class BadRequest(Exception):
    """The request cannot be parsed; ``status`` is what to answer before closing."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.status = status


@dataclass
class Request:
    method: str
    target: str
    path: str  # percent-decoded, as Go's URL.Path (what gorilla/mux routes on)
    query: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


Handler = Callable[[Request], Awaitable[Response]]


def _parse_target(target: str) -> tuple[str, str]:
    """(decoded path, raw query) of a request target, as Go's ``url.ParseRequestURI``."""
    if target.startswith("http://") or target.startswith("https://"):
        parts = urlsplit(target)
        raw_path, query = parts.path or "/", parts.query
    elif target.startswith("/"):
        raw_path, _, query = target.partition("?")
    else:
        raise BadRequest("malformed request target")
    if "#" in raw_path:
        raw_path = raw_path.split("#", 1)[0]
    i = raw_path.find("%")
    while i >= 0:
        if len(raw_path) < i + 3 or any(c not in "0123456789abcdefABCDEF" for c in raw_path[i + 1:i + 3]):
            raise BadRequest("invalid URL escape")
        i = raw_path.find("%", i + 3)
    path = unquote_to_bytes(raw_path).decode("utf-8", errors="replace")
    return path, query


class HttpServer:
    """Serve ``handler`` on a listening socket; :meth:`start` returns its port."""

    def __init__(self, handler: Handler):
        self.handler = handler
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.Task] = set()

    async def start(self, sock: socket.socket) -> int:
        """Serve on a bound, listening socket; returns its port."""
        self._server = await asyncio.start_server(self._serve, sock=sock)
        return sock.getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=5.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._connections.add(task)
        try:
            await self._serve_requests(reader, writer)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve_requests(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = True
        while True:
            try:
                request = await self._read_request(reader, writer, IDLE_TIMEOUT_S if not first else READ_TIMEOUT_S)
            except BadRequest as exc:
                status = HTTPStatus(exc.status)
                body = f"{status.value} {status.phrase}".encode()
                await self._write(writer, "HTTP/1.1", Response(
                    exc.status, {"Content-Type": "text/plain; charset=utf-8", "Connection": "close"}, body),
                    head=False)
                return
            if request is None:
                return
            first = False
            try:
                response = await self.handler(request)
            except Exception:  # a bug in a handler: answer 500, keep serving
                log.exception("API handler failed for %s %s", request.method, request.target)
                response = Response(500, {"Content-Type": "text/plain; charset=utf-8"},
                                    b"internal server error\n")
            keep_alive = self._keep_alive(request)
            if not keep_alive:
                response.headers["Connection"] = "close"
            await self._write(writer, request.version, response, head=request.method == "HEAD")
            if not keep_alive:
                return

    @staticmethod
    def _keep_alive(request: Request) -> bool:
        connection = (request.header("Connection") or "").lower()
        if request.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection

    async def _read_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                            idle_timeout_s: float) -> Request | None:
        try:
            async with asyncio.timeout(idle_timeout_s):
                line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                raise BadRequest("truncated request line") from None
            return None
        except asyncio.LimitOverrunError:
            raise BadRequest("request line too long", 431) from None
        except TimeoutError:
            return None
        while line in (b"\r\n", b"\n"):  # Go tolerates empty lines before a request
            async with asyncio.timeout(READ_TIMEOUT_S):
                line = await reader.readuntil(b"\n")
        async with asyncio.timeout(READ_TIMEOUT_S):
            head = bytearray(line)
            while True:
                try:
                    header_line = await reader.readuntil(b"\n")
                except asyncio.LimitOverrunError:
                    raise BadRequest("header line too long", 431) from None
                except asyncio.IncompleteReadError:
                    raise BadRequest("truncated headers") from None
                head += header_line
                if len(head) > MAX_HEADER_BYTES:
                    raise BadRequest("headers too large", 431)
                if header_line in (b"\r\n", b"\n"):
                    break
            request = self._parse_head(bytes(head))
            request.body = await self._read_body(request, reader, writer)
        return request

    @staticmethod
    def _parse_head(head: bytes) -> Request:
        try:
            text = head.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes everything
            raise BadRequest("undecodable head") from None
        lines = text.split("\n")
        request_line = lines[0].rstrip("\r")
        parts = request_line.split(" ")
        if len(parts) != 3:
            raise BadRequest("malformed request line")
        method, target, version = parts
        if not method or any(ord(c) not in _TOKEN_CHARS for c in method):
            raise BadRequest("invalid method")
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            if version.startswith("HTTP/"):
                raise BadRequest("unsupported HTTP version", 505)
            raise BadRequest("malformed HTTP version")
        if method == "CONNECT" or not target:
            raise BadRequest("unsupported request target")
        path, query = _parse_target(target)
        headers: list[tuple[str, str]] = []
        for raw in lines[1:]:
            raw = raw.rstrip("\r")
            if not raw:
                continue
            name, sep, value = raw.partition(":")
            if not sep or not name or any(ord(c) not in _TOKEN_CHARS for c in name):
                raise BadRequest("malformed header line")
            headers.append((name, value.strip(" \t")))
        return Request(method, target, path, query, version, headers)

    @staticmethod
    async def _read_body(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
        transfer = (request.header("Transfer-Encoding") or "").lower()
        length_text = request.header("Content-Length")
        if (request.header("Expect") or "").lower() == "100-continue" and request.version == "HTTP/1.1":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if transfer:
            if transfer != "chunked":
                raise BadRequest("unsupported transfer encoding", 501)
            body = bytearray()
            while True:
                size_line = await reader.readuntil(b"\n")
                size_text = size_line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise BadRequest("malformed chunk size") from None
                if size < 0 or len(body) + size > MAX_BODY_BYTES:
                    raise BadRequest("request body too large", 413)
                if size == 0:
                    while (await reader.readuntil(b"\n")) not in (b"\r\n", b"\n"):
                        pass
                    return bytes(body)
                body += await reader.readexactly(size)
                await reader.readuntil(b"\n")
        if length_text is None:
            return b""
        if not length_text.isdigit():
            raise BadRequest("malformed Content-Length")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise BadRequest("request body too large", 413)
        return await reader.readexactly(length)

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, version: str, response: Response, head: bool) -> None:
        status = HTTPStatus(response.status)
        headers = dict(response.headers)
        headers["Date"] = email.utils.formatdate(usegmt=True)
        no_body_allowed = response.status in (204, 304) or response.status < 200
        if not no_body_allowed and (response.body or not head):
            headers["Content-Length"] = str(len(response.body))
        lines = [f"{'HTTP/1.1' if version == 'HTTP/1.1' else 'HTTP/1.0'} {status.value} {status.phrase}"]
        lines += [f"{name}: {value}" for name, value in sorted(headers.items())]
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
        if not head and not no_body_allowed:
            payload += response.body
        writer.write(payload)
        async with asyncio.timeout(WRITE_TIMEOUT_S):
            await writer.drain()
