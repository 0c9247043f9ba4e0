"""Background work of discussions: mention emails (after each comment, and a sweep) and presence cleanup."""

from celery import shared_task

from . import emails, services


@shared_task(name="discussions.tasks.send_mention_emails")
def send_mention_emails(comment_id: int) -> int:
    """Email the people one comment mentioned; return how many emails went out."""
    return emails.mention_emails_send(comment_id=comment_id)


@shared_task(name="discussions.tasks.mention_emails_sweep")
def mention_emails_sweep() -> dict:
    """Send mention emails still pending (broker down, mail server refused) and forget expired presence."""
    return {"sent": emails.mention_emails_send(), "presence_gone": services.presence_sweep()}
