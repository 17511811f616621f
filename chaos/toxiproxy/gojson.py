"""Go ``encoding/json`` look-alike: what the embedded Toxiproxy needs to read and write JSON like Go.

Toxiproxy is written in Go, and clients (and our reference capture) see Go's exact error texts:
``bad request body: unexpected EOF``, ``invalid character 'o' in literal null (expecting 'u')``,
``json: cannot unmarshal number 1.5 into Go struct field LatencyToxic.attributes.latency of type
int64``. This module reproduces the parts of Go's decoder that the API uses:

- :func:`decode_stream` reads the *first* JSON value of a request body the way ``json.Decoder``
  does (trailing bytes after a complete value are ignored, an empty body is ``EOF``, a cut one is
  ``unexpected EOF``, syntax errors carry Go's wording). Objects come back as :class:`GoObject`
  (ordered key/value pairs, because Go matches keys case-insensitively and the last match wins);
  numbers stay :class:`Number` literals so that ``1.0`` can be refused for an integer field as Go
  does.
- :class:`Unmarshaller` converts decoded values into Python values for one Go struct and keeps
  the *first* type error, like Go's decoder, which goes on decoding after a type mismatch.
- :func:`encode` writes compact JSON like ``json.Marshal`` (HTML-safe escapes, float32 numbers in
  Go's shortest form).

Nothing here knows about proxies or toxics: the API module describes its structs with it.
"""

from __future__ import annotations

import json
import math
import re
import struct
from dataclasses import dataclass
from typing import Any, Callable, Iterable

__all__ = [
    "Field",
    "GoJSONError",
    "GoObject",
    "Number",
    "Unmarshaller",
    "decode_stream",
    "encode",
    "Float32",
    "float32",
    "format_float32",
    "go_kind",
]

_MAX_DEPTH = 400  # Go allows 10000; Python's recursion budget does not. Deeper is junk anyway.
_SPACE = b" \t\r\n"
_FLOAT32_MAX = 3.4028234663852886e38


class GoJSONError(Exception):
    """A JSON error with Go's message text (``str(error)`` is what Go's ``err.Error()`` says)."""


class Number(str):
    """A JSON number kept as its literal text, e.g. ``Number("1.5")``."""


class GoObject(list):
    """A JSON object as an ordered list of ``(key, value)`` pairs, duplicates kept."""


# --------------------------------------------------------------------------- quoting


def _quote_rune(ch: str) -> str:
    """``strconv.Quote`` of one rune, without the surrounding double quotes."""
    named = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
             "\v": "\\v", "\\": "\\\\", '"': '\\"'}
    if ch in named:
        return named[ch]
    code = ord(ch)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if ch.isprintable():
        return ch
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _quote_char(byte: int) -> str:
    """Go's ``quoteChar``: how the scanner names an offending byte in its messages."""
    if byte == ord("'"):
        return "'\\''"
    if byte == ord('"'):
        return "'\"'"
    return "'" + _quote_rune(chr(byte)) + "'"


# --------------------------------------------------------------------------- decoding


