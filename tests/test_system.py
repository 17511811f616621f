"""A team's own system (chaos/system.py, targets/celery/system.py): its description is refused with the
file, the key and the fix when it cannot be used; a usable one becomes the only profile, with the
settings read from the team's app (Celery's and kombu's defaults where it sets none); and a real cell
runs the team's app — its worker, its settings — with only the broker and result addresses replaced.
"""

import zlib
from pathlib import Path

import pytest

from chaos.profile import ProfileError, get_profile, load_profiles
from chaos.system import SYSTEM_ENV, SystemDescriptionError, load_system, system_profile

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "celery-project"
GOOD = """[system]
name = "team"
backend = "celery"
app = "teamapp:app"
broker = "redis"
"""


def _write(tmp_path, text, module=None):
    (tmp_path / "taskchaos.toml").write_text(text)
    if module is not None:
        (tmp_path / "teamapp.py").write_text(module)
    return tmp_path / "taskchaos.toml"


@pytest.mark.parametrize("text, says", [
    (GOOD + 'queue = "x"\n', "taskchaos.toml:6: unknown key queue in [system]"),
    (GOOD.replace('broker = "redis"\n', ""), "[system] lacks broker"),
    (GOOD.replace('"celery"', '"huey"'), "backend = 'huey': unknown backend 'huey'"),
    (GOOD.replace('"redis"', '"kafka"'), "broker = 'kafka': backend 'celery' can use redis, rabbitmq"),
    (GOOD + 'durability = "fsync"\n', "durability = 'fsync': Redis's modes are none, rdb, aof-everysec, aof-always"),
    (GOOD + "recovery_window_s = -1\n", "recovery_window_s is a number of seconds > 0"),
    ("[systems]\n", "a system description holds one [system] table"),
])
def test_a_description_that_cannot_be_used_says_where_and_why(tmp_path, text, says):
    with pytest.raises(SystemDescriptionError) as caught:
        load_system(_write(tmp_path, text))
    assert says in str(caught.value)


@pytest.mark.parametrize("module, says", [
    ("import no_such_dependency\n", "module 'teamapp' does not import (ModuleNotFoundError"),
    ("app = object()\n", "teamapp.app is a object, not a Celery app"),
    ("from celery import Celery\napp = Celery('t')\n", None),
])
def test_their_app_must_import_and_be_a_celery_app(tmp_path, monkeypatch, module, says):
    path = _write(tmp_path, GOOD.replace('"teamapp:app"', f'"teamapp{len(module)}:app"'))
    (tmp_path / f"teamapp{len(module)}.py").write_text(module)
    if says is None:
        assert system_profile(path).settings["prefetch_multiplier"] == 4  # Celery's default, read from the app
        return
    with pytest.raises(SystemDescriptionError) as caught:
        system_profile(path)
    assert says.replace("teamapp", f"teamapp{len(module)}") in str(caught.value)
    assert "taskchaos.toml:4" in str(caught.value)  # the app key's line


def test_rabbitmq_is_refused_for_now_with_the_reason(tmp_path):
    path = _write(tmp_path, GOOD.replace('"redis"', '"rabbitmq"').replace('"teamapp:app"', '"teamapp_r:app"'))
    (tmp_path / "teamapp_r.py").write_text("from celery import Celery\napp = Celery('t')\n")
    with pytest.raises(SystemDescriptionError, match="its queue declarations, not the harness's"):
        system_profile(path)


