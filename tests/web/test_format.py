"""Numbers, terms and charts as a person reads them: plain functions, no browser."""

from __future__ import annotations

from web.charts import corridor_map, line_chart, qr_svg
from web.format import condition_text, fmt, label, term_text


def test_numbers_read_short_on_a_small_screen() -> None:
    assert fmt(None) == "–"
    assert fmt(1_234_567) == "1.2 M"
    assert fmt(208_400) == "208 k"
    assert fmt(1234) == "1,234"
    assert fmt(43.94, 1) == "43.9"
    assert fmt(7) == "7"


def test_a_term_names_giver_receiver_amount_and_rounds() -> None:
    names = {"ita": "Italy", "tun": "Tunisia"}
    term = {"type": "funding", "giver": "ita", "receiver": "tun", "amount": 50,
            "duration": 3, "earmark": "border_security"}  # fmt: skip
    assert term_text(term, names) == "Italy → Tunisia: funding €50m (border security), 3 rounds"
    visa = {"type": "visa_facilitation", "giver": "ita", "receiver": "tun", "amount": 2,
            "rounds_left": 0}  # fmt: skip
    assert term_text(visa, names) == "Italy → Tunisia: visas: multiple-entry, ended"
    assert label("labour_pathway") == "Labour pathway"


def test_a_condition_counts_proposal_terms_from_one() -> None:
    text = condition_text({"term": 0, "requires": 1, "threshold": 80})
    assert text == "Term 1 only while term 2 is honoured at ≥ 80 %"


def test_a_line_chart_has_a_point_per_round_and_escapes_names() -> None:
    chart = str(line_chart("Support", [("<A>", "#123456", [10.0, 20.0, 30.0])]))
    assert chart.count("<circle") == 3
    assert "R3" in chart
    assert "<A>" not in chart and "&lt;A&gt;" in chart
    assert str(line_chart("Empty", [])) == ""


def test_the_corridor_map_says_when_no_round_has_been_resolved() -> None:
    teams = [{"id": "a", "name": "A", "colour": "#111"}, {"id": "b", "name": "B", "colour": None}]
    sea = {"id": "c", "name": "Sea", "origin": "a", "transit": None, "destination": "b"}
    view = {"teams": teams, "corridors": [sea], "history": []}
    svg = str(corridor_map(view))
    assert "No flows yet" in svg and "Sea" in svg


def test_the_qr_code_is_an_accessible_svg() -> None:
    svg = str(qr_svg("http://example.org/join/ABC"))
    assert svg.startswith("<svg") and 'aria-label="QR code"' in svg
