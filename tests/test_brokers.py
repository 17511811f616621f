"""Broker kinds as data (chaos/brokers.toml): what a kind declares, and the errors a bad file gets."""

import pytest

from chaos.brokers import BROKERS_FILE, BrokerError, broker_kind, broker_kinds
from chaos.infra import get_driver

GOOD = BROKERS_FILE.read_text()


def load(tmp_path, text):
    path = tmp_path / "brokers.toml"
    path.write_text(text)
    broker_kinds.cache_clear()
    try:
        return broker_kinds(path)
    finally:
        broker_kinds.cache_clear()


def test_each_kind_says_how_it_is_addressed_and_where_results_live():
    redis, rabbitmq = broker_kind("redis"), broker_kind("rabbitmq")
    assert redis.url_for(6380) == "redis://127.0.0.1:6380" and redis.results == "self"
    assert rabbitmq.url_for(5673).startswith("amqp://") and rabbitmq.url_for(5673).endswith("@127.0.0.1:5673//")
    assert rabbitmq.results == "redis" and rabbitmq.results_durability in redis.modes
    assert rabbitmq.server_settings == ("consumer_timeout_ms",)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('results = "redis"', 'results = "kafka"'), "results = 'kafka'"),
    (lambda t: t.replace('results_durability = "aof-always"', 'results_durability = "fsync"'), "results_durability = 'fsync'"),
    (lambda t: t.replace('url = "redis://127.0.0.1:{port}"\n', ''), "[redis] lacks url"),
    (lambda t: t.replace('title = "Redis"', 'title = "Redis"\nport = 6379'), "[redis] has unknown keys port"),
    (lambda t: t.replace('default = "durable"', 'default = "fast"'), "default = 'fast' is none of its durability modes"),
])
def test_a_bad_brokers_file_names_the_file_the_kind_and_the_choices(tmp_path, edit, message):
    with pytest.raises(BrokerError) as info:
        load(tmp_path, edit(GOOD))
    assert message in str(info.value) and str(tmp_path / "brokers.toml") in str(info.value)


def test_a_bad_value_is_pointed_at_by_its_line(tmp_path):
    text = GOOD.replace('default = "durable"', 'default = "fast"')
    line = text.splitlines().index('default = "fast"') + 1
    with pytest.raises(BrokerError, match=rf"brokers.toml:{line}: \[rabbitmq\] default = 'fast'"):
        load(tmp_path, text)


def test_a_driver_without_a_kinds_method_says_so_and_what_to_do():
    kind = broker_kind("rabbitmq")
    fake = type(kind)(name="kafka", title="Kafka", default="x", durability={"x": {}}, url="kafka://{port}")
    with pytest.raises(Exception, match=r"cannot run Kafka .*use another --infra"):
        get_driver("process").broker_server(fake, name="kafka", port=1, durability="x", workdir=None, log_path=None,
                                            role="broker", settings={})


def test_a_profile_lacking_a_server_setting_of_its_kind_is_told_which():
    with pytest.raises(Exception, match="consumer_timeout_ms"):
        get_driver("process").broker_server(broker_kind("rabbitmq"), name="rabbitmq", port=1, durability="durable",
                                            workdir=None, log_path=None, role="broker", settings={})
