"""The report's SVG charts drawn server-side (geometry worked out by hand, labels escaped) and
the print stylesheet that turns the report into an A4 PDF without the menu."""

from __future__ import annotations

import re

from web import charts
from web.templating import STATIC, templates


def _svg(chart: charts.Chart) -> str:
    macro = templates().env.from_string('{% from "_charts.html" import chart %}{{ chart(c) }}')
    return macro.render(c=chart)


def test_horizontal_bars_scale_to_the_largest_value() -> None:
    c = charts.hbars("用途別の回答数", [("メール下書き", 10), ("要約", 5)], unit="件")
    # Room for bars: 560 wide - 150 for labels - 70 for the printed value = 340.
    assert [(b.label, b.width, b.y, b.text) for b in c.bars] == [
        ("メール下書き", 340.0, 10, "10件"),
        ("要約", 170.0, 36, "5件"),  # half the value, half the width; rows 26 apart
    ]
    assert c.height == 2 * 26 + 20
    assert c.description == "メール下書き: 10件、要約: 5件"


def test_weekly_columns_share_a_scale_with_the_target_line() -> None:
    c = charts.columns(
        "週ごとの削減時間", [("11/2〜", 2.0), ("11/9〜", 4.0)], target=8, unit="時間"
    )
    # Baseline at 220 - 34 = 186; the target (8) is the peak: scale (186 - 18) / 8 = 21 px/hour.
    assert c.baseline == 186
    assert c.target_y == 18  # 186 - 8 * 21
    assert [(b.height, b.y) for b in c.bars] == [(42.0, 144.0), (84.0, 102.0)]
    assert c.description == "11/2〜: 2時間、11/9〜: 4時間 (目標 8時間)"


def test_no_data_draws_no_bars_and_says_so() -> None:
    c = charts.hbars("利用者", [])
    assert c.bars == ()
    assert "データなし" in _svg(c)
    flat = charts.columns("週ごとの削減時間", [("11/2〜", 0.0)])
    assert flat.bars[0].height == 0  # nothing saved, no division by zero
    assert flat.target_y is None
    assert 'class="target"' not in _svg(flat)


def test_svg_escapes_labels_from_policies() -> None:
    svg = _svg(charts.hbars("用途", [("<script>alert(1)</script>", 1.0)]))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert re.search(r'<rect class="bar" x="191" y="10" width="299.0" height="18">', svg)


def test_a_long_japanese_label_fits_left_of_its_bar() -> None:
    label = "社内規程・通知文の下書き"  # 12 full-width characters, clipped at 150 px before
    chart = charts.hbars("用途別の回答数", [(label, 3.0), ("相談・質問", 9.0)])
    # Labels end 8 px left of the axis and are drawn right-aligned: they need the full width.
    assert chart.axis_x - 8 >= charts.text_width(label) >= 12 * 12
    assert all(bar.x + bar.width <= chart.width for bar in chart.bars)


def test_the_report_prints_on_a4_without_the_menu() -> None:
    css = (STATIC / "style.css").read_text(encoding="utf-8")
    assert re.search(r"@page\s*{[^}]*size:\s*A4", css)
    print_rules = css[css.index("@media print") :]
    hidden = re.search(r"([^{}]+){\s*display:\s*none", print_rules)
    assert hidden
    assert {"nav", "header.top", ".no-print"} <= {s.strip() for s in hidden.group(1).split(",")}
