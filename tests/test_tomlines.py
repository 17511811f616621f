"""Error messages point at the line: a table's header, or the first line setting a key inside it."""

from chaos.tomlines import line_of, where

TEXT = '''name = "x"
executor = "worker"

[profiles.a]
broker = "redis"   # comment
retries = 3

[profiles.b]
retries = 1
'''


def test_keys_and_headers_are_found_where_they_are(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text(TEXT)
    assert line_of(path, None, "executor") == 2
    assert line_of(path, "profiles.a") == 4 and line_of(path, "profiles.a", "broker") == 5
    assert line_of(path, "profiles.b", "retries") == 9  # not profiles.a's
    assert line_of(path, "profiles.b", "broker") is None and line_of(path, None, "retries") is None
    assert where(path, "profiles.a", "retries") == f"{path}:6" and where(path, "nope") == str(path)
    assert line_of(tmp_path / "missing.toml", None, "x") is None
