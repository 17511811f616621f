"""chaos.toxiproxy.gojson: Go's decoder messages and encoder output (no server needed)."""

from __future__ import annotations

import pytest

from chaos.toxiproxy.gojson import (Field, Float32, GoJSONError, GoObject, Number, Unmarshaller, decode_stream, encode,
                                    format_float32)


@pytest.mark.parametrize("body, message", [
    (b"", "EOF"),
    (b"  \n", "EOF"),
    (b'{"name": "broken", ', "unexpected EOF"),
    (b"[{", "unexpected EOF"),
    (b"not json at all", "invalid character 'o' in literal null (expecting 'u')"),
    (b"{bad", "invalid character 'b' looking for beginning of object key string"),
    (b'{"a" 1}', "invalid character '1' after object key"),
    (b'{"a": 1 "b"}', "invalid character '\"' after object key:value pair"),
    (b"[1 2]", "invalid character '2' after array element"),
    (b'"\\x"', "invalid character 'x' in string escape code"),
    (b"1.x", "invalid character 'x' after decimal point in numeric literal"),
    (b"'a'", "invalid character '\\'' looking for beginning of value"),
    (b"\x01", "invalid character '\\x01' looking for beginning of value"),
    (b"-", "unexpected EOF"),
])
def test_syntax_errors_read_like_go(body, message):
    with pytest.raises(GoJSONError) as error:
        decode_stream(body)
    assert str(error.value) == message


def test_first_value_only_like_a_go_decoder():
    assert decode_stream(b'{"a": 1} trailing junk') == GoObject([("a", Number("1"))])
    assert decode_stream(b"12x") == Number("12")
    assert decode_stream(b'"\\ud83d\\ude00 \\u00e9"') == "\U0001F600 \u00e9"


def test_type_errors_name_the_go_field():
    unmarshal = Unmarshaller()
    obj = decode_stream(b'{"NAME": 123, "enabled": "yes", "latency": 1.0}')
    unmarshal.struct(obj, (Field("name", "string"), Field("enabled", "bool")), "Proxy")
    assert str(unmarshal.error) == "json: cannot unmarshal number into Go struct field Proxy.name of type string"
    ints = Unmarshaller()
    ints.struct(obj, (Field("latency", "int64"),), "LatencyToxic", "attributes.")
    assert str(ints.error) == ("json: cannot unmarshal number 1.0 into Go struct field "
                               "LatencyToxic.attributes.latency of type int64")


def test_keys_match_case_insensitively_and_the_last_wins():
    fields = Unmarshaller().struct(decode_stream(b'{"name": "a", "Name": "b", "nAmE": "c"}'),
                                   (Field("name", "string"),), "Proxy")
    assert fields == {"name": "c"}


@pytest.mark.parametrize("value, text", [
    (1.0, "1"), (0.25, "0.25"), (2.5, "2.5"), (-1.0, "-1"), (0.1, "0.1"), (1 / 3, "0.33333334"),
    (1e-7, "1e-7"), (1e21, "1e+21"), (123456789.0, "123456790"),
])
def test_float32_like_go(value, text):
    assert format_float32(value) == text


def test_encode_is_compact_ordered_and_html_safe():
    assert encode({"b": 1, "a": [True, None, Float32(0.5)], "c": "<&>\u2028é"}) == (
        '{"b":1,"a":[true,null,0.5],"c":"\\u003c\\u0026\\u003e\\u2028é"}'.encode())
