"""Profiles are data: they load, name their settings, and their drain windows cover the backend's
own recovery settings."""

import shutil

import pytest

from chaos.profile import TARGETS_DIR, ProfileError, durability_cells, get_profile, load_profiles
from chaos.quiesce import SLACK_S, drain_deadline_s
from chaos.records.taskspec import TaskSpec
from chaos.scenario.model import Scenario

EXPECTED_PROFILES = {"bgtasks", "celery-default", "celery-acks-late", "celery-acks-late-reject", "rq-default", "rq-retry",
                     "celery-rabbitmq", "celery-rabbitmq-acks-late", "celery-rabbitmq-acks-late-reject",
                     "celery-rabbitmq-confirms", "celery-library-defaults", "rq-library-defaults"}
LIBRARY_DEFAULTS = ("celery-library-defaults", "rq-library-defaults")


def test_the_twelve_profiles_exist():
    assert set(load_profiles()) == EXPECTED_PROFILES


@pytest.mark.parametrize("name", sorted(EXPECTED_PROFILES))
def test_every_profile_sets_redis_client_settings_explicitly(name):
    client = load_profiles()[name].redis_client
    assert {"socket_timeout_s", "socket_connect_timeout_s", "socket_keepalive", "retry_on_timeout",
            "health_check_interval_s"} <= set(client)


@pytest.mark.parametrize("name", [n for n in sorted(EXPECTED_PROFILES) if n.startswith("celery")
                                  and load_profiles()[n].broker == "redis" and n not in LIBRARY_DEFAULTS])
def test_celery_recovery_window_covers_visibility_timeout_and_one_sweep(name):
    """On Redis (kombu's visibility timeout and restore sweep; RabbitMQ redelivers when a channel closes)."""
    s = load_profiles()[name].settings
    sweep = s["unacked_restore_interval_s"] * s["unacked_restore_throttle"]
    assert s["recovery_window_s"] >= s["visibility_timeout_s"] + sweep


def test_celery_acks_profiles_differ_only_where_named():
    p = load_profiles()
    assert p["celery-default"].settings["acks_late"] is False
    assert p["celery-acks-late"].settings["acks_late"] is True
    assert p["celery-acks-late"].settings["reject_on_worker_lost"] is False
    assert p["celery-acks-late-reject"].settings["reject_on_worker_lost"] is True


@pytest.mark.parametrize("profile_id", durability_cells())
def test_every_profile_combines_with_every_durability_mode_of_its_broker(profile_id):
    assert get_profile(profile_id).id == profile_id


def test_a_mode_of_another_broker_kind_is_refused():
    with pytest.raises(ProfileError, match="unknown Redis persistence mode 'quorum' for rq-default; choose one of none"):
        get_profile("rq-default@quorum")


def test_unknown_profile_and_mode_are_clear_errors():
    with pytest.raises(ProfileError, match="unknown profile 'nope'; known profiles: bgtasks"):
        get_profile("nope")
    with pytest.raises(ProfileError, match="unknown Redis persistence mode 'fsync'"):
        get_profile("rq-default@fsync")


def test_malformed_profiles_file_names_the_file(tmp_path):
    bad = tmp_path / "profiles.toml"
    bad.write_text("[profiles.x\nbackend = 1\n")
    with pytest.raises(ProfileError, match=str(bad)):
        load_profiles(bad)


def test_drain_deadline_grows_with_durations_retries_and_recovery():
    celery = get_profile("celery-default")
    one = Scenario("s", (TaskSpec(key="a", duration_s=1.0),))
    failing = Scenario("s", (TaskSpec(key="a", duration_s=1.0, fail_times=2),))
    assert drain_deadline_s(celery, one) == pytest.approx(SLACK_S + celery.recovery_window_s + 1.0)
    assert drain_deadline_s(celery, failing) == pytest.approx(
        SLACK_S + celery.recovery_window_s + 3 * 1.0 + 2 * celery.retry_countdown_s)
    # a backend without retries gets no time for attempts it will never make
    assert drain_deadline_s(get_profile("rq-default"), failing) == pytest.approx(SLACK_S + 1.0)


def test_test_only_profiles_stay_out_of_the_chaos_cells_unless_named():
    assert "broken-drop" not in load_profiles()
    assert "broken-drop" in load_profiles(include_test_only=True)
    broken = get_profile("broken-drop")
    assert broken.backend == "dropping" and broken.broker is None


def test_a_profile_may_shorten_the_drain_slack():
    broken = get_profile("broken-drop")
    one = Scenario("s", (TaskSpec(key="a", duration_s=1.0),))
    assert drain_deadline_s(broken, one) == pytest.approx(broken.drain_slack_s + 1.0)
    assert get_profile("rq-default").drain_slack_s is None


