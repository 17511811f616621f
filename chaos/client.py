"""The target client: speaks the HTTP contract and records every call in the history.

Every call has a timeout. A submission is ``ok`` on a 2xx with an id, ``fail`` on a 4xx (a definite
rejection; 501 = the backend has no API for what the spec asks, recorded with ``unsupported``), and
``info`` on a timeout, a connection error or another 5xx: the task may or may not run.

A cancel request is recorded the same way: ``ok`` on a 2xx, ``fail`` on a 4xx (404: no such task; 409:
the backend refused; 501: no cancel API, with ``unsupported``), ``info`` when its answer never came.
"""

from __future__ import annotations

import httpx

from chaos.records.history import History
from chaos.records.taskspec import TaskSpec

SUBMIT_TIMEOUT_S = 5.0
STATUS_TIMEOUT_S = 3.0
CANCEL_TIMEOUT_S = 5.0


class TargetClient:
    def __init__(self, base_url: str, history: History):
        self.base_url = base_url
        self.history = history
        self.http = httpx.Client(base_url=base_url)
        self.ids: dict[str, str] = {}  # key -> backend id, for acknowledged submissions

    def submit(self, spec: TaskSpec) -> str | None:
        self.history.add("submit", "invoke", spec.key, spec=spec.model_dump())
        try:
            response = self.http.post("/tasks", json=spec.model_dump(), timeout=SUBMIT_TIMEOUT_S)
        except httpx.HTTPError as exc:
            self.history.add("submit", "info", spec.key, error=f"{type(exc).__name__}: {exc}")
            if isinstance(exc, httpx.TimeoutException):  # gave up waiting: is the app still inside the call?
                self.inflight(after=spec.key)
            return None
        if 200 <= response.status_code < 300:
            task_id = response.json()["id"]
            self.ids[spec.key] = task_id
            self.history.add("submit", "ok", spec.key, id=task_id, http=response.status_code)
            return task_id
        if response.status_code == 501:  # Not Implemented: a definite refusal, nothing was queued
            self.history.add("submit", "fail", spec.key, http=501, unsupported=True, error=response.text[:500])
            return None
        kind = "fail" if 400 <= response.status_code < 500 else "info"
        self.history.add("submit", kind, spec.key, http=response.status_code, error=response.text[:500])
        return None

    def inflight(self, *, after: str | None = None) -> list[dict] | None:
        """The submissions still inside the app's hand-over to the backend (``GET /inflight``), recorded
        (``after``: the key whose submission the client has just given up on; None: the end of the run);
        None when the app does not say (no such route: a team's own app) or does not answer."""
        try:
            response = self.http.get("/inflight", timeout=STATUS_TIMEOUT_S)
        except httpx.HTTPError as exc:
            self.history.add("inflight", "info", after, error=f"{type(exc).__name__}: {exc}")
            return None
        if response.status_code != 200:
            self.history.add("inflight", "fail", after, http=response.status_code, unsupported=response.status_code == 404)
            return None
        submissions = response.json()["submissions"]
        self.history.add("inflight", "ok", after, submissions=submissions)
        return submissions

    def status(self, key: str, *, final: bool = False, **note) -> dict:
        """One status read for an acknowledged key; recorded, never raises. ``note`` goes into the record."""
        return self.status_of_id(key, self.ids[key], final=final, **note)

    def status_of_id(self, label: str, task_id: str, *, final: bool = False, **note) -> dict:
        """One status read of any id (e.g. one never submitted), recorded under ``label``; never raises."""
        try:
            response = self.http.get(f"/tasks/{task_id}", timeout=STATUS_TIMEOUT_S)
        except httpx.HTTPError as exc:
            answer = {"supported": True, "state": None, "error": f"{type(exc).__name__}: {exc}"}
        else:
            if response.status_code == 501:
                answer = {"supported": False, "state": None}
            elif response.status_code == 200:
                body = response.json()
                answer = {"supported": True, "state": body["state"], "raw_state": body.get("raw_state"),
                          "detail": body.get("detail")}
            else:
                answer = {"supported": True, "state": None, "error": f"HTTP {response.status_code}: {response.text[:200]}"}
        self.history.add("status", "ok" if answer.get("state") or not answer["supported"] else "info", label,
                         final=final, id=task_id, **note, **answer)
        return answer

    def cancel(self, key: str, *, terminate: bool = False) -> dict:
        """Ask the target to cancel an acknowledged task (``terminate``: stop it if it is running too)."""
        task_id = self.ids[key]
        self.history.add("cancel", "invoke", key, id=task_id, terminate=terminate)
        try:
            response = self.http.post(f"/tasks/{task_id}/cancel", params={"terminate": str(terminate).lower()},
                                      timeout=CANCEL_TIMEOUT_S)
        except httpx.HTTPError as exc:
            return self.history.add("cancel", "info", key, id=task_id, error=f"{type(exc).__name__}: {exc}").data
        if 200 <= response.status_code < 300:
            body = response.json()
            return self.history.add("cancel", "ok", key, id=task_id, http=response.status_code,
                                    cancelled=bool(body.get("cancelled"))).data
        if response.status_code == 501:  # Not Implemented: a definite refusal, nothing was cancelled
            return self.history.add("cancel", "fail", key, id=task_id, http=501, unsupported=True,
                                    error=response.text[:500]).data
        kind = "fail" if 400 <= response.status_code < 500 else "info"
        return self.history.add("cancel", kind, key, id=task_id, http=response.status_code, error=response.text[:500]).data

    def close(self) -> None:
        self.http.close()
