"""RabbitMQ under the docker driver: a real node in a container built locally from the host's
installation (no registry), on loopback only, keeping what its durability mode keeps across a
kill -9 of the container, and removed afterwards. Needs a Docker daemon and rabbitmq-server
installed (the image is made from it); skipped, saying which is missing, without them."""

import os
import uuid

import amqp
import pytest

from chaos.brokers import broker_kind
from chaos.infra.docker import DRIVER_LABEL, DockerDriver, daemon_unavailable
from chaos.infra.ports import free_port
from chaos.infra.rabbitmq import AmqpOpen, rabbitmq_unavailable
from chaos.infra.rabbitmq_image import LOCAL_IMAGE, SOURCE_LABEL, rabbitmq_image, source_versions
from tests.test_infra_rabbitmq import DEFAULT_PORTS, listeners_of

MISSING = daemon_unavailable() or rabbitmq_unavailable()


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    if MISSING:
        pytest.skip(f"docker RabbitMQ tests need a Docker daemon and rabbitmq-server: {MISSING}")
    driver = DockerDriver(run_id=f"test-rabbitmq-{os.getpid()}")
    root = tmp_path_factory.mktemp("docker-rabbitmq")
    server = driver.broker_server(broker_kind("rabbitmq"), name="rabbitmq", port=free_port(), durability="durable",
                                  workdir=root / "node", log_path=root / "rabbitmq.log", role="broker",
                                  settings={"consumer_timeout_ms": 60_000})
    server.start()
    yield server
    instance, client = driver.instance_id, driver.client
    server.kill()
    driver.close()
    assert not client.containers.list(all=True, filters={"label": f"{DRIVER_LABEL}={instance}"})


def family(server) -> set[int]:
    return server.processes()


def test_the_image_is_built_from_this_hosts_installation(node):
    assert node.image == rabbitmq_image(node.driver.client) == LOCAL_IMAGE
    labels = node.driver.client.images.get(LOCAL_IMAGE).labels
    assert labels[SOURCE_LABEL] == source_versions()


def test_the_node_in_its_container_listens_on_loopback_only(node):
    assert AmqpOpen(node.port)() and node.listens_on(node.port)
    listeners = listeners_of(family(node))
    ports = {node.node.amqp_port, node.node.dist_port, node.node.epmd_port}
    assert {port for _, _, port in listeners} == ports and not ports & DEFAULT_PORTS
    # epmd adds ::1 beside 127.0.0.1 (see tests/test_infra_rabbitmq.py); nothing else is off 127.0.0.1
    assert {address for _, address, _ in listeners} <= {"127.0.0.1", "::1"}
    assert {(address, port) for _, address, port in listeners if address == "::1"} <= {("::1", node.node.epmd_port)}


def test_a_kill_of_the_container_keeps_a_confirmed_durable_message_and_not_a_transient_queue(node):
    durable, transient = f"taskchaos-durable-{uuid.uuid4().hex}", f"taskchaos-transient-{uuid.uuid4().hex}"
    connection = amqp.Connection(f"127.0.0.1:{node.port}", connect_timeout=5)
    connection.connect()
    connection.channel().queue_declare(durable, durable=True, auto_delete=False)
    connection.close()
    node.stop()  # graceful: the queue itself on disk (its declare-ok is no promise of that; see test_infra_rabbitmq)
    node.start()
    connection = amqp.Connection(f"127.0.0.1:{node.port}", confirm_publish=True, connect_timeout=5)
    connection.connect()
    channel = connection.channel()
    channel.queue_declare(transient, durable=False, auto_delete=False)
    channel.basic_publish(amqp.Message(b"kept", delivery_mode=2), routing_key=durable)  # confirmed: on disk
    channel.basic_publish(amqp.Message(b"lost", delivery_mode=1), routing_key=transient)
    node.kill()
    assert not node.is_alive()
    node.start()  # the same container, the same data directory
    connection = amqp.Connection(f"127.0.0.1:{node.port}", connect_timeout=5)
    connection.connect()
    try:
        channel = connection.channel()
        assert channel.queue_declare(durable, passive=True).message_count == 1
        assert channel.basic_get(durable, no_ack=True).body == b"kept"
        with pytest.raises(amqp.exceptions.NotFound):
            channel.queue_declare(transient, passive=True)
        connection.channel().queue_delete(durable)
    finally:
        connection.close()


def test_images_build_makes_the_rabbitmq_image_on_demand(node, capsys):
    from argparse import Namespace

    from chaos.infra.images import cmd_images_build

    assert cmd_images_build(Namespace(kind="rabbitmq", force=False, pull=False)) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{LOCAL_IMAGE}: sha256:") and source_versions() in out
