"""Task spec: what one submitted task does, as the JSON body of ``POST /tasks``.

The harness builds specs, the targets validate them (422 on invalid input), and the shared task body
(``targets/body.py``) executes them. Each field has a unit in its name where it has one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

HoldPoint = Literal["start", "finish"]


class TaskSpec(BaseModel):
    """One task. ``key`` is chosen by the client and is unique within a run: it joins the
    client's history with the ledger even when the submission's answer never came back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.:-]*$")
    duration_s: float = Field(default=0.0, ge=0, le=300)
    fail_times: int = Field(default=0, ge=0, le=20, description="fail transiently on the first N attempts")
    crash_times: int = Field(
        default=0, ge=0, le=20, description="exit the executing process abruptly mid-body on the first N attempts"
    )
    hold_at: HoldPoint | None = Field(
        default=None,
        description="block at this lifecycle point (after 'started', or after the body recorded success "
        "but before returning) until the harness releases the task, so a fault lands in that window",
    )
    hold_answer: bool = Field(
        default=False,
        description="the target app, once its backend has accepted the task, records 'answer-held' in the "
        "ledger and holds its answer to the submission until the harness releases the task, so a fault on "
        "the producer lands between the hand-over and the client's answer",
    )
    hold_timeout_s: float = Field(default=30.0, gt=0, le=600, description="a hold never lasts longer than this")
    hold_after_finish_s: float = Field(
        default=0.0, ge=0, le=300, description="after recording success, wait this long before returning"
    )

    # Asked of the backend, not of the body: a target whose backend has no API for one of these
    # answers 501 (the claim is then observed "unsupported"); it never ignores one silently.
    priority: int | None = Field(
        default=None, ge=0, le=9, description="0..9, higher runs first (each target maps it onto its backend's scale)"
    )
    countdown_s: float = Field(default=0.0, ge=0, le=300, description="run no earlier than this long after submission")
    time_limit_s: float | None = Field(
        default=None, gt=0, le=300, description="the backend must stop an attempt that runs longer than this"
    )

    @property
    def asks_backend(self) -> list[str]:
        """The backend features this spec asks for (a target refuses what its backend lacks)."""
        return [name for name, on in (("priority", self.priority is not None), ("countdown", self.countdown_s > 0),
                                      ("time_limit", self.time_limit_s is not None)) if on]

    def expects_success(self, max_attempts: int) -> bool:
        """Whether a backend allowing ``max_attempts`` attempts should end this task in success."""
        return self.fail_times + self.crash_times < max_attempts
