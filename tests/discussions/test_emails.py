"""Mention emails: one per person, in their language, never to those who unsubscribed or already read."""

from django.core import mail

from discussions import emails, services
from discussions.models import Notification
from reviews.models import DigestPreference
from teams.models import UserPreference


def test_a_mention_emails_the_person_after_commit(shop, erin, victor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.thread_start(actor=erin, part=shop["pain"], body=f"@{victor.username} is this still slow?")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [victor.email]
    assert "Delivery time unclear" in message.body and "is this still slow?" in message.body
    assert f"/maps/{shop['map'].pk}/?thread=" in message.body
    notification = Notification.objects.get()
    assert notification.email == Notification.Email.SENT and notification.emailed_at is not None
    assert emails.mention_emails_send() == 0  # nothing twice


def test_several_mentions_go_in_one_email_and_read_or_unsubscribed_ones_are_skipped(shop, erin, victor, alice):
    for i in range(3):
        services.thread_start(actor=erin, part=shop["map"], body=f"@{victor.username} @{alice.username} #{i}")
    DigestPreference.objects.create(user=alice, unsubscribed=True)
    first = Notification.objects.filter(recipient=victor).order_by("created_at", "id").first()
    services.notification_mark_read(actor=victor, notification=first)
    assert emails.mention_emails_send() == 1
    (message,) = mail.outbox
    assert message.to == [victor.email] and message.subject == "2 new mentions in Waymark"
    assert Notification.objects.filter(email=Notification.Email.SKIPPED).count() == 4  # alice's 3 and the read one


def test_the_email_speaks_the_recipients_language(shop, erin, victor):
    UserPreference.objects.update_or_create(user=victor, defaults={"language": "lv"})
    services.thread_start(actor=erin, part=shop["stage"], body=f"@{victor.username} hi")
    emails.mention_emails_send()
    (message,) = mail.outbox
    assert "Waymark" in message.body and "mentioned you" not in message.body


def test_a_refused_email_stays_pending_for_the_sweep(shop, erin, victor, monkeypatch):
    services.thread_start(actor=erin, part=shop["stage"], body=f"@{victor.username} hi")

    def refuse(self, messages):
        raise OSError("mail server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    assert emails.mention_emails_send() == 0
    assert Notification.objects.get().email == Notification.Email.PENDING
    monkeypatch.undo()
    from discussions.tasks import mention_emails_sweep

    assert mention_emails_sweep()["sent"] == 1
