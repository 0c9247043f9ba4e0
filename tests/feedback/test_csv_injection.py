"""The responses export never hands a spreadsheet a live formula."""

import csv
import io

from django.urls import reverse

from feedback.models import Response, Survey


def test_responses_csv_neutralises_formulas(client_as, alice, survey, submit):
    response = submit(survey, {"score": 9, "comment": "fine"})
    Survey.objects.filter(pk=survey.pk).update(name='=HYPERLINK("https://evil.example")')
    Response.objects.filter(pk=response.pk).update(respondent_id="\t=1+1", page_url="\uff20SUM(A1)")
    export = client_as(alice).get(reverse("feedback:response_export"))
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["survey"] == '\'=HYPERLINK("https://evil.example")'
    assert rows[0]["respondent_id"] == "'\t=1+1"
    assert rows[0]["page_url"] == "'\uff20SUM(A1)"
    assert rows[0]["score"] == "9"