def test_the_example_becomes_the_only_profile_with_its_own_settings(monkeypatch):
    monkeypatch.setenv(SYSTEM_ENV, str(EXAMPLE / "taskchaos.toml"))
    assert list(load_profiles()) == ["shop"]
    profile = get_profile("shop@aof-everysec")
    s = profile.settings
    assert (s["acks_late"], s["prefetch_multiplier"], s["concurrency"]) == (True, 4, 2)  # the shop's
    assert s["visibility_timeout_s"] == 3600  # kombu's default: the shop sets none
    assert (s["retries"], s["retry_countdown_s"]) == (3, 2.0)  # its base task class
    assert s["recovery_window_s"] == 20  # the description's, in place of 3,702 s
    assert "in place of the 3702.0 s their settings imply" in profile.system["replaced"]["recovery_window_s"]
    assert profile.system["as_read"]["broker_transport_options"] == {}
    assert '"system": {' in profile.to_env_json()


def test_an_unknown_profile_name_is_refused_under_a_system(monkeypatch):
    monkeypatch.setenv(SYSTEM_ENV, str(EXAMPLE / "taskchaos.toml"))
    with pytest.raises(ProfileError, match="unknown profile 'celery-default'"):
        get_profile("celery-default")


def test_a_killed_worker_of_the_shop_loses_its_acks_late_task_within_the_deadline(tmp_path, monkeypatch):
    """The shop's late ack keeps t0 in kombu's unacked hash, but its one-hour visibility timeout keeps
    it there past the 20 s the description gives recovery: lost within the deadline. The worker ran
    the shop's app (its banner), and the run records the shop's settings."""
    from chaos.cell import run_cell

    monkeypatch.setenv(SYSTEM_ENV, str(EXAMPLE / "taskchaos.toml"))
    cell = run_cell("persistence", "kill-worker", "shop@aof-everysec", budget="quick", infra="process", run_dir=tmp_path)
    assert cell.verdict.verdict == "violated", cell.summary_lines()
    assert cell.outcomes()["t0"] in ("lost", "stuck")
    banner = next(cell.directory.rglob("worker.log")).read_text()
    assert "app:         shop:" in banner


def test_init_writes_a_description_that_loads_and_refuses_a_wrong_app(tmp_path, monkeypatch, capsys):
    import shutil

    from chaos.cli import main

    shutil.copytree(EXAMPLE / "shop", tmp_path / "shop_init")
    (tmp_path / "shop_init" / "celery.py").write_text(
        (EXAMPLE / "shop" / "celery.py").read_text().replace('include=["shop.tasks"]', "include=[]"))
    monkeypatch.chdir(tmp_path)
    assert main(["init", "shop_init.celery:nope", "--backend", "celery", "--out", "bad.toml"]) == 2
    assert "module 'shop_init.celery' has no attribute 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "bad.toml").exists()
    assert main(["init", "shop_init.celery:app", "--backend", "celery", "--name", "shop-init"]) == 0
    text = (tmp_path / "taskchaos.toml").read_text()
    assert "#   task_acks_late = True" in text and "# recovery_window_s = 3702" in text
    system = load_system(tmp_path / "taskchaos.toml")
    assert (system.name, system.app, system.broker, system.durability) == ("shop-init", "shop_init.celery:app", "redis",
                                                                          "aof-everysec")
    assert main(["init", "shop_init.celery:app", "--backend", "celery"]) == 2  # never overwrites without --force
    assert "exists: pass --force" in capsys.readouterr().err


def test_the_report_page_lists_the_settings_read_from_their_app_and_what_was_replaced(monkeypatch):
    from chaos.report.html_page import environment_html

    monkeypatch.setenv(SYSTEM_ENV, str(EXAMPLE / "taskchaos.toml"))
    profile = get_profile("shop").describe()
    html = environment_html({"profiles": {"shop": profile}}, [])
    assert "<th>read from the app: task_acks_late</th><td>True</td>" in html
    assert "<th>replaced by taskchaos: broker_url</th>" in html and "behind its Toxiproxy proxy" in html
    assert "as_read" not in profile  # the report's data is left as it was read


RQ_EXAMPLE = EXAMPLE.parent / "rq-project"
RQ_GOOD = GOOD.replace('"celery"', '"rq"')


