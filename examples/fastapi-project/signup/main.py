"""The signup service, served in production with

    uvicorn signup.main:app --timeout-graceful-shutdown 10

Welcome mails go to FastAPI's BackgroundTasks; password resets to the service's own mail pool."""

import os
import uuid
from contextlib import asynccontextmanager

from fastapi import BackgroundTasks, FastAPI, Request
from starlette.middleware.base import BaseHTTPMiddleware

from signup.mail import MAIL_POOL, send_password_reset, send_welcome


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    MAIL_POOL.shutdown(wait=False, cancel_futures=True)  # a deploy does not wait for queued mails


class RequestId(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        response = await call_next(request)
        response.headers["x-request-id"] = request.headers.get("x-request-id", uuid.uuid4().hex)
        return response


app = FastAPI(title="signup", lifespan=lifespan)
app.add_middleware(RequestId)


@app.post("/signup", status_code=202)
def signup(address: str, background_tasks: BackgroundTasks) -> dict:
    background_tasks.add_task(send_welcome, address)
    return {"address": address}


@app.post("/password-reset", status_code=202)
def password_reset(address: str) -> dict:
    MAIL_POOL.submit(send_password_reset, address)
    return {"address": address}


# Under taskchaos only (TASKCHAOS_SYSTEM is set wherever it imports or serves the app): its contract,
# over the mail pool, so that what it judges is how the pool's mails fare. Without this, taskchaos
# mounts its own router at /taskchaos, over FastAPI's BackgroundTasks.
if os.environ.get("TASKCHAOS_SYSTEM"):
    from targets.bgtasks.router import taskchaos_router

    app.include_router(taskchaos_router(schedule=MAIL_POOL.submit), prefix="/_chaos")
