"""The baseline of the submission benchmark: a bare Django view that inserts one row.

It runs in the same gunicorn, behind the same middleware, on the same database as the public
survey endpoint; what it leaves out is everything the product adds (validation, idempotency,
rate limit, CORS, follow-ups, events), which is what the ratio measures.
"""

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import BaselineRow


@csrf_exempt
@require_POST
def baseline_insert(request: HttpRequest) -> JsonResponse:
    try:
        data = json.loads(request.body)
        submission_id = str(data["submission_id"])[:64]
        score = data.get("answers", {}).get("score")
    except (ValueError, KeyError, TypeError, AttributeError):
        return JsonResponse({"detail": "Bad body."}, status=400)
    row = BaselineRow.objects.create(submission_id=submission_id, score=score, answers=data.get("answers", {}))
    return JsonResponse({"id": row.pk, "submission_id": row.submission_id}, status=201)
