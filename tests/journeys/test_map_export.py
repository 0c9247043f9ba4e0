"""The map drawn as SVG, PDF and PNG: what it shows, in which fonts, for whom, and behind share links."""

import io

import pypdf
import pytest
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from journeys import canvas, services
from journeys.models import ShareLinkView, Stage

pytestmark = pytest.mark.skipif(canvas.cjk_font() is None, reason="Noto Sans CJK is not installed (fonts-noto-cjk)")

ZH_STAGES = ["漏斗頂部：認知", "漏斗中部：考慮", "漏斗底部：轉換"]


@pytest.fixture
def gift_boxes(team_a, erin):
    """A map in three languages: Traditional Chinese stages, a Latvian and a Bulgarian touchpoint."""
    journey_map = services.map_create(team=team_a, actor=erin, title="企業禮盒訂單", stages=ZH_STAGES)
    first, second, _ = Stage.objects.filter(journey_map=journey_map).order_by("position")
    tp = services.touchpoint_create(
        stage=first, actor=erin, revision=None, name="Piegāde uz Rīgu", emotion_label="anxious", channel="email"
    )
    services.pain_point_create(touchpoint=tp, actor=erin, revision=None, title="Доставката е бавна", severity=5)
    services.touchpoint_create(stage=second, actor=erin, revision=None, name="報價單", emotion_label="delighted")
    lanes = services.lanes_add_standard(journey_map=journey_map, actor=erin, revision=None)
    lane = next(lane for lane in lanes if lane.kind == "thoughts")
    services.lane_cell_set(lane=lane, stage=first, actor=erin, revision=None, text="送貨要多久？")
    journey_map.refresh_from_db()
    return journey_map


