"""The one wait loop of the faults' probes (chaos/infra/polling.py): True ends it, None (cannot tell)
ends it at once, False keeps asking until the deadline has passed."""

from chaos.infra.polling import poll_until


def _answers(*values):
    it = iter(values)
    return lambda: {"done": next(it)}


def test_it_asks_until_the_answer_comes():
    got = poll_until(_answers(False, False, True), "done", deadline_s=5, interval_s=0.001)
    assert got["done"] is True and got["polls"] == 3


def test_cannot_tell_ends_it_at_once():
    got = poll_until(_answers(None), "done", deadline_s=5, interval_s=0.001)
    assert got["done"] is None and got["polls"] == 1


def test_a_probe_that_never_says_so_is_reported_once_the_deadline_passed():
    got = poll_until(lambda: {"done": False, "why": "still queued"}, "done", deadline_s=0.05, interval_s=0.005)
    assert got["done"] is False and got["why"] == "still queued" and got["waited_s"] > 0.05 and got["polls"] > 1