@pytest.mark.parametrize("module, says", [
    ("import no_such_dependency\n", "module 'teamrq{n}' does not import (ModuleNotFoundError"),
    ("QUEUES = 'default'\n", "QUEUES = 'default': a list of queue names"),
    ("WORKER_CLASS = 'collections.OrderedDict'\n", "is not a subclass of rq.Worker"),
    ("WORKER_CLASS = 'rq.worker.NoSuchWorker'\n", "WORKER_CLASS = 'rq.worker.NoSuchWorker' does not name a class"),
    ("SERIALIZER = 'collections'\n", "is not a serializer rq accepts"),
    ("RETRY = 3\n", "RETRY = 3: an rq.Retry"),
    ("JOB_TIMEOUT = 2.5\n", "JOB_TIMEOUT = 2.5: whole seconds > 0"),
    ("WITH_SCHEDULER = 'yes'\n", "WITH_SCHEDULER = 'yes': True or False"),
])
def test_their_rq_settings_must_import_and_make_sense(tmp_path, module, says):
    n = len(module)
    path = _write(tmp_path, RQ_GOOD.replace('"teamapp:app"', f'"teamrq{n}"'))
    (tmp_path / f"teamrq{n}.py").write_text(module)
    with pytest.raises(SystemDescriptionError) as caught:
        system_profile(path)
    assert says.format(n=n) in str(caught.value)
    assert "taskchaos.toml:4" in str(caught.value)  # the app key's line


def test_rq_names_a_settings_module_not_an_attribute(tmp_path):
    path = _write(tmp_path, RQ_GOOD)
    with pytest.raises(SystemDescriptionError, match="name the settings module your workers start with"):
        system_profile(path)


def test_rq_settings_left_out_are_rqs_own_defaults(tmp_path):
    path = _write(tmp_path, RQ_GOOD.replace('"teamapp:app"', '"teamrq_empty"'))
    (tmp_path / "teamrq_empty.py").write_text("REDIS_URL = 'redis://elsewhere:6379/0'\nSENTRY_DSN = 'x'\n")
    profile = system_profile(path)
    assert profile.system["as_read"] == {"QUEUES": ["default"], "WORKER_CLASS": "rq.worker.worker_classes.Worker",
                                         "SERIALIZER": "rq.serializers.DefaultSerializer", "MAINTENANCE_INTERVAL": 600,
                                         "WITH_SCHEDULER": False, "WORKER_TTL": 420, "RETRY": None,
                                         "JOB_TIMEOUT": 180}
    assert (profile.settings["retries"], profile.settings["lease_s"]) == (0, 660.0)  # as rq-default's
    assert "SENTRY_DSN: not read" in profile.system["replaced"]["other names"]


def test_the_rq_example_becomes_the_only_profile_with_its_own_settings(monkeypatch):
    monkeypatch.setenv(SYSTEM_ENV, str(RQ_EXAMPLE / "taskchaos.toml"))
    assert list(load_profiles()) == ["mailer"]
    profile = get_profile("mailer@aof-everysec")
    s = profile.settings
    assert (s["retries"], s["retry_countdown_s"], s["job_timeout_s"]) == (3, 4.0, 300)
    assert (s["maintenance_interval_s"], s["lease_s"]) == (30.0, 465.0)  # an idle worker sweeps at 420 - 15 s
    assert s["recovery_window_s"] == 30  # the description's, in place of 467 s
    assert "in place of the 467.0 s their settings imply" in profile.system["replaced"]["recovery_window_s"]
    assert profile.system["as_read"]["QUEUES"] == ["high", "default", "low"]
    assert profile.system["as_read"]["RETRY"] == "Retry(max=3, interval=[1, 2, 4])"