class _Scanner:
    """Recursive-descent reader over bytes that fails with Go scanner messages."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0
        self.depth = 0

    # Sentinel exception for "ran out of bytes": the caller turns it into (unexpected) EOF.
    class _Short(Exception):
        pass

    def _peek_nonspace(self) -> int:
        data, pos = self.data, self.pos
        while pos < len(data) and data[pos] in _SPACE:
            pos += 1
        self.pos = pos
        if pos >= len(data):
            raise self._Short()
        return data[pos]

    def _fail(self, byte: int, context: str) -> GoJSONError:
        return GoJSONError(f"invalid character {_quote_char(byte)} {context}")

    def value(self) -> Any:
        c = self._peek_nonspace()
        if c == ord("{"):
            return self._object()
        if c == ord("["):
            return self._array()
        if c == ord('"'):
            return self._string()
        if c == ord("-") or ord("0") <= c <= ord("9"):
            return self._number()
        if c == ord("t"):
            return self._literal(b"true", True)
        if c == ord("f"):
            return self._literal(b"false", False)
        if c == ord("n"):
            return self._literal(b"null", None)
        raise self._fail(c, "looking for beginning of value")

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise GoJSONError("exceeded max depth")

    def _object(self) -> GoObject:
        self._enter()
        self.pos += 1  # '{'
        result = GoObject()
        c = self._peek_nonspace()
        if c == ord("}"):
            self.pos += 1
            self.depth -= 1
            return result
        while True:
            c = self._peek_nonspace()
            if c != ord('"'):
                raise self._fail(c, "looking for beginning of object key string")
            key = self._string()
            c = self._peek_nonspace()
            if c != ord(":"):
                raise self._fail(c, "after object key")
            self.pos += 1
            result.append((key, self.value()))
            c = self._peek_nonspace()
            if c == ord(","):
                self.pos += 1
                continue
            if c == ord("}"):
                self.pos += 1
                self.depth -= 1
                return result
            raise self._fail(c, "after object key:value pair")

    def _array(self) -> list:
        self._enter()
        self.pos += 1  # '['
        result: list = []
        c = self._peek_nonspace()
        if c == ord("]"):
            self.pos += 1
            self.depth -= 1
            return result
        while True:
            result.append(self.value())
            c = self._peek_nonspace()
            if c == ord(","):
                self.pos += 1
                self._peek_nonspace()
                continue
            if c == ord("]"):
                self.pos += 1
                self.depth -= 1
                return result
            raise self._fail(c, "after array element")

    def _literal(self, word: bytes, value: Any) -> Any:
        data = self.data
        for i, expected in enumerate(word):
            pos = self.pos + i
            if pos >= len(data):
                raise self._Short()
            if data[pos] != expected:
                raise self._fail(data[pos], f"in literal {word.decode()} (expecting '{chr(expected)}')")
        self.pos += len(word)
        return value

    def _number(self) -> Number:
        data, start = self.data, self.pos
        pos = start
        end = len(data)

        def at(p: int) -> int:
            if p >= end:
                raise self._Short()
            return data[p]

        if data[pos] == ord("-"):
            pos += 1
            c = at(pos)
            if not ord("0") <= c <= ord("9"):
                raise self._fail(c, "in numeric literal")
        if data[pos] == ord("0"):
            pos += 1
        else:
            while pos < end and ord("0") <= data[pos] <= ord("9"):
                pos += 1
        if pos < end and data[pos] == ord("."):
            pos += 1
            c = at(pos)
            if not ord("0") <= c <= ord("9"):
                raise self._fail(c, "after decimal point in numeric literal")
            while pos < end and ord("0") <= data[pos] <= ord("9"):
                pos += 1
        if pos < end and data[pos] in b"eE":
            pos += 1
            c = at(pos)
            if c in b"+-":
                pos += 1
                c = at(pos)
            if not ord("0") <= c <= ord("9"):
                raise self._fail(c, "in exponent of numeric literal")
            while pos < end and ord("0") <= data[pos] <= ord("9"):
                pos += 1
        self.pos = pos
        return Number(data[start:pos].decode("ascii"))

    def _string(self) -> str:
        data = self.data
        pos = self.pos + 1  # opening quote
        end = len(data)
        start = pos
        has_escape = False
        while True:
            if pos >= end:
                raise self._Short()
            c = data[pos]
            if c == ord('"'):
                break
            if c < 0x20:
                raise self._fail(c, "in string literal")
            if c == ord("\\"):
                has_escape = True
                pos += 1
                if pos >= end:
                    raise self._Short()
                e = data[pos]
                if e == ord("u"):
                    for k in range(1, 5):
                        if pos + k >= end:
                            raise self._Short()
                        h = data[pos + k]
                        if h not in b"0123456789abcdefABCDEF":
                            raise self._fail(h, "in \\u hexadecimal character escape")
                    pos += 4
                elif e not in b'bfnrt\\/"':
                    raise self._fail(e, "in string escape code")
            pos += 1
        raw = data[start:pos]
        self.pos = pos + 1
        return _unquote(raw) if has_escape else raw.decode("utf-8", errors="replace")


_SIMPLE_ESCAPES = {ord("b"): "\b", ord("f"): "\f", ord("n"): "\n", ord("r"): "\r", ord("t"): "\t",
                   ord("\\"): "\\", ord("/"): "/", ord('"'): '"'}


def _unquote(raw: bytes) -> str:
    """Decode the inside of a JSON string with escapes (already validated by the scanner)."""
    out: list[str] = []
    i = 0
    plain_start = 0
    n = len(raw)
    while i < n:
        if raw[i] != ord("\\"):
            i += 1
            continue
        out.append(raw[plain_start:i].decode("utf-8", errors="replace"))
        esc = raw[i + 1]
        if esc != ord("u"):
            out.append(_SIMPLE_ESCAPES[esc])
            i += 2
        else:
            code = int(raw[i + 2:i + 6], 16)
            i += 6
            if 0xD800 <= code < 0xDC00 and raw[i:i + 2] == b"\\u":
                low = int(raw[i + 2:i + 6], 16)
                if 0xDC00 <= low < 0xE000:
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
            if 0xD800 <= code < 0xE000:
                code = 0xFFFD  # a lone surrogate, as Go's decoder does
            out.append(chr(code))
        plain_start = i
    out.append(raw[plain_start:].decode("utf-8", errors="replace"))
    return "".join(out)


def decode_stream(body: bytes) -> Any:
    """Read the first JSON value from ``body`` like ``json.NewDecoder(r).Decode``.

    Raises :class:`GoJSONError` with Go's text: ``EOF`` (nothing but space), ``unexpected EOF``
    (cut short), or a syntax error. Bytes after a complete value are ignored, as in Go.
    """
    scanner = _Scanner(body)
    try:
        return scanner.value()
    except _Scanner._Short:
        if body.strip(_SPACE):
            raise GoJSONError("unexpected EOF") from None
        raise GoJSONError("EOF") from None


# --------------------------------------------------------------------------- unmarshalling


def go_kind(value: Any) -> str:
    """How Go names a JSON value's kind in ``cannot unmarshal <kind> into ...``."""
    if isinstance(value, GoObject):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Number):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null"


