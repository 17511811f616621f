"""``GET /inflight``: the submissions whose hand-over to the backend has not returned — what tells a
call still hanging in the app (a client setting without a timeout) from one that failed."""

import contextlib
import socket
import threading
import time

import uvicorn
from fastapi.testclient import TestClient

from chaos.client import TargetClient
from chaos.records.history import History
from chaos.records.taskspec import TaskSpec
from targets.contract import build_app


class BlockingAdapter:
    """submit() waits until released, as a .delay() does on a connection whose reply never comes."""
    backend = "blocking"
    features = frozenset()

    def __init__(self):
        self.entered = threading.Event()
        self.release = threading.Event()

    def submit(self, spec, schedule):
        self.entered.set()
        assert self.release.wait(10), "the test never released the submission"
        return f"id-{spec.key}"


def test_a_submission_inside_its_hand_over_is_listed_until_it_returns(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKCHAOS_LEDGER_DIR", str(tmp_path))
    adapter = BlockingAdapter()
    with TestClient(build_app(adapter)) as http:
        assert http.get("/inflight").json() == {"submissions": []}
        answer = {}
        submit = threading.Thread(target=lambda: answer.update(r=http.post("/tasks", json=TaskSpec(key="t1").model_dump())))
        submit.start()
        assert adapter.entered.wait(10)
        hanging = http.get("/inflight").json()["submissions"]
        assert [h["key"] for h in hanging] == ["t1"] and hanging[0]["for_s"] >= 0
        adapter.release.set()
        submit.join(10)
        assert answer["r"].status_code == 202
        assert http.get("/inflight").json() == {"submissions": []}


@contextlib.contextmanager
def serving(app):
    """The app on a real uvicorn server on 127.0.0.1 (a port the kernel picks), in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_the_client_asks_when_it_gives_up_and_the_history_says_what_was_hanging(tmp_path, monkeypatch):
    """A submission the client times out on while the app is still inside the call is listed under
    ``gave_up_on``; the reading after the drain under ``at_the_end``; the report page says both."""
    import chaos.client as client_module
    from chaos.report.html_page import hanging_html

    monkeypatch.setenv("TASKCHAOS_LEDGER_DIR", str(tmp_path))
    monkeypatch.setattr(client_module, "SUBMIT_TIMEOUT_S", 0.5)
    adapter = BlockingAdapter()
    history = History(tmp_path / "history.jsonl")
    with serving(build_app(adapter)) as url:
        client = TargetClient(url, history)
        assert client.submit(TaskSpec(key="t1")) is None  # timed out: info
        assert [h["key"] for h in client.inflight()] == ["t1"]  # the end-of-run reading: still inside
        adapter.release.set()
        client.close()
    hanging = history.hanging_submissions()
    assert [h["key"] for h in hanging["gave_up_on"]] == ["t1"] and [h["key"] for h in hanging["at_the_end"]] == ["t1"]
    assert hanging["unanswered"] == 0
    page = hanging_html(hanging)
    assert "when the client gave up: t1" in page and "after the drain: t1" in page
    assert History().hanging_submissions() is None and hanging_html(None) == ""  # an app that never said