def test_init_reads_their_rq_settings_and_refuses_an_attribute(tmp_path, monkeypatch, capsys):
    import shutil

    from chaos.cli import main

    shutil.copytree(RQ_EXAMPLE / "mailer", tmp_path / "mailer_init")
    monkeypatch.chdir(tmp_path)
    assert main(["init", "mailer_init.rq_settings:QUEUES", "--backend", "rq", "--out", "bad.toml"]) == 2
    assert "name the settings module your workers start with" in capsys.readouterr().err
    assert main(["init", "mailer_init.rq_settings", "--backend", "rq", "--name", "mailer-init"]) == 0
    text = (tmp_path / "taskchaos.toml").read_text()
    assert "#   RETRY = 'Retry(max=3, interval=[1, 2, 4])'" in text and "# recovery_window_s = 467" in text
    system = load_system(tmp_path / "taskchaos.toml")
    assert (system.name, system.backend, system.app) == ("mailer-init", "rq", "mailer_init.rq_settings")


FASTAPI_EXAMPLE = EXAMPLE.parent / "fastapi-project"
FASTAPI_GOOD = """[system]
name = "web"
backend = "bgtasks"
app = "teamweb:app"
"""
PLAIN_APP = """from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.get("/{anything:path}")
def catch_all(anything: str):
    return PlainTextResponse("theirs")
"""


@pytest.mark.parametrize("description, module, says", [
    (FASTAPI_GOOD.replace('"teamweb:app"', '"teamweb"'), PLAIN_APP, "taskchaos.toml:4: app = 'teamweb': write it as "
     "module:attribute, as your server command names it"),
    (FASTAPI_GOOD, "app = object()\n", "app = 'teamweb:app' is a builtins.object, not a FastAPI app"),
    (FASTAPI_GOOD, "import no_such_dependency\n", "module 'teamweb' does not import (ModuleNotFoundError"),
    (FASTAPI_GOOD + 'broker = "redis"\n', PLAIN_APP, "taskchaos.toml:5: broker = 'redis': backend 'bgtasks' uses no "
     "broker; leave broker out"),
    (FASTAPI_GOOD + "\n[system.options]\nworkers = 4\n", PLAIN_APP, "taskchaos.toml:7: options.workers: unknown; a "
     "FastAPI app takes timeout_graceful_shutdown"),
    (FASTAPI_GOOD + "\n[system.options]\ntimeout_graceful_shutdown = 2.5\n", PLAIN_APP,
     "options.timeout_graceful_shutdown = 2.5: a whole number of seconds >= 0"),
])
def test_a_fastapi_app_that_cannot_be_judged_says_where_and_why(tmp_path, monkeypatch, description, module, says):
    monkeypatch.syspath_prepend(str(tmp_path))
    name = f"teamweb{zlib.crc32((description + module).encode())}"  # a module of its own: never one imported before
    path = _write(tmp_path, description.replace("teamweb", name))
    (tmp_path / f"{name}.py").write_text(module)
    with pytest.raises(SystemDescriptionError) as caught:
        system_profile(path)
    assert says.replace("teamweb", name) in str(caught.value)


def test_celery_takes_no_system_options_and_says_where_its_settings_come_from(tmp_path):
    path = _write(tmp_path, GOOD + "\n[system.options]\nconcurrency = 2\n", "from celery import Celery\napp = Celery()\n")
    with pytest.raises(SystemDescriptionError, match=r"taskchaos.toml:8: options.concurrency: this backend takes no "
                                                     r"\[system.options\]: every setting is read from the Celery app"):
        system_profile(path)


def test_the_signup_example_is_judged_through_the_router_it_mounts_over_its_own_pool(monkeypatch):
    monkeypatch.setenv(SYSTEM_ENV, str(FASTAPI_EXAMPLE / "taskchaos.toml"))
    assert list(load_profiles()) == ["signup"]
    profile = get_profile("signup@aof-everysec")
    assert profile.broker is None
    assert (profile.settings["contract_prefix"], profile.settings["uvicorn_graceful_timeout_s"]) == ("/_chaos", 10)
    read = profile.system["as_read"]
    assert read["background machinery"] == "concurrent.futures.thread.ThreadPoolExecutor.submit"
    assert (read["middleware"], read["lifespan"]) == (["signup.main.RequestId"], ["signup.main.lifespan"])
    assert read["contract router"] == "mounted by the app at /_chaos"
    assert "routes" not in profile.system["replaced"]  # theirs is mounted: nothing of ours is added


