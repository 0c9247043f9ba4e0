"""Pages of journey maps."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from teams.access import get_object_for_user

from .models import JourneyMap


@login_required
@require_GET
def map_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Maps")


@login_required
@require_GET
def map_detail(request: HttpRequest, map_pk: int) -> HttpResponse:
    journey_map = get_object_for_user(JourneyMap, request.user, pk=map_pk)
    return HttpResponse(journey_map.title)
