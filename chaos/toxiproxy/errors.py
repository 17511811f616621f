"""API errors of the embedded Toxiproxy, with the same messages and status codes as Toxiproxy 2.12.

Every handler failure is an :class:`ApiError`; ``api.py`` renders it as Go's ``apiError`` does:
the body ``{"error": <message>, "status": <code>}`` plus a newline, ``Content-Type: text/plain;
charset=utf-8`` (Go's ``http.Error`` overrides the JSON type) and ``X-Content-Type-Options:
nosniff``. Errors without a status of their own (listen failures) are 500s, as in Go.

The ``Invalid*`` errors at the bottom are ours: inputs that the real server accepts and then
misbehaves or crashes on (see ``README.md``, "Differences from the real server").
"""

from __future__ import annotations

__all__ = ["ApiError", "join_error", "bad_request_body", "missing_field", "invalid_input",
           "ERR_PROXY_NOT_FOUND", "ERR_PROXY_ALREADY_EXISTS", "ERR_INVALID_STREAM",
           "ERR_INVALID_TOXIC_TYPE", "ERR_TOXIC_ALREADY_EXISTS", "ERR_TOXIC_NOT_FOUND"]


class ApiError(Exception):
    """An error answer: ``message`` is the ``error`` field, ``status`` the HTTP status code."""

    def __init__(self, message: str, status: int = 500):
        super().__init__(message)
        self.message = message
        self.status = status

    def to_json(self) -> dict:
        return {"error": self.message, "status": self.status}


def join_error(cause: object, prefix: str, status: int) -> ApiError:
    """Go's ``joinError``: ``"<prefix>: <cause>"`` with the wrapper's status."""
    return ApiError(f"{prefix}: {cause}", status)


def bad_request_body(cause: object) -> ApiError:
    return join_error(cause, "bad request body", 400)


def missing_field(what: str) -> ApiError:
    return join_error(what, "missing required field", 400)


def invalid_input(message: str) -> ApiError:
    """A 400 for input the real server would accept and then mishandle (ours only)."""
    return ApiError(message, 400)


ERR_PROXY_NOT_FOUND = ApiError("proxy not found", 404)
ERR_PROXY_ALREADY_EXISTS = ApiError("proxy already exists", 409)
ERR_INVALID_STREAM = ApiError("stream was invalid, can be either upstream or downstream", 400)
ERR_INVALID_TOXIC_TYPE = ApiError("invalid toxic type", 400)
ERR_TOXIC_ALREADY_EXISTS = ApiError("toxic already exists", 409)
ERR_TOXIC_NOT_FOUND = ApiError("toxic not found", 404)
