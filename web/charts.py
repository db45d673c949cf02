"""Small charts for the dashboard and the printable monthly report: geometry here, SVG in
``templates/_charts.html`` (autoescaped like every template).

No JavaScript and nothing from a CDN: the report must print to PDF on a locked-down PC. Each
chart carries a title and a text description, so screen readers and a black-and-white
printout still carry the numbers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 560, 220
_LABELS = 150  # room for labels left of horizontal bars
_AXIS = 48  # room left of columns
_ROW = 26


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the value as printed
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    kind: str  # "hbars" or "columns"
    title: str
    description: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    target_y: float | None = None
    axis_x: float = _AXIS
    baseline: float = 0


def _fmt(value: float, unit: str) -> str:
    number = f"{value:,.1f}" if value % 1 else f"{value:,.0f}"
    return number + unit


def _describe(items: Sequence[tuple[str, float]], unit: str) -> str:
    return "、".join(f"{label}: {_fmt(v, unit)}" for label, v in items) or "データなし / no data"


def text_width(text: str) -> float:
    """Approximate width at the charts' 12 px font: full-width characters are twice as wide."""
    return sum(12.0 if unicodedata.east_asian_width(ch) in "WF" else 7.0 for ch in text)


def hbars(title: str, items: Sequence[tuple[str, float]], unit: str = "") -> Chart:
    """Horizontal bars, one per ``(label, value)``; the label column fits the longest label."""
    peak = max((v for _, v in items), default=0) or 1
    labels = max(_LABELS, round(max((text_width(label) for label, _ in items), default=0)) + 16)
    room = WIDTH - labels - 70
    bars = tuple(
        Bar(label, _fmt(v, unit), labels, i * _ROW + 10, round(v / peak * room, 1), 18)
        for i, (label, v) in enumerate(items)
    )
    height = max(1, len(items)) * _ROW + 20
    return Chart("hbars", title, _describe(items, unit), WIDTH, height, bars, axis_x=labels)


def columns(
    title: str, items: Sequence[tuple[str, float]], *, target: float | None = None, unit: str = ""
) -> Chart:
    """Columns over time, with an optional target line."""
    baseline = HEIGHT - 34
    peak = max([v for _, v in items] + [target or 0]) or 1
    step = (WIDTH - _AXIS - 10) / max(1, len(items))
    scale = (baseline - 18) / peak
    bars = tuple(
        Bar(
            label,
            _fmt(v, ""),
            round(_AXIS + i * step + step * 0.15, 1),
            round(baseline - v * scale, 1),
            round(step * 0.7, 1),
            round(v * scale, 1),
        )
        for i, (label, v) in enumerate(items)
    )
    description = _describe(items, unit)
    if target is not None:
        description += f" (目標 {_fmt(target, unit)})"
    target_y = round(baseline - target * scale, 1) if target is not None else None
    return Chart(
        "columns", title, description, WIDTH, HEIGHT, bars, target_y=target_y, baseline=baseline
    )


@dataclass(frozen=True)
class Line:
    """A burn-down: polylines as SVG ``points`` strings, plus where the zero line runs."""

    title: str
    description: str
    width: int
    height: int
    actual: str  # remaining budget (or, with no limit, cumulative use) at each day's end
    ideal: str  # an even burn from the limit to zero (empty without a limit)
    forecast: str  # today to month end at the current pace
    zero_y: float
    axis_x: float
    limit_text: str
    end_text: str  # the forecast at month end, as printed


def burndown(
    title: str, *, cumulative: Sequence[float], days: int, limit: float | None, forecast: float,
    unit: str,
) -> Line:  # fmt: skip
    """Remaining budget day by day against an even burn, and the forecast to month end.

    Without a limit the chart shows cumulative use instead (nothing to burn down)."""
    today = len(cumulative)
    if limit is not None:
        values = [limit, *(limit - v for v in cumulative)]
        end = limit - forecast
    else:
        values = [0.0, *cumulative]
        end = forecast
    hi = max([*values, end, limit or 0.0]) or 1.0
    lo = min([*values, end, 0.0])
    baseline, top = HEIGHT - 34, 18
    room = WIDTH - _AXIS - 10

    def point(day: float, value: float) -> str:
        x = _AXIS + day / max(1, days) * room
        y = baseline - (value - lo) / ((hi - lo) or 1) * (baseline - top)
        return f"{x:.1f},{y:.1f}"

    actual = " ".join(point(d, v) for d, v in enumerate(values))
    ideal = f"{point(0, limit)} {point(days, 0)}" if limit is not None else ""
    ahead = f"{point(today, values[-1])} {point(days, end)}"
    zero_y = float(point(0, 0).split(",")[1])
    label = "残り" if limit is not None else "累計"
    description = (
        f"{label}: " + "、".join(f"{d}日 {_fmt(v, unit)}" for d, v in enumerate(values[1:], 1))
        + f"。月末予測 {_fmt(end, unit)}"
        + (f" (上限 {_fmt(limit, unit)})" if limit is not None else " (上限なし)")
    )  # fmt: skip
    return Line(
        title,
        description,
        WIDTH,
        HEIGHT,
        actual,
        ideal,
        ahead,
        zero_y,
        _AXIS,
        f"上限 {_fmt(limit, unit)}" if limit is not None else "上限なし (累計)",
        f"月末の残り (予測) {_fmt(end, unit)}"
        if limit is not None
        else f"月末予測 {_fmt(end, unit)}",
    )
