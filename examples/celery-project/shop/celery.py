"""The shop's Celery app, configured as it runs in production (not one of taskchaos's profiles):
late acknowledgement so that a crash does not drop an order, two prefork children reserving four
messages each, kombu's Redis transport left at its defaults (a visibility timeout of one hour), and a
base task class that retries a failed task 3 times, 2 s apart."""

from celery import Celery, Task


class ShopTask(Task):
    max_retries = 3
    default_retry_delay = 2


app = Celery("shop", broker="redis://localhost:6379/0", backend="redis://localhost:6379/1", include=["shop.tasks"],
             task_cls=ShopTask)
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=4,
    worker_concurrency=2,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
)
