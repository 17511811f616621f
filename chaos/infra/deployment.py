"""A deployment: the servers one profile needs (the broker, the results store, the workers, the target app), started by an
infra driver in a run directory, and what the nemesis needs to hurt them.

Layout of ``directory``: ``ledger/`` (task bodies' records), ``logs/<server>.log``, ``<kind>/`` (the broker's
data, e.g. ``redis/``, and the results store's).
The executors are the servers whose processes run task bodies: the workers ("worker", "worker-2", …),
or the app itself for BackgroundTasks. A fault that hits "the executor" picks the one running its
trigger task (:meth:`Deployment.executor_for`, by the pid the body wrote to the ledger).
"""

from __future__ import annotations

import os
import secrets
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from chaos.infra.base import InfraDriver, InfraError, Server
from chaos.infra.listeners import bind_failed, listener_pids
from chaos.infra.ports import free_port
from chaos.infra.readiness import AllOf, HttpHealth, LogLine, log_size, read_from
from chaos.infra.broker_proxy import BrokerProxy
from chaos.backends import get_backend
from chaos.brokers import broker_kind
from chaos.infra.polling import poll_until
from chaos.infra.settle import wait_settled
from chaos.profile import Profile

WORKER_NAME = "worker"
RESERVE_POLL_S = 0.02
RESERVE_DEADLINE_S = 10.0  # a worker pops a queued message in milliseconds; 10 s means it has stopped consuming
SETTLE_DEADLINE_S = 10.0  # longer than Redis postpones an AOF write (2 s), with room for a loaded machine
RECEIVE_DEADLINE_S = 10.0  # a publish reaches a running node in milliseconds; 10 s means it never will
PORT_TRIES = 3  # ports a server may try when the one chosen for it is taken before it binds it
REPO_ROOT = Path(__file__).resolve().parents[2]


# What a claim may ask the deployment to run beside the default servers (Claim.needs), with what it
# means. In backend-neutral words: what each backend does for a need is in its description.
KNOWN_NEEDS: dict[str, str] = {
    "monitor": "the backend's monitoring server (its description's capabilities.monitor) on 127.0.0.1 with basic "
               "auth, plus the profile settings it needs (Monitor.settings); a backend with no monitor runs without "
               "one and the reading records why",
    "beat": "value = period in seconds: the backend's periodic scheduler (its description's [servers.beat]) as a "
            "server, with one periodic entry of that period; a backend with none runs without one",
    "countdown_scheduler": "the workers also run the backend's scheduler of delayed tasks (countdowns), for "
                           "backends whose workers run it only when asked (TASKCHAOS_COUNTDOWN_SCHEDULER=1 in "
                           "their environment); others: nothing",
    "workers": "N >= 1 worker servers, named worker, worker-2, ..., each from the description's [servers.worker] "
               "(with the profile's concurrency). A backend whose app runs task bodies has one executor whatever N "
               "asks, and the deployment's notes say so (the seed's 'no (one process)', shown rather than assumed).",
    "reserve_ahead": "N >= 1: a worker reserves at most N messages ahead per child, set through the profile setting "
                     "its description names (capabilities.reserves_ahead) in place of the profile's value (a worker "
                     "that reserves tasks ahead runs them in arrival order, whatever their priority). A backend that "
                     "reserves nothing: nothing to set, and the deployment's notes say so.",
}


# The threads that start servers side by side. They live as long as the process: a child's
# PR_SET_PDEATHSIG (chaos/infra/process.py) fires when the *thread* that forked it exits, so servers
# started from a short-lived pool were killed the moment it shut down (seen: the app gone right after
# up() returned).
_STARTER = ThreadPoolExecutor(max_workers=8, thread_name_prefix="taskchaos-start")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _positive_int(needs: dict, name: str) -> int:
    value = needs.get(name, 1)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InfraError(f"need {name}={value!r}: expected an integer >= 1")
    return value