def test_an_app_that_mounts_no_router_gets_ours_ahead_of_its_catch_all(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient

    from targets.bgtasks.system import load_app, mounted, read

    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "plainweb.py").write_text(PLAIN_APP)
    described = read("plainweb:app", None, {})
    assert described["settings"]["contract_prefix"] == "/taskchaos"
    assert described["settings"]["uvicorn_graceful_timeout_s"] is None  # uvicorn's own default: no limit
    assert described["as_read"]["background machinery"] == "fastapi.BackgroundTasks.add_task"
    assert "mounted at /taskchaos, ahead of the app's own routes" in described["replaced"]["routes"]
    client = TestClient(mounted(load_app("plainweb:app")))
    assert client.get("/taskchaos/health").json()["backend"] == "bgtasks"
    assert client.get("/signup").text == "theirs"  # their routes are left as they are


def test_init_writes_a_description_without_a_broker_for_a_fastapi_app(tmp_path, monkeypatch):
    from chaos.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "initweb.py").write_text(PLAIN_APP)
    assert main(["init", "initweb:app", "--backend", "bgtasks", "--broker", "redis", "--out", "bad.toml"]) == 2
    assert main(["init", "initweb:app", "--backend", "bgtasks", "--name", "web"]) == 0
    text = (tmp_path / "taskchaos.toml").read_text()
    assert not any(line.startswith(("broker", "durability")) for line in text.splitlines())
    assert "# timeout_graceful_shutdown = ...  # " in text and "#   background machinery = 'fastapi.BackgroundTasks" in text
    system = load_system(tmp_path / "taskchaos.toml")
    assert (system.backend, system.broker, system.app) == ("bgtasks", None, "initweb:app")


@pytest.mark.parametrize("pool_shutdown, verdict", [
    (None, "not-claimed"),  # the example as it is: wait=False, cancel_futures=True
    ("MAIL_POOL.shutdown(wait=True, cancel_futures=False)", "holds"),
])
def test_a_deploy_of_the_signup_app_loses_its_mails_unless_its_lifespan_waits_for_them(
        tmp_path, monkeypatch, pool_shutdown, verdict):
    """stop-worker-30s: SIGTERM while t0 runs, 30 s of grace. uvicorn exits within it and re-raises the
    SIGTERM (exit code -15), so whatever the lifespan left in the pool dies with the process."""
    import shutil

    from chaos.cell import run_cell

    project = tmp_path / "project"
    shutil.copytree(FASTAPI_EXAMPLE, project, ignore=shutil.ignore_patterns("reports", "__pycache__"))
    if pool_shutdown:
        main_py = project / "signup" / "main.py"
        text = main_py.read_text()
        assert "MAIL_POOL.shutdown(wait=False, cancel_futures=True)" in text
        main_py.write_text(text.replace("MAIL_POOL.shutdown(wait=False, cancel_futures=True)", pool_shutdown))
    monkeypatch.setenv(SYSTEM_ENV, str(project / "taskchaos.toml"))
    cell = run_cell("persistence", "stop-worker-30s", "signup@aof-everysec", budget="quick", infra="process",
                    run_dir=tmp_path / "run")
    assert cell.verdict.verdict == verdict, cell.summary_lines()
    [fault] = cell.verdict.evidence["faults"]
    assert fault["struck"]["exited_within_grace"] is True and fault["struck"]["exit_code"] == -15
    assert "/_chaos/tasks" in next(cell.directory.rglob("app.log")).read_text()  # through their router
