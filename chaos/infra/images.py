"""Container images for the docker infra driver: which Redis image to run, and how to make one with no
registry at hand.

The image is ``TASKCHAOS_REDIS_IMAGE`` (default: the official ``redis:7``). It is used when present
locally, else pulled. When the default cannot be pulled (no registry: air-gapped CI, this sandbox), the
driver builds ``taskchaos/redis:local`` from the host's own ``redis-server``: the binary, every shared
library ``ldd`` lists for it and the dynamic loader, put in a minimal root filesystem tarball and brought
in with the Engine API's import (``docker import``). ``taskchaos images build`` does the same on demand.

The image contract (docs/docker.md): a ``redis-server`` on ``PATH`` (or at /usr/bin/redis-server) that
takes command-line options. The driver runs it with an explicit argv, no entrypoint script.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from chaos.infra.base import InfraError

DEFAULT_IMAGE = "redis:7"
LOCAL_IMAGE = "taskchaos/redis:local"
IMAGE_ENV = "TASKCHAOS_REDIS_IMAGE"
PULL_ENV = "TASKCHAOS_REDIS_PULL"  # "0": never try a registry
SOURCE_LABEL = "taskchaos.redis-sha256"  # the host binary a local image was built from
IMAGE_PATH = "/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin"

_resolved: dict[str, str] = {}  # configured image → image in use, once per process


def configured_image() -> str:
    return os.environ.get(IMAGE_ENV) or DEFAULT_IMAGE


def _say(message: str) -> None:
    print(f"taskchaos: {message}", file=sys.stderr, flush=True)


def _split(image: str) -> tuple[str, str]:
    repo, _, tag = image.rpartition(":")
    if not repo or "/" in tag:  # no tag, or a registry port ("host:5000/redis")
        return image, "latest"
    return repo, tag


def _present(client, image: str) -> bool:
    import docker.errors

    try:
        client.images.get(image)
        return True
    except docker.errors.ImageNotFound:
        return False


def redis_image(client, *, say=_say) -> str:
    """The image to run Redis from, pulled or built if need be (decided once per process).

    ``TASKCHAOS_REDIS_IMAGE`` set: that image, present or pulled, else an error (never a substitute).
    Unset: ``redis:7`` when present; else ``taskchaos/redis:local`` when built earlier from the host's
    current redis-server (so an air-gapped machine asks no registry twice); else ``redis:7`` pulled;
    else ``taskchaos/redis:local``, built now."""
    wanted = configured_image()
    if wanted in _resolved and _present(client, _resolved[wanted]):
        return _resolved[wanted]
    _resolved[wanted] = _resolve(client, wanted, explicit=bool(os.environ.get(IMAGE_ENV)), say=say)
    return _resolved[wanted]


def _pull(client, image: str) -> str | None:
    """Pull ``image``; None when done, else why not."""
    if os.environ.get(PULL_ENV, "1") == "0":
        return f"pulling is off ({PULL_ENV}=0)"
    repo, tag = _split(image)
    try:
        client.images.pull(repo, tag=tag)
        return None
    except Exception as exc:  # docker.errors.APIError, or the connection giving up
        return f"cannot pull it: {getattr(exc, 'explanation', None) or exc}"


def _resolve(client, wanted: str, *, explicit: bool, say) -> str:
    if wanted == LOCAL_IMAGE:
        return ensure_local_image(client, say=say)
    if _present(client, wanted):
        return wanted
    if not explicit and _present(client, LOCAL_IMAGE) and _local_is_current(client):
        say(f"Redis image {wanted} is not present; using {LOCAL_IMAGE}, built earlier from this host's "
            f"redis-server (set {IMAGE_ENV}={wanted} to pull it instead)")
        return LOCAL_IMAGE
    why = _pull(client, wanted)
    if why is None:
        return wanted
    if explicit:
        raise InfraError(f"Redis image {wanted!r} ({IMAGE_ENV}) is not present and {why}; load it into the "
                         f"daemon (docker load / docker pull), or unset {IMAGE_ENV} to use {LOCAL_IMAGE}, "
                         f"built from this host's redis-server by `taskchaos images build`")
    say(f"Redis image {wanted} is not available ({why}); building {LOCAL_IMAGE} from this host's "
        f"redis-server instead (`taskchaos images build` does this on demand)")
    return ensure_local_image(client, say=say)


# -- the local image ----------------------------------------------------------------------------------

def find_host_redis() -> Path:
    from chaos.infra.process import find_redis_server

    return Path(find_redis_server())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _local_is_current(client) -> bool:
    try:
        labels = client.images.get(LOCAL_IMAGE).labels or {}
        return labels.get(SOURCE_LABEL) == _sha256(find_host_redis().resolve())
    except (InfraError, OSError):
        return True  # no host binary to compare with: keep what is there


def ensure_local_image(client, *, force: bool = False, say=_say) -> str:
    """``taskchaos/redis:local``, built unless a current one (same host binary) exists."""
    if not force and _present(client, LOCAL_IMAGE) and _local_is_current(client):
        return LOCAL_IMAGE
    return build_local_image(client, say=say)


_LDD_LINE = re.compile(r"^\s*(?:(\S+)\s+=>\s+)?(\S+)?\s*(?:\(0x[0-9a-f]+\))?\s*$")


def shared_libraries(binary: Path) -> list[Path]:
    """The shared libraries and the dynamic loader that ``binary`` links, as ``ldd`` lists them."""
    try:
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise InfraError("ldd not found: it is needed to build the local Redis image (Debian package libc-bin)") from None
    if out.returncode != 0:
        raise InfraError(f"ldd {binary} failed: {out.stderr.strip() or out.stdout.strip()}")
    return parse_ldd(out.stdout, binary)


def parse_ldd(text: str, binary: Path | str = "the binary") -> list[Path]:
    libraries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if "not found" in line:
            raise InfraError(f"{binary} links a library that is not installed: {line.strip()}")
        if "statically linked" in line:
            continue
        match = _LDD_LINE.match(line)
        path = match.group(2) if match else None
        if path and path.startswith("/"):  # skips linux-vdso.so.1, which the kernel provides
            libraries.append(Path(path))
    return libraries


def _add_dir(tar: tarfile.TarFile, name: str, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(name.lstrip("/"))
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, int(time.time())
    tar.addfile(info)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name.lstrip("/"))
    info.size, info.mode, info.mtime = len(data), mode, int(time.time())
    tar.addfile(info, io.BytesIO(data))


def rootfs_tarball(binary: Path) -> tuple[bytes, list[str]]:
    """A minimal root filesystem holding ``binary`` as /usr/bin/redis-server plus what it links, each
    library at the path ``ldd`` names (content of the symlink's target). Returns the tar and its files."""
    binary = Path(binary)
    real = binary.resolve()  # Debian's redis-server is a symlink to redis-check-rdb; argv[0] picks the mode
    files: dict[str, Path] = {"/usr/bin/redis-server": real}
    for lib in shared_libraries(real):
        files[str(lib)] = lib.resolve()
    dirs = {"/data", "/etc", "/tmp", "/usr/bin", "/usr/local/bin"}
    for name in files:
        parent = Path(name).parent
        while str(parent) != "/":
            dirs.add(str(parent))
            parent = parent.parent
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in sorted(dirs):
            _add_dir(tar, d, 0o1777 if d in ("/tmp", "/data") else 0o755)
        for name, source in sorted(files.items()):
            _add_bytes(tar, name, source.read_bytes(), 0o755)
        _add_bytes(tar, "/etc/passwd", b"root:x:0:0:root:/root:/bin/false\nredis:x:999:999:redis:/data:/bin/false\n", 0o644)
        _add_bytes(tar, "/etc/group", b"root:x:0:\nredis:x:999:\n", 0o644)
    return buf.getvalue(), sorted(files)


def _redis_version(binary: Path) -> str:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return "unknown"
    match = re.search(r"v=(\S+)", out)
    return match.group(1) if match else "unknown"


def build_local_image(client, *, binary: Path | None = None, say=_say) -> str:
    """Build and import ``taskchaos/redis:local`` from the host's redis-server; return its name."""
    binary = Path(binary) if binary else find_host_redis()
    data, files = rootfs_tarball(binary)
    version, sha = _redis_version(binary), _sha256(binary.resolve())
    repo, tag = _split(LOCAL_IMAGE)
    changes = [f"ENV PATH={IMAGE_PATH}", "WORKDIR /data", 'CMD ["redis-server"]',
               f"LABEL {SOURCE_LABEL}={sha}", f"LABEL taskchaos.redis-version={version}",
               f"LABEL taskchaos.source={binary}"]
    previous = client.images.get(LOCAL_IMAGE).id if _present(client, LOCAL_IMAGE) else None
    try:
        client.api.import_image_from_data(data, repository=repo, tag=tag, changes=changes)
    except Exception as exc:  # docker.errors.APIError, connection errors
        raise InfraError(f"could not import {LOCAL_IMAGE} into the Docker daemon: {exc}") from exc
    if previous and previous != client.images.get(LOCAL_IMAGE).id:
        _remove_untagged(client, previous)
    say(f"built {LOCAL_IMAGE} (redis-server {version} from {binary}, {len(files)} files, "
        f"{len(data) // 1024} KiB)")
    return LOCAL_IMAGE


def _remove_untagged(client, image_id: str) -> None:
    """Remove the image a rebuild replaced, unless a container still uses it."""
    try:
        client.images.remove(image_id)
    except Exception:  # docker.errors.APIError 409: in use; it goes with its last container
        pass


# -- CLI ------------------------------------------------------------------------------------------------

def cmd_images_build(args) -> int:
    """``taskchaos images build [--force] [--pull]``: make the Redis image the docker driver runs.

    Without ``--pull`` it builds ``taskchaos/redis:local`` from this host's redis-server (rebuilt only
    when the host binary changed, or with ``--force``). With ``--pull`` it resolves the configured
    image (``TASKCHAOS_REDIS_IMAGE``) as the driver does: present, pulled, else built."""
    from chaos.brokers import broker_kinds
    from chaos.infra.docker import connect

    # one builder per broker kind, named after it (as the drivers' methods are: InfraDriver.broker_server)
    kind = getattr(args, "kind", None) or next(iter(broker_kinds()))
    build = globals().get(f"_cmd_build_{kind.replace('-', '_')}")
    if build is None:
        print(f"taskchaos: no image builder for broker kind {kind!r} in {__name__}", file=sys.stderr)
        return 2
    return build(args, connect)


def _cmd_build_redis(args, connect) -> int:
    """``taskchaos images build [--force] [--pull]`` for Redis."""
    say = lambda m: print(m, flush=True)  # noqa: E731
    if getattr(args, "pull", False):
        found = _image_attrs(connect, lambda client: redis_image(client, say=say))
    else:
        found = _image_attrs(connect, lambda client: ensure_local_image(client, force=getattr(args, "force", False),
                                                                        say=say))
    if found is None:
        return 2
    image, attrs = found
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    version = labels.get("taskchaos.redis-version", "")
    print(f"{image}: {attrs['Id'][:19]}, {attrs.get('Size', 0) // 1024} KiB"
          + (f", redis-server {version}" if version else ""))
    if image == LOCAL_IMAGE and configured_image() not in (DEFAULT_IMAGE, LOCAL_IMAGE):
        print(f"note: {IMAGE_ENV}={configured_image()} is set, so the driver runs that image, not {LOCAL_IMAGE}")
    return 0


def _cmd_build_rabbitmq(args, connect) -> int:
    """``taskchaos images build --kind rabbitmq [--force] [--pull]``: taskchaos/rabbitmq:local, or with
    ``--pull`` the image the driver would run (TASKCHAOS_RABBITMQ_IMAGE)."""
    from chaos.infra import rabbitmq_image as rabbit

    say = lambda m: print(m, flush=True)  # noqa: E731
    if getattr(args, "force", False) and not getattr(args, "pull", False):
        found = _image_attrs(connect, lambda client: rabbit.build_local_image(client, say=say))
    else:
        found = _image_attrs(connect, lambda client: rabbit.rabbitmq_image(client, say=say))
    if found is None:
        return 2
    image, attrs = found
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    print(f"{image}: {attrs['Id'][:19]}, {attrs.get('Size', 0) // 1024} KiB"
          + (f", {labels[rabbit.SOURCE_LABEL]}" if rabbit.SOURCE_LABEL in labels else ""))
    return 0


def _image_attrs(connect, resolve) -> tuple[str, dict] | None:
    """The image ``resolve(client)`` names and its attributes; None when it failed (the error printed)."""
    try:
        client = connect()
        try:
            image = resolve(client)
            return image, client.images.get(image).attrs
        finally:
            client.close()
    except InfraError as exc:
        print(f"taskchaos: {exc}", file=sys.stderr)
        return None