class Deployment:
    def __init__(self, profile: Profile, driver: InfraDriver, directory: Path, needs: dict | None = None):
        self.needs = dict(needs or {})
        unknown = sorted(set(self.needs) - set(KNOWN_NEEDS))
        if unknown:
            raise InfraError(f"a claim needs {', '.join(unknown)}, which a deployment cannot run "
                             f"(known: {', '.join(KNOWN_NEEDS) or 'none'}); see chaos/infra/deployment.py")
        self.notes: list[str] = []  # how this deployment met its needs, for the report
        self.backend = get_backend(profile.backend)
        profile = self._apply_reserve_ahead(profile)
        self.monitor = self.backend.monitor() if self.needs.get("monitor") else None
        if self.monitor and self.monitor.settings:  # what the watched servers need for the monitor to see anything
            profile = replace(profile, settings={**profile.settings, **self.monitor.settings})
        self.profile = profile
        self.driver = driver
        self.dir = Path(directory).resolve()
        self.ledger_dir = self.dir / "ledger"
        self.logs_dir = self.dir / "logs"
        self.ledger_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.servers: dict[str, Server] = {}
        self.retired: dict[str, Server] = {}  # executors a deploy replaced (retire): stopped, never started again
        # Servers that listen on a port chosen at run time, by name. A port chosen free can be taken by
        # any process before the server binds it: up() then starts that server again on a new port
        # (PORT_TRIES in all) and records each try in port_retries (see chaos/infra/listeners.py).
        self.ports: dict[str, int] = {}
        self.port_retries: list[dict] = []
        # The broker runs behind the proxy; where the backend keeps results and task state is the broker
        # itself or a server of another kind beside it, reached directly (chaos/brokers.toml: results).
        self.redis_url: str | None = None  # the results store's address (TASKCHAOS_REDIS_URL): a Redis
        self.broker_url: str | None = None  # the broker's address for its clients: always the proxy
        self.toxiproxy: BrokerProxy | None = None
        self.kind = broker_kind(profile.broker) if profile.broker else None
        self.receipts = None  # what the broker has received (its kind's receipts, bound once it is up)
        self._memory = None  # the broker's memory-pressure handle (broker_memory)
        self.results_kind = None
        if self.kind:
            self.ports[self.kind.name] = free_port()
            self.toxiproxy = BrokerProxy(listen_port=free_port(), upstream_port=self.ports[self.kind.name],
                                         log_path=self.logs_dir / "toxiproxy.log")
            self.broker_url = self._proxy_url()
            if self.kind.results == "self":
                self.redis_url = self.broker_url
            else:
                self.results_kind = broker_kind(self.kind.results)
                self.ports[self.results_kind.name] = free_port()
                self.redis_url = self.results_kind.url_for(self.ports[self.results_kind.name])
        workers = _positive_int(self.needs, "workers")
        self.worker_names = [WORKER_NAME] + [f"{WORKER_NAME}-{i}" for i in range(2, workers + 1)]
        if self.backend.executor_is_app:
            self.worker_names = []
            if workers > 1:
                self.notes.append(f"workers={workers} asked, but {profile.backend} runs task bodies in the app "
                                  f"process: one executor")
        self.ports["app"] = free_port()
        self.monitor_auth: tuple[str, str] | None = None
        self.monitor_absent_reason = (f"backend {profile.backend!r} has no monitor (capabilities.monitor is empty "
                                      f"in {self.backend.folder / 'backend.toml'})")
        if self.monitor:
            self.ports["monitor"] = free_port()
            # fresh credentials per deployment, through the monitor's environment: in no argv, log or report
            self.monitor_auth = ("taskchaos", secrets.token_urlsafe(16))
        self._names = ([k.name for k in (self.kind, self.results_kind) if k] + self.worker_names
                       + (["beat"] if self.needs.get("beat") and self.backend.has_periodic_scheduler else [])
                       + ["app"] + (["monitor"] if self.monitor else []))
        self.servers = {name: self._build(name) for name in self._names}

    # -- ports chosen at run time ----------------------------------------------------------------
    @property
    def app_port(self) -> int:
        return self.ports["app"]

    @property
    def app_url(self) -> str:
        """Where the contract's routes are: the app's root, or the prefix a team's app serves them under."""
        return f"http://127.0.0.1:{self.ports['app']}{self.profile.settings.get('contract_prefix', '')}"

    @property
    def monitor_url(self) -> str | None:
        return f"http://127.0.0.1:{self.ports['monitor']}" if "monitor" in self.ports else None

    def _proxy_url(self) -> str:
        return self.kind.url_for(self.toxiproxy.listen_port)

    def _build(self, name: str) -> Server:
        """The server ``name``, on the ports chosen now."""
        profile, driver = self.profile, self.driver
        if self.kind and name == self.kind.name:
            return driver.broker_server(self.kind, name=name, port=self.ports[name], durability=profile.persistence,
                                        workdir=self.dir / name, log_path=self.logs_dir / f"{name}.log",
                                        role="broker", settings=profile.settings)
        if self.results_kind and name == self.results_kind.name:
            return driver.broker_server(self.results_kind, name=name, port=self.ports[name],
                                        durability=self.kind.results_durability, workdir=self.dir / name,
                                        log_path=self.logs_dir / f"{name}.log", role="results",
                                        settings=profile.settings)
        if name in self.worker_names or name == "beat":
            template = self.backend.servers["worker" if name in self.worker_names else "beat"]
            argv, pattern = template.render(python=sys.executable, name=name, run_dir=self.dir, settings=profile.settings)
            log = self.logs_dir / f"{name}.log"
            return driver.python(name=name, role="worker" if name in self.worker_names else name, argv=argv,
                                 env=self._env(name), cwd=REPO_ROOT, log_path=log, ready=LogLine(log, pattern))
        if name == "app":
            graceful_s = profile.settings.get("uvicorn_graceful_timeout_s", 5)  # None: uvicorn's own default
            app_argv = [sys.executable, "-m", "uvicorn", self.backend.app, "--host", "127.0.0.1",
                        "--port", str(self.app_port), "--log-level", "info",
                        *(["--timeout-graceful-shutdown", str(graceful_s)] if graceful_s is not None else [])]
            return driver.python(name="app", role="app", argv=app_argv, env=self._env("app"), cwd=REPO_ROOT,
                                 log_path=self.logs_dir / "app.log", ready=HttpHealth(f"{self.app_url}/health"))
        if name == "monitor":
            return self._build_monitor()
        raise InfraError(f"no server named {name!r} in this deployment ({', '.join(self._names)})")

    def _build_monitor(self) -> Server:
        """The monitor server, a client of the broker (through the proxy) and of the Redis that keeps the state."""
        workdir = self.dir / "monitor"
        workdir.mkdir(parents=True, exist_ok=True)
        launch = self.monitor.launch(python=sys.executable, port=self.ports["monitor"], broker_url=self.broker_url,
                                     redis_url=self.redis_url, workdir=workdir, user=self.monitor_auth[0],
                                     password=self.monitor_auth[1])
        ready = HttpHealth(f"{self.monitor_url}{launch.health_path}", auth=self.monitor_auth)
        if launch.ready:
            ready = AllOf(ready, launch.ready)
        return self.driver.python(name="monitor", role="monitor", argv=launch.argv,
                                  env={**self._env("monitor"), **launch.env}, cwd=REPO_ROOT,
                                  log_path=self.logs_dir / f"{self.monitor.name}.log", ready=ready)

    def _apply_reserve_ahead(self, profile: Profile) -> Profile:
        if "reserve_ahead" not in self.needs:
            return profile
        count = _positive_int(self.needs, "reserve_ahead")
        setting = self.backend.reserves_ahead
        if not setting:
            self.notes.append(f"reserve_ahead={count} asked: {profile.backend} reserves no tasks ahead, nothing to set")
            return profile
        self.notes.append(f"{setting}={count} (the claim's need reserve_ahead) in place of the profile's "
                          f"{profile.settings[setting]}")
        return replace(profile, settings={**profile.settings, setting: count})

    def _env(self, server: str) -> dict:
        """``TASKCHAOS_EXECUTOR`` names the server, so that a task body records where it ran."""
        env = dict(os.environ)
        env.update({
            "TASKCHAOS_EXECUTOR": server,
            "TASKCHAOS_PROFILE": self.profile.to_env_json(),
            "TASKCHAOS_LEDGER_DIR": str(self.ledger_dir),
            "PYTHONUNBUFFERED": "1",
        })
        if self.redis_url:
            env["TASKCHAOS_REDIS_URL"] = self.redis_url
        folders = (self.profile.system or {}).get("pythonpath") or []
        if folders:  # a team's own system: its modules import in every server (chaos/system.py)
            env["PYTHONPATH"] = os.pathsep.join([*folders, *filter(None, [env.get("PYTHONPATH")])])
        if self.broker_url:
            env["TASKCHAOS_BROKER_URL"] = self.broker_url
        if self.needs.get("beat"):
            env["TASKCHAOS_BEAT_PERIOD_S"] = str(float(self.needs["beat"]))
        if self.needs.get("countdown_scheduler"):
            env["TASKCHAOS_COUNTDOWN_SCHEDULER"] = "1"
        return env

    def pending_deliveries(self) -> int | None:
        """What the broker could still hand out, asked of the broker server directly (not through the
        proxy): 0 means no redelivery is possible any more. None: no broker, or the backend cannot tell."""
        if not self.kind:
            return None
        return self.backend.pending_deliveries(self.kind.name, self.kind.url_for(self.ports[self.kind.name]))

    def broker_memory(self):
        """The broker's memory-pressure handle (its kind's ``memory`` class, on the server directly, one per
        deployment: a squeeze and its relief share it)."""
        cls = self.kind.memory_class() if self.kind else None
        if cls is None:
            raise InfraError(f"{self.kind.title if self.kind else 'no broker'}: no memory-pressure class "
                             "(chaos/brokers.toml: memory)")
        if self._memory is None:
            self._memory = cls(self.kind.url_for(self.ports[self.kind.name]))
        return self._memory

    def process_running(self, pid: int) -> bool:
        """Whether process ``pid`` (one that wrote to the ledger, or its parent) still runs."""
        return pid > 0 and self.driver.process_running(pid)

    def await_reservations(self, running: list[str], waiting: list[str] = (),
                           deadline_s: float = RESERVE_DEADLINE_S) -> dict:
        """Wait until the workers have taken from the broker all they will before one of the ``running``
        tasks (backend ids) ends, and every one of the ``waiting`` ones (acknowledged, not started) rests
        in the broker (the backend's probe, asked of the broker directly): the evidence, ``full`` None
        when the backend reserves nothing ahead or cannot tell on this broker."""
        if not self.kind:
            return {"full": None, "why": "no broker"}
        url = self.kind.url_for(self.ports[self.kind.name])
        cannot_tell = {"why": f"{self.profile.backend} on {self.kind.title}: nothing reserved ahead, or the backend "
                              "cannot see it (capabilities.reservations_full)"}

        def ask() -> dict:
            full = self.backend.reservations_full(self.kind.name, url, self.profile.settings, len(self.worker_names),
                                                  running, waiting)
            return {"full": full, **(cannot_tell if full is None else {})}

        return poll_until(ask, "full", deadline_s, RESERVE_POLL_S)

    def await_received(self, ids: list[str], deadline_s: float = RECEIVE_DEADLINE_S) -> dict:
        """Wait until the broker has received every one of ``ids`` (backend ids of acknowledged
        submissions; its kind's receipts, chaos/infra/receipts.py): the evidence, ``received`` None when
        the kind answers a write only once it has it."""
        if self.receipts is None:
            title = self.kind.title if self.kind else "no broker"
            return {"received": None, "why": f"{title} answers a client's write only once it has it "
                                             "(chaos/brokers.toml: no receipts)"}
        return self.receipts.wait(ids, deadline_s)

    def settle_broker(self, deadline_s: float = SETTLE_DEADLINE_S) -> dict:
        """Wait until the broker says it has put in its files everything it acknowledged (its kind's
        probe, asked of the server directly): the evidence, ``settled`` None when the kind has no probe."""
        probe = self.kind.settle_probe() if self.kind else None
        if probe is None:
            return {"settled": None, "why": f"{self.kind.title if self.kind else 'no broker'} has no probe of what it "
                                            "has written (chaos/brokers.toml: settled)"}
        return wait_settled(probe, self.kind.url_for(self.ports[self.kind.name]), deadline_s)

    # -- what the nemesis hurts ----------------------------------------------------------------
    @property
    def broker(self) -> Server:
        """The server in the broker role (named after its broker kind, chaos/brokers.toml)."""
        names = [name for name, server in self.servers.items() if server.role == "broker"]
        if not names:
            raise InfraError(f"profile {self.profile.id} runs no broker (backend {self.profile.backend} uses none)")
        return self.servers[names[0]]

    def server(self, role: str) -> Server:
        try:
            return self.servers[role]
        except KeyError:
            raise InfraError(f"profile {self.profile.id} has no {role} server") from None

    @property
    def executors(self) -> list[Server]:
        """The servers whose processes run task bodies: the workers, or the app (BackgroundTasks)."""
        return [self.servers[n] for n in self.worker_names] or [self.servers["app"]]

    @property
    def executor(self) -> Server:
        return self.executors[0]

    def add_worker(self) -> Server:
        """Start one more worker from the description's [servers.worker], beside the running ones (a
        deploy's new version coming up), and wait until it is ready: the new server."""
        if self.backend.executor_is_app:
            raise InfraError(f"{self.profile.backend} runs task bodies in its app: there is no worker to add")
        taken = set(self.servers) | set(self.retired)
        name = next(f"{WORKER_NAME}-{i}" for i in range(2, len(taken) + 3) if f"{WORKER_NAME}-{i}" not in taken)
        self.worker_names.append(name)
        self._names.append(name)
        self.servers[name] = self._build(name)
        self._start(name)
        return self.servers[name]

    def retire(self, server: Server) -> None:
        """Take a stopped executor out of the deployment for good (a deploy replaced it): no heal and
        no drain starts it again. It stays in ``describe()`` under ``retired``."""
        if server.is_alive():
            raise InfraError(f"{server.name} still runs: stop it before it is retired")
        if len(self.executors) < 2:
            raise InfraError(f"{server.name} is the deployment's only executor: start another before retiring it")
        self.worker_names.remove(server.name)
        self._names.remove(server.name)
        self.retired[server.name] = self.servers.pop(server.name)

    def executor_for(self, pid: int) -> Server:
        """The executor whose process ``pid`` is (a worker, its prefork child or work horse, or the app)."""
        for server in self.executors:
            if server.owns(pid):
                return server
        raise InfraError(f"pid {pid} belongs to none of {', '.join(s.name for s in self.executors)}: it has exited, "
                         f"or it is not ours; see the logs in {self.logs_dir}")

    # -- lifecycle -----------------------------------------------------------------------------
    def up(self) -> None:
        """The broker (and its proxy) first; then every other server at once — they depend on the
        broker, not on each other, and each start is mostly waiting for its readiness line."""
        try:
            if self.toxiproxy:
                self._start_proxy()
            brokers = [name for name in self._names if self.servers[name].role in ("broker", "results")]
            for name in brokers:
                self._start(name)
            self._bind_receipts()
            rest = [name for name in self._names if name not in brokers]
            failures = [f.exception() for f in [_STARTER.submit(self._start, name) for name in rest]]
            failed = [exc for exc in failures if exc is not None]
            if failed:
                raise failed[0]
        except BaseException:
            self.down()
            raise

    def _bind_receipts(self) -> None:
        """Before any client publishes: the broker kind's receipts, bound to the broker directly."""
        receipts = self.kind.receipts_class() if self.kind else None
        if receipts is not None:
            self.receipts = receipts(self.kind.url_for(self.ports[self.kind.name]))
            self.receipts.open()

    def _retry_port(self, name: str, why: str) -> None:
        old = self.ports.get(name) if name != "toxiproxy" else self.toxiproxy.listen_port
        new = free_port()
        self.port_retries.append({"server": name, "port": old, "new_port": new, "why": why})
        self.notes.append(f"{name} could not have 127.0.0.1:{old} ({why}): started again on {new}")
        if name == "toxiproxy":  # before any other server started: they are built again with the new address
            self.toxiproxy.listen_port = new
            self.broker_url = self._proxy_url()
            if self.kind.results == "self":
                self.redis_url = self.broker_url
            self.servers = {n: self._build(n) for n in self._names}
            return
        self.ports[name] = new
        self.servers[name] = self._build(name)
        if self.servers[name].role == "broker":  # every client goes through the proxy: only its upstream changes
            self.toxiproxy.retarget(new)
        elif self.servers[name].role == "results":  # reached directly: the servers not started yet learn it
            self.redis_url = self.results_kind.url_for(new)
            for other in self._names:
                if self.servers[other].role not in ("broker", "results"):
                    self.servers[other] = self._build(other)

    def _start_proxy(self) -> None:
        for attempt in range(1, PORT_TRIES + 1):
            try:
                self.toxiproxy.start()
                return
            except InfraError as exc:
                if attempt == PORT_TRIES or not bind_failed(str(exc)):
                    raise
                self._retry_port("toxiproxy", str(exc))

    def _start(self, name: str) -> None:
        """Start ``name``; a server whose port was taken before it bound it starts again on another."""
        for attempt in range(1, PORT_TRIES + 1):
            server = self.servers[name]
            mark = log_size(server.log_path)
            port = self.ports.get(name)
            try:
                server.start()
            except InfraError as exc:
                log = read_from(server.log_path, mark)
                if port is None or attempt == PORT_TRIES or not (bind_failed(log) or listener_pids(port)):
                    raise
                self._retry_port(name, f"it did not start: {_first_line(exc)}")
                continue
            if port is None or server.listens_on(port):
                return
            squatters = sorted(listener_pids(port))
            server.kill()
            if attempt == PORT_TRIES:
                raise InfraError(f"{name} was ready, but 127.0.0.1:{port} is held by pids {squatters}, not by it, "
                                 f"after {PORT_TRIES} ports; see its log: {server.log_path}")
            self._retry_port(name, f"pids {squatters} listen on it, not {name} (its readiness probe answered theirs)")

    def down(self) -> None:
        """Kill every server: the run is over and its evidence (ledger, history, logs) is written, so
        nothing is gained by a graceful stop, which waited for a worker's warm shutdown and the app's
        grace period for nothing (seconds per cell). Faults that stop a server gracefully do so
        themselves."""
        errors = []
        if self.receipts is not None:
            self.receipts.close()
        for server in [*reversed(list(self.servers.values())), *self.retired.values()]:
            try:
                server.kill()
            except InfraError as exc:  # keep killing the others, then say what was left
                errors.append(str(exc))
        if self.toxiproxy:
            self.toxiproxy.stop()
        if errors:
            raise InfraError("teardown: " + "; ".join(errors))

    def heal(self) -> list[str]:
        """Resume what is paused and start what is dead, Redis first. Returns what it did."""
        actions = self.toxiproxy.heal() if self.toxiproxy else []
        for name, server in self.servers.items():
            if server.is_paused():
                server.resume()
                actions.append(f"resumed {name}")
            if not server.is_alive():
                server.start()
                actions.append(f"started {name}")
        return actions

    def revive_crashed(self) -> list[str]:
        """Start servers that died on their own since the last heal, like a supervisor with
        ``restart: always`` would (e.g. a Celery worker that exits with "Unrecoverable error" when
        its broker connection drops — seen with kombu 5.7, cf. celery/celery#10205, celery/kombu#970)."""
        actions = []
        for name, server in self.servers.items():
            if not server.is_paused() and not server.is_alive():
                code = server.describe().get("exit_code")
                server.kill()  # reap what is left of it
                server.start()
                actions.append(f"restarted {name}, which had exited on its own (exit code {code})")
        return actions

    def describe(self) -> dict:
        return {"profile": self.profile.describe(), "needs": self.needs, "notes": self.notes,
                "driver": self.driver.name, "app_url": self.app_url, "redis_url": self.redis_url, "broker_url": self.broker_url,
                "ports": dict(self.ports), "port_retries": list(self.port_retries),
                "monitor": {"name": self.monitor.name, "url": self.monitor_url} if self.monitor else None,
                "servers": {n: s.describe() for n, s in self.servers.items()},
                "retired": {n: s.describe() for n, s in self.retired.items()},
                "toxiproxy": self.toxiproxy.describe() if self.toxiproxy else None}

    def __enter__(self) -> "Deployment":
        self.up()
        return self

    def __exit__(self, *exc) -> None:
        self.down()