def float32(value: float) -> float:
    """Round a Python float to the nearest IEEE float32, as Go stores a ``float32`` field."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


_INT_RE = re.compile(r"-?\d+\Z")
_INT_BOUNDS = {"int64": (-(2**63), 2**63 - 1), "int": (-(2**63), 2**63 - 1)}


@dataclass(frozen=True)
class Field:
    """One Go struct field: its JSON name and how to convert a JSON value into it.

    ``go_type`` is one of ``string``, ``bool``, ``*bool``, ``int64``, ``int``, ``float32``, or a
    struct type name (for fields whose value must be an object, e.g. ``zerolog.Logger``).
    """

    json_name: str
    go_type: str


class Unmarshaller:
    """Decode JSON values into plain Python values with Go's type rules and first-error-wins.

    Usage: ``u = Unmarshaller(); fields = u.struct(value, spec, struct_name="Proxy",
    type_name="toxiproxy.Proxy")``; then ``u.error`` is the first type error (or ``None``).
    """

    def __init__(self) -> None:
        self.error: GoJSONError | None = None

    def type_error(self, kind: str, struct_name: str | None, field_path: str | None, go_type: str) -> None:
        """Record Go's ``cannot unmarshal`` error unless an earlier one was recorded."""
        if self.error is not None:
            return
        go_type = go_type.lstrip("*")  # Go names the pointed-to type
        if struct_name is not None or field_path is not None:
            self.error = GoJSONError(
                f"json: cannot unmarshal {kind} into Go struct field {struct_name or ''}.{field_path or ''} of type {go_type}"
            )
        else:
            self.error = GoJSONError(f"json: cannot unmarshal {kind} into Go value of type {go_type}")

    def top_level_object(self, value: Any, type_name: str) -> GoObject | None:
        """The body must be an object; ``null`` means "no fields"; anything else is a type error."""
        if isinstance(value, GoObject):
            return value
        if value is not None:
            self.type_error(go_kind(value), None, None, type_name)
        return None

    def top_level_array(self, value: Any, type_name: str) -> list | None:
        if isinstance(value, list) and not isinstance(value, GoObject):
            return value
        if value is not None:
            self.type_error(go_kind(value), None, None, type_name)
        return None

    def struct(
        self,
        obj: GoObject,
        spec: Iterable[Field],
        struct_name: str,
        path_prefix: str = "",
        custom: dict[str, Callable[[Any], None]] | None = None,
    ) -> dict[str, Any]:
        """Assign the object's keys to the struct's fields; returns ``{json_name: value}`` for the
        fields that were set. Keys match fields exactly or else case-insensitively (Go's
        ``EqualFold``); the last matching key wins; unknown keys are ignored. ``custom`` maps a
        field's JSON name to a callback that receives the raw JSON value instead.
        """
        fields = list(spec)
        exact = {f.json_name: f for f in fields}
        folded = {}
        for f in fields:
            folded.setdefault(f.json_name.casefold(), f)
        result: dict[str, Any] = {}
        for key, value in obj:
            field = exact.get(key) or folded.get(key.casefold())
            if field is None:
                continue
            path = f"{path_prefix}{field.json_name}"
            if custom and field.json_name in custom:
                custom[field.json_name](value)
                continue
            ok, converted = self._convert(value, field.go_type, struct_name, path)
            if ok:
                result[field.json_name] = converted
        return result

    def _convert(self, value: Any, go_type: str, struct_name: str, path: str) -> tuple[bool, Any]:
        kind = go_kind(value)
        if kind == "null":
            # Go leaves a non-pointer field untouched on null and sets a pointer to nil.
            return (go_type == "*bool", None)
        if go_type == "string":
            if kind == "string":
                return True, value
        elif go_type in ("bool", "*bool"):
            if kind == "bool":
                return True, value
        elif go_type in _INT_BOUNDS:
            if kind == "number":
                lo, hi = _INT_BOUNDS[go_type]
                if _INT_RE.match(value) and len(value) <= 20 and lo <= int(value) <= hi:
                    return True, int(value)
                kind = f"number {value}"
        elif go_type == "float32":
            if kind == "number":
                number = float(value)
                if math.isfinite(number) and abs(number) <= _FLOAT32_MAX:
                    return True, float32(number)
                kind = f"number {value}"
        else:  # a struct type without exported fields we read (e.g. zerolog.Logger)
            if kind == "object":
                return False, None
        self.type_error(kind, struct_name, path, go_type)
        return False, None


