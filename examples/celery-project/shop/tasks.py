"""The shop's own tasks (taskchaos never calls them: it registers a probe task of its own on the app)."""

from shop.celery import app


@app.task(bind=True, max_retries=5)
def send_invoice(self, order_id: int) -> str:
    return f"invoice for order {order_id} sent"
