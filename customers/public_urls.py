from django.urls import re_path

from . import public

app_name = "tracking"

urlpatterns = [
    re_path(
        r"^(?P<call>track|identify|page|screen|group|alias|batch|import|t|i|p|s|g|a|b)/?$",
        public.tracking_call,
        name="call",
    ),
    # Any other path under /v1/ answers in JSON too: SDKs log the body of what they get back.
    re_path(r"^", public.unknown_path, name="unknown"),
]
