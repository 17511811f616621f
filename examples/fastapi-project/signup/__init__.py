"""signup: a small FastAPI service that sends its mails in the background (an example for taskchaos)."""
