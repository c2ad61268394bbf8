from celery import shared_task
from django.core.management import call_command


@shared_task
def flush_expired_tokens() -> None:
    """Drops expired refresh tokens from the blacklist tables (simplejwt's command)."""
    call_command("flushexpiredtokens")
