"""The signup service's mails (taskchaos never sends them: its probe body runs in their place)."""

from concurrent.futures import ThreadPoolExecutor

# Mails go out from a small pool of the service's own, not from the request: a slow mail server must
# not hold a request's connection open. On shutdown the pool is not waited for (a deploy must not
# hang on a mail server): mails not yet started are dropped, in the belief that "there are few".
MAIL_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")


def send_welcome(address: str) -> str:
    return f"welcome mail sent to {address}"


def send_password_reset(address: str) -> str:
    return f"password reset mail sent to {address}"