def test_preview_profiles_run_by_name_and_join_the_cells_only_when_asked(monkeypatch, tmp_path):
    root = tmp_path / "targets"
    shutil.copytree(TARGETS_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    profiles = root / "celery" / "profiles.toml"
    profiles.write_text(profiles.read_text().replace("[profiles.celery-rabbitmq]\n", "[profiles.celery-rabbitmq]\npreview = true\n"))
    monkeypatch.delenv("TASKCHAOS_PREVIEW", raising=False)
    assert "celery-rabbitmq" not in load_profiles(root=root) and "celery-rabbitmq" in load_profiles()
    assert "celery-rabbitmq" in load_profiles(root=root, include_test_only=True)  # by name
    monkeypatch.setenv("TASKCHAOS_PREVIEW", "1")
    previews = load_profiles(root=root)
    assert previews["celery-rabbitmq"].broker == "rabbitmq" and "broken-drop" not in previews
    assert "celery-rabbitmq@transient" in durability_cells(previews)


def test_the_quick_budget_runs_only_a_profiles_quick_cells_and_says_why_not_the_others():
    rabbit, redis = get_profile("celery-rabbitmq"), get_profile("celery-default")
    assert rabbit.left_out_by("quick", "persistence", "kill-broker", "durable") is None
    assert rabbit.left_out_by("quick", "persistence", "kill-broker", None) is None  # an expectation for every mode
    why = rabbit.left_out_by("quick", "persistence", "kill-broker", "quorum")
    assert "quick_cells" in why and "--chaos-budget standard" in why
    assert rabbit.left_out_by("quick", "status", "none", "durable") is not None
    assert rabbit.left_out_by("standard", "status", "none", "durable") is None
    assert redis.left_out_by("quick", "status", "none", "aof-everysec") is None  # no quick_cells: every cell


def test_a_quick_cells_entry_naming_no_cell_is_refused(tmp_path):
    root = tmp_path / "targets"
    shutil.copytree(TARGETS_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    profiles = root / "celery" / "profiles.toml"
    profiles.write_text(profiles.read_text().replace('"persistence/kill-worker", "persistence/kill-broker@durable"',
                                                     '"persistence/kill-wroker"', 1))
    line = next(n for n, text in enumerate(profiles.read_text().splitlines(), 1) if "kill-wroker" in text)
    with pytest.raises(ProfileError, match=rf"profiles.toml:{line}: profile 'celery-rabbitmq': quick_cells entry "
                                           r"'persistence/kill-wroker' names no known cell"):
        load_profiles(root=root)


def test_the_drain_waits_for_the_clients_reconnect_backoff_after_a_broker_outage():
    """kombu's ensure_connection retries after 2, 4, 6, ... s: a node back after 21 s is tried again at
    30 s, 9 s later; a profile that does not state its backoff adds nothing."""
    from chaos.quiesce import reconnect_wait_s

    rabbit = get_profile("celery-rabbitmq")
    assert rabbit.settings["reconnect_backoff_s"] == [2, 2, 30]
    assert [reconnect_wait_s(rabbit, d) for d in (0, 1, 2, 10, 21)] == [0.0, 1.0, 0.0, 2.0, 9.0]
    assert reconnect_wait_s(rabbit, 1000) <= 30
    assert reconnect_wait_s(get_profile("celery-default"), 21) == 0.0


def test_quick_leaves_out_leaves_those_cells_to_the_standard_budget():
    from chaos.profile import get_profile

    profile = get_profile("rq-retry")
    assert "distributed/pause-worker" in profile.quick_leaves_out
    assert "quick_leaves_out" in profile.left_out_by("quick", "distributed", "pause-worker")
    assert profile.left_out_by("standard", "distributed", "pause-worker") is None
    assert profile.left_out_by("quick", "persistence", "kill-worker") is None


def test_quick_leaves_out_entries_may_name_a_mode_like_quick_cells(tmp_path):
    from dataclasses import replace

    from chaos.profile import get_profile

    profile = replace(get_profile("rq-retry"), quick_leaves_out=("persistence/kill-broker@rdb",))
    assert profile.left_out_by("quick", "persistence", "kill-broker", "rdb")
    assert profile.left_out_by("quick", "persistence", "kill-broker", "aof-always") is None


@pytest.mark.parametrize("name", LIBRARY_DEFAULTS)
def test_the_library_defaults_profiles_pass_no_client_setting_and_run_only_where_those_decide(name):
    from targets.redis_client import redis_kwargs

    profile = get_profile(name)
    assert redis_kwargs(profile.redis_client) == {}  # redis-py's own defaults: no socket timeout
    assert redis_kwargs(get_profile("rq-default").redis_client)["socket_timeout"] == 5.0
    assert profile.not_made_for("persistence", "timeout-run") is None
    why = profile.not_made_for("persistence", "kill-worker")
    assert why and "made_for" in why and "every budget" in why
    assert get_profile("celery-default").not_made_for("persistence", "kill-worker") is None


def test_a_frozen_broker_outlasts_no_socket_timeout_it_has_none_and_lasts_a_fixed_time():
    from chaos.nemesis.pause_broker import MARGIN_S, UNBOUNDED_PAUSE_S, patience_s, pause_s

    assert patience_s(get_profile("celery-library-defaults")) == float("inf")
    assert pause_s(get_profile("rq-library-defaults")) == UNBOUNDED_PAUSE_S
    assert pause_s(get_profile("rq-default")) == 5.0 + MARGIN_S


def test_a_made_for_entry_naming_no_cell_is_refused(tmp_path):
    root = tmp_path / "targets"
    shutil.copytree(TARGETS_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    profiles = root / "rq" / "profiles.toml"
    text = profiles.read_text()
    at = text.index("[profiles.rq-library-defaults]")
    profiles.write_text(text[:at] + text[at:].replace('"persistence/pause-broker"', '"persistence/pause-brokr"', 1))
    with pytest.raises(ProfileError, match=r"profile 'rq-library-defaults': made_for entry 'persistence/pause-brokr' "
                                           r"names no known cell"):
        load_profiles(root=root)
