from customers.models import Event, Profile


def test_track_is_stored(send, source):
    response = send("track", {"event": "Order Completed", "userId": "u1", "messageId": "m1", "properties": {"total": 3}})
    assert response.status_code == 200, response.content
    assert response.json() == {"success": True}
    event = Event.objects.get()
    assert (event.event, event.user_id, event.message_id, event.properties) == ("Order Completed", "u1", "m1", {"total": 3})
    assert Profile.objects.get().user_id == "u1"
