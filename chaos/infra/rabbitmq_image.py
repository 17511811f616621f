"""The RabbitMQ image of the docker infra driver, made with no registry at hand.

The image is ``TASKCHAOS_RABBITMQ_IMAGE`` when set (present locally, or pulled; never a substitute).
Unset, it is ``taskchaos/rabbitmq:local``, built from the host's own installation (Debian's
``rabbitmq-server`` package): the trees ``/usr/lib/rabbitmq`` and ``/usr/lib/erlang`` with their
symlinks, Erlang's commands in ``/usr/bin``, the few shell tools the start scripts call, and every
shared library that ``ldd`` lists for an ELF file among them (the crypto NIF's libcrypto, ...), in a
minimal root filesystem brought in with the Engine API's import (``docker import``). It is rebuilt
when the host's installation changes (the label ``taskchaos.rabbitmq-source`` names its versions).

The image contract: ``rabbitmq-server`` on ``PATH`` that reads the ``RABBITMQ_*`` environment (the
official image's does too). The driver runs it as the harness's user with host networking, the
node's working directory bind-mounted at the same path, and the environment the process driver
gives a node (``chaos.infra.rabbitmq.node_files``): the same listeners on 127.0.0.1, the same files.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

from chaos.infra.base import InfraError
from chaos.infra.images import IMAGE_PATH, _add_bytes, _add_dir, _present, _pull, _say, _split, shared_libraries

LOCAL_IMAGE = "taskchaos/rabbitmq:local"
IMAGE_ENV = "TASKCHAOS_RABBITMQ_IMAGE"
SOURCE_LABEL = "taskchaos.rabbitmq-source"
TREES = ("/usr/lib/rabbitmq", "/usr/lib/erlang")
# What rabbitmq-server, rabbitmq-env and erl call (dash's sh; coreutils; debianutils' which), and the node itself.
TOOLS = ("/bin/sh", "/usr/bin/dirname", "/usr/bin/basename", "/usr/bin/readlink", "/usr/bin/expr", "/usr/bin/env",
         "/usr/bin/date", "/usr/bin/which", "/usr/bin/cat", "/usr/bin/mkdir", "/usr/bin/rm", "/usr/bin/uname",
         "/usr/bin/df", "/usr/bin/getconf")  # df and getconf: the disk and memory monitors
ERLANG_COMMANDS = ("erl", "epmd", "escript")  # /usr/bin symlinks into /usr/lib/erlang/bin

_resolved: dict[str, str] = {}


def source_versions() -> str:
    """What the local image is built from: the installed rabbitmq_server and erts directories."""
    try:
        rabbit = sorted(p.name for p in Path("/usr/lib/rabbitmq/lib").glob("rabbitmq_server-*"))
        erts = sorted(p.name for p in Path("/usr/lib/erlang").glob("erts-*"))
    except OSError:
        rabbit, erts = [], []
    if not rabbit or not erts:
        raise InfraError("RabbitMQ is not installed on this host (no /usr/lib/rabbitmq/lib/rabbitmq_server-* or "
                         "/usr/lib/erlang/erts-*): install it with apt-get install rabbitmq-server to build "
                         f"{LOCAL_IMAGE}, or set {IMAGE_ENV} to an image you have")
    return ",".join(rabbit + erts)


def _is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def _walk(root: Path):
    """Every entry under ``root``, symlinks as links (not followed)."""
    yield root
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            yield Path(dirpath) / name


def rootfs_tarball() -> tuple[bytes, int]:
    """The root filesystem of the local image, and how many files it holds."""
    entries: dict[str, Path] = {}
    for tree in TREES:
        for path in _walk(Path(tree)):
            entries[str(path)] = path
    for tool in TOOLS:
        if not Path(tool).exists():
            raise InfraError(f"{tool} not found: it is needed to build {LOCAL_IMAGE} (the start scripts call it)")
        entries[tool] = Path(tool)
    for command in ERLANG_COMMANDS:
        entries[f"/usr/bin/{command}"] = Path(f"/usr/bin/{command}")
    libraries: dict[str, Path] = {}
    for name, path in list(entries.items()):
        real = path.resolve()
        if not path.is_symlink() and path.is_file() and _is_elf(real):
            for lib in shared_libraries(real):
                libraries[str(lib)] = lib.resolve()
        elif path.is_symlink() and name in TOOLS:  # /bin/sh -> dash: the target goes in as the file itself
            entries[name] = real
    dirs = {"/tmp", "/etc", "/usr/sbin", "/var/lib/rabbitmq"}
    for name in list(entries) + list(libraries):
        parent = Path(name).parent
        while str(parent) != "/":
            dirs.add(str(parent))
            parent = parent.parent
    buf = io.BytesIO()
    count = 0
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in sorted(dirs):
            _add_dir(tar, d, 0o1777 if d == "/tmp" else 0o755)
        for name, path in sorted(entries.items()):
            if name in dirs:
                continue
            if path.is_symlink():
                info = tarfile.TarInfo(name.lstrip("/"))
                info.type, info.linkname = tarfile.SYMTYPE, os.readlink(path)
                tar.addfile(info)
            elif path.is_file():
                _add_bytes(tar, name, path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
            count += 1
        for name, real in sorted(libraries.items()):
            if name not in entries:
                _add_bytes(tar, name, real.read_bytes(), 0o755)
                count += 1
        _add_bytes(tar, "/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
        _add_bytes(tar, "/etc/group", b"root:x:0:\n", 0o644)
        _add_bytes(tar, "/etc/hosts", b"127.0.0.1 localhost\n", 0o644)  # the node is name@localhost
    return buf.getvalue(), count


def build_local_image(client, *, say=_say) -> str:
    versions = source_versions()
    data, count = rootfs_tarball()
    repo, tag = _split(LOCAL_IMAGE)
    # on PATH from its own directory: the script finds rabbitmq-env beside $0 (a symlink would not do)
    changes = [f"ENV PATH=/usr/lib/rabbitmq/bin:{IMAGE_PATH}", 'CMD ["rabbitmq-server"]',
               f"LABEL {SOURCE_LABEL}={versions}"]
    try:
        client.api.import_image_from_data(data, repository=repo, tag=tag, changes=changes)
    except Exception as exc:  # docker.errors.APIError, connection errors
        raise InfraError(f"could not import {LOCAL_IMAGE} into the Docker daemon: {exc}") from exc
    say(f"built {LOCAL_IMAGE} ({versions} from this host, {count} files, {len(data) // (1024 * 1024)} MiB)")
    return LOCAL_IMAGE


def _local_is_current(client) -> bool:
    labels = client.images.get(LOCAL_IMAGE).labels or {}
    return labels.get(SOURCE_LABEL) == source_versions()


def rabbitmq_image(client, *, say=_say) -> str:
    """The image to run RabbitMQ from (decided once per process): ``TASKCHAOS_RABBITMQ_IMAGE``, present
    or pulled, else an error; unset, ``taskchaos/rabbitmq:local``, built now unless current."""
    wanted = os.environ.get(IMAGE_ENV) or LOCAL_IMAGE
    if wanted in _resolved and _present(client, _resolved[wanted]):
        return _resolved[wanted]
    if wanted == LOCAL_IMAGE:
        if not (_present(client, LOCAL_IMAGE) and _local_is_current(client)):
            build_local_image(client, say=say)
    elif not _present(client, wanted):
        why = _pull(client, wanted)
        if why is not None:
            raise InfraError(f"RabbitMQ image {wanted!r} ({IMAGE_ENV}) is not present and {why}; load it into the "
                             f"daemon (docker load / docker pull), or unset {IMAGE_ENV} to build {LOCAL_IMAGE} "
                             f"from this host's rabbitmq-server")
    _resolved[wanted] = wanted
    return wanted
