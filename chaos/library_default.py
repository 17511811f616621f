"""``LIBRARY_DEFAULT``: the value of a profile setting that is left at its library's own default.

Every built-in profile spells out each setting that changes fault behaviour; the ``*-library-defaults``
profiles show what an unconfigured deployment does instead, and say so setting by setting with this
word (the targets pass nothing for it: targets/redis_client.py ``given``). Code that needs the value's
meaning asks ``is_library_default`` and states what the library does (e.g. redis-py: no socket
timeout, a read waits for ever)."""

LIBRARY_DEFAULT = "library-default"


def is_library_default(value) -> bool:
    return value == LIBRARY_DEFAULT
