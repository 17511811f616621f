"""A small shop's task queue: the kind of Celery project a team brings to taskchaos."""