def _pdf_text(content: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return len(reader.pages), "".join(page.extract_text() for page in reader.pages)


def test_the_pdf_is_one_page_with_the_stages_lanes_and_text_in_every_script(client_as, erin, gift_boxes):
    response = client_as(erin).get(reverse("journeys:map_export_pdf", args=[gift_boxes.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith(f'-{gift_boxes.pk}.pdf"')
    pages, text = _pdf_text(response.content)
    assert pages == 1
    for expected in [*ZH_STAGES, "企業禮盒訂單", "Piegāde uz Rīgu", "Доставката е бавна", "送貨要多久？", "Thoughts"]:
        assert expected in text, expected
    assert "Emotion curve" in text and "Backstage and owners" in text and "Severity 5 · Open" in text


def test_chinese_is_set_in_an_embedded_cjk_font_that_has_its_glyphs(client_as, erin, gift_boxes):
    content = client_as(erin).get(reverse("journeys:map_export_pdf", args=[gift_boxes.pk])).content
    reader = pypdf.PdfReader(io.BytesIO(content))
    fonts = {}
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in font else None
        descriptor = descriptor or font.get("/FontDescriptor")
        fonts[str(font["/BaseFont"])] = descriptor.get_object() if descriptor else None
    cjk = [d for name, d in fonts.items() if "CJK" in name]
    assert cjk and all("/FontFile2" in d for d in cjk)  # embedded TrueType outlines, not a viewer's guess
    # The subset cut for this map maps every Chinese character it shows (no .notdef boxes).
    chars = "".join(sorted(set("".join(ZH_STAGES) + "企業禮盒訂單送貨要多久？報價單")))
    from fontTools.ttLib import TTFont

    subset = TTFont(io.BytesIO(canvas._cjk_subset_ttf(chars, *canvas.cjk_font())))
    assert {ord(c) for c in chars} <= set(subset.getBestCmap())
    assert "glyf" in subset and "CFF " not in subset


def test_the_png_is_the_map_drawn_at_twice_its_size(client_as, erin, gift_boxes):
    response = client_as(erin).get(reverse("journeys:map_export_png", args=[gift_boxes.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content)).convert("RGB")
    width = canvas.MARGIN * 2 + canvas.LABEL_W + canvas.COL_W * 3
    assert image.size[0] == width * 2 and image.size[1] > 600
    colours = image.getcolors(maxcolors=1_000_000)
    white = next(count for count, colour in colours if colour == (255, 255, 255))
    assert white < image.size[0] * image.size[1] * 0.9  # not blank
    assert any(colour == (0x4F, 0x46, 0xE5) for _, colour in colours)  # the stage headers' accent


def test_the_png_draws_chinese_with_glyphs_not_boxes():
    from PIL import ImageDraw

    def drawn(kind, char):
        image = Image.new("L", (60, 60), 0)
        ImageDraw.Draw(image).text((5, 5), char, font=canvas._pil_font(kind, 40), fill=255)
        return image.tobytes()

    # The Latin face has no Chinese: its boxes all look alike; the CJK face draws two different shapes.
    assert drawn("cjk", "認") != drawn("cjk", "知")
    assert drawn("latin", "認") == drawn("latin", "知")
    assert [kind for kind, _ in canvas.runs("漏斗頂部：認知 Rīga")] == ["cjk", "latin"]


def test_the_svg_names_the_stages_and_draws_the_curve(client_as, erin, gift_boxes):
    response = client_as(erin).get(reverse("journeys:map_export_svg", args=[gift_boxes.pk]))
    svg = response.content.decode()
    assert response["Content-Type"] == "image/svg+xml"
    assert svg.startswith("<svg") and "<polyline" in svg and all(name in svg for name in ZH_STAGES)


def test_a_version_is_drawn_as_it_was(client_as, erin, gift_boxes):
    services.map_publish(journey_map=gift_boxes, actor=erin)
    stage = gift_boxes.stages.order_by("position").first()
    services.touchpoint_create(stage=stage, actor=erin, revision=None, name="Added later")
    url = reverse("journeys:map_export_pdf", args=[gift_boxes.pk])

    _, text = _pdf_text(client_as(erin).get(url + "?version=1").content)
    assert "Version 1" in text and "Added later" not in text
    _, text = _pdf_text(client_as(erin).get(url).content)
    assert "Added later" in text
    assert client_as(erin).get(url + "?version=7").status_code == 404


def test_viewers_read_outsiders_do_not(client_as, victor, oscar, gift_boxes):
    url = reverse("journeys:map_export_png", args=[gift_boxes.pk])
    assert client_as(victor).get(url).status_code == 200
    assert client_as(oscar).get(url).status_code == 404
    assert client_as(victor).post(url).status_code == 405


def test_the_api_draws_the_map(api_as, key_client, oscar, erin, gift_boxes):
    response = key_client().get(f"/api/v1/maps/{gift_boxes.pk}/export/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "漏斗頂部：認知" in _pdf_text(response.content)[1]
    assert key_client().get(f"/api/v1/maps/{gift_boxes.pk}/export/png/").content[:8] == b"\x89PNG\r\n\x1a\n"
    bad = api_as(erin).get(f"/api/v1/maps/{gift_boxes.pk}/export/pdf/?version=x")
    assert bad.status_code == 400 and "version" in bad.json()["errors"]
    assert api_as(erin).get(f"/api/v1/maps/{gift_boxes.pk}/export/pdf/?version=9").status_code == 404
    assert api_as(oscar).get(f"/api/v1/maps/{gift_boxes.pk}/export/pdf/").status_code == 404
    assert api_as(erin).get(f"/api/v1/maps/{gift_boxes.pk}/export/gif/").status_code == 404


def test_a_share_link_gives_its_pdf_and_png_to_anyone_and_logs_them(client, erin, gift_boxes):
    link = services.share_link_create(journey_map=gift_boxes, actor=erin, expires_in_days=7)

    pdf = client.get(reverse("shared_map_pdf", args=[link.token]))
    assert pdf.status_code == 200 and pdf["X-Robots-Tag"] == "noindex, nofollow"
    assert "漏斗中部：考慮" in _pdf_text(pdf.content)[1]
    png = client.get(reverse("shared_map_png", args=[link.token]))
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert ShareLinkView.objects.filter(link=link).count() == 2
    services.share_link_revoke(link=link, actor=erin)
    assert client.get(reverse("shared_map_pdf", args=[link.token])).status_code == 404
    assert client.get(reverse("shared_map_pdf", args=[link.token[:-3] + "abc"])).status_code == 404


def test_a_share_link_leaves_out_the_teams_people(client, erin, gift_boxes):
    from owners import services as owner_services

    tp = gift_boxes.stages.order_by("position").first().touchpoints.get()
    owner_services.ownership_assign(actor=erin, touchpoint=tp, user=erin)
    link = services.share_link_create(journey_map=gift_boxes, actor=erin)
    erin_name = "Accountable: Piegāde uz Rīgu"

    _, shared = _pdf_text(client.get(reverse("shared_map_pdf", args=[link.token])).content)
    assert erin_name not in shared and "Backstage and owners" in shared
    client.force_login(erin)
    _, own = _pdf_text(client.get(reverse("journeys:map_export_pdf", args=[gift_boxes.pk])).content)
    assert erin_name in own


@override_settings(EXPORT_CJK_FONTS=["/nonexistent/font.ttc"])
def test_without_a_cjk_font_the_pdf_still_carries_the_chinese_text(client_as, erin, gift_boxes):
    canvas._pil_font.cache_clear()
    try:
        content = client_as(erin).get(reverse("journeys:map_export_pdf", args=[gift_boxes.pk])).content
    finally:
        canvas._pil_font.cache_clear()
    assert "漏斗頂部：認知" in _pdf_text(content)[1]


def test_exports_read_in_fixed_queries(client_as, erin, make_map, django_assert_max_num_queries):
    big = make_map(title="Big", stages=6, per_stage=3, pains=1)
    services.lanes_add_standard(journey_map=big, actor=erin, revision=None)
    client = client_as(erin)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("journeys:map_export_svg", args=[big.pk])).status_code == 200