# --------------------------------------------------------------------------- encoding


class Float32(float):
    """Marks a float to be written the way Go writes a ``float32`` field."""


def _shortest_float32_digits(value: float) -> tuple[str, int]:
    """Shortest significant digits (and decimal exponent) that read back as the same float32."""
    target = float32(value)
    for precision in range(0, 9):
        text = f"{abs(target):.{precision}e}"
        if float32(float(text)) == abs(target):
            break
    mantissa, exponent = text.split("e")
    return mantissa.replace(".", ""), int(exponent)


def format_float32(value: float) -> str:
    """``json.Marshal`` of a float32: ES6-style, %f between 1e-6 and 1e21, else %e (``1e-07``
    becomes ``1e-7``, ``1e+21`` stays)."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, exponent = _shortest_float32_digits(value)
    digits = digits.rstrip("0") or "0"
    magnitude = abs(float32(value))
    if 1e-6 <= magnitude < 1e21:
        point = exponent + 1  # digits before the decimal point
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{sign}{digits}{'0' * (point - len(digits))}"
        return f"{sign}{digits[:point]}.{digits[point:]}"
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exp_text = f"{abs(exponent):02d}"
    if exponent < 0 and exp_text.startswith("0"):
        exp_text = exp_text[1:]
    return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{exp_text}"


def _encode_string(text: str) -> str:
    return (json.dumps(text, ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_encode_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Float32):
        out.append(format_float32(float(value)))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(json.dumps(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(_encode_string(key))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def encode(value: Any) -> bytes:
    """Compact JSON like Go's ``json.Marshal``: key order as given, ``<``, ``>``, ``&``, U+2028
    and U+2029 escaped, non-ASCII kept as UTF-8, :class:`Float32` values in Go's float32 form."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode("utf-8")
