"""Anonymous survey endpoints, mounted at /api/public/ by config/urls.py."""

from django.urls import path

from . import public

app_name = "feedback_public"

# The answers first: every answer of every embedded survey is matched before the other patterns
# are tried (none of them overlaps another, so the order changes nothing else).
urlpatterns = [
    path("surveys/<str:public_key>/responses/", public.survey_responses, name="survey_responses"),
    path("surveys/<str:public_key>/", public.survey_definition, name="survey_definition"),
    path("surveys/<str:public_key>/eligibility/", public.survey_eligibility, name="survey_eligibility"),
    path("surveys/<str:public_key>/displays/", public.survey_displays, name="survey_displays"),
    path("surveys/<str:public_key>/page/", public.survey_page, name="survey_page"),
    path("surveys/<str:public_key>/email/<int:score>/", public.email_answer, name="email_answer"),
]
