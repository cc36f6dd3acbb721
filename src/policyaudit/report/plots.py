"""The report's figures as inline SVG strings, drawn from plain typed inputs.

Each function takes numbers and labels only (no framework, no analysis dict), so it can be
tested with hand-made data and reused by any caller. Figures are drawn on a bare ``Figure`` with
an Agg canvas: no pyplot state and no display, hence safe in servers and worker processes.
"""

from __future__ import annotations

import html
import io
import re
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

RC = {"svg.fonttype": "none", "svg.hashsalt": "policyaudit", "font.size": 8}
BAR_COLOUR = "#1a9850"
LENIENT_COLOUR = "#fdae61"
GROUP_COLOURS = ("#2166ac", "#b2182b", "#4d4d4d", "#1a9850")
TITLE_WIDTH = 90  # characters per line of a wrapped title (an APA sentence is long)


@dataclass(frozen=True)
class Prevalence:
    """One standard's share of organisations meeting it, in percent, with its interval."""

    label: str
    pct_met: float
    low: float | None = None  # Wilson 95% interval, percent; None where not computed
    high: float | None = None
    pct_lenient: float | None = None  # met or partial, percent


def plain(label: str) -> str:
    """Matplotlib reads ``$...$`` as mathematics; labels from data are plain text."""
    return label.replace("$", r"\$")


def svg_text(fig: Figure) -> str:
    """The figure as an <svg> element ready to inline: no XML prolog, DOCTYPE or metadata."""
    buf = io.StringIO()
    fig.savefig(
        buf,
        format="svg",
        bbox_inches="tight",
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    # in-page links must not open a new window (matplotlib adds target="_blank")
    return re.sub(r'(<a xlink:href="#[^"]*") target="_blank"', r"\1", svg)


@contextmanager
def new_figure(width: float, height: float) -> Iterator[Figure]:
    """A figure with the report's style; reproducible SVG ids through a fixed hash salt."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width, height))
        FigureCanvasAgg(fig)
        yield fig


def label_svg(svg: str, element_id: str, title: str) -> str:
    """Give the root <svg> an id and an accessible title, so the page and its tests find it."""
    text = html.escape(title, quote=True)
    head, rest = svg.split(">", 1)
    return f'{head} id="{element_id}" role="img" aria-label="{text}"><title>{text}</title>{rest}'


def wrap_title(text: str, width: int = TITLE_WIDTH) -> str:
    return "\n".join(textwrap.wrap(text, width)) if text else ""


def ranked(rows: Sequence[Prevalence]) -> list[Prevalence]:
    """Highest prevalence first; ties keep the framework's order (a stable sort)."""
    return sorted(rows, key=lambda r: -r.pct_met)


def prevalence_svg(rows: Sequence[Prevalence], title: str = "") -> str:
    """Horizontal bars of % organisations meeting each standard, ranked, with 95% intervals.

    Bars run top (most met) to bottom; a lighter bar behind shows met or partial where given.
    """
    order = ranked(rows)
    height = max(1.6, 0.8 + 0.24 * len(order))
    with new_figure(6.5, height) as fig:
        ax = fig.add_subplot()
        ys = list(range(len(order)))
        if any(r.pct_lenient is not None for r in order):
            lenient = [r.pct_lenient if r.pct_lenient is not None else 0.0 for r in order]
            ax.barh(ys, lenient, color=LENIENT_COLOUR, alpha=0.5, label="met or partial")
        ax.barh(ys, [r.pct_met for r in order], color=BAR_COLOUR, label="met")
        _error_bars(ax, order)
        ax.set_yticks(ys, [plain(r.label) for r in order])
        ax.set_ylim(len(order) - 0.5, -0.5)
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of organisations")
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="lower right", frameon=False)
        if title:
            ax.set_title(plain(wrap_title(title)), loc="left")
        return svg_text(fig)


def _error_bars(ax, rows: Sequence[Prevalence]) -> None:
    pts = [(i, r) for i, r in enumerate(rows) if r.low is not None and r.high is not None]
    if not pts:
        return
    lows = [max(0.0, r.pct_met - r.low) for _, r in pts]  # type: ignore[operator]
    highs = [max(0.0, r.high - r.pct_met) for _, r in pts]  # type: ignore[operator]
    ax.errorbar(
        [r.pct_met for _, r in pts],
        [i for i, _ in pts],
        xerr=[lows, highs],
        fmt="none",
        ecolor="black",
        elinewidth=0.8,
        capsize=2,
        label="95% Wilson interval",
    )


def jitter(n: int, width: float = 0.25) -> list[float]:
    """Deterministic horizontal offsets spreading n points across [-width, width]."""
    if n <= 1:
        return [0.0] * n
    return [-width + 2 * width * i / (n - 1) for i in range(n)]


def group_svg(
    groups: Sequence[tuple[str, Sequence[float]]],
    title: str = "",
    ylabel: str = "standards met",
    ymax: float | None = None,
) -> str:
    """Box plot with every organisation as a point, one column per group.

    Points are spread deterministically (ties stack visibly) so the SVG is reproducible.
    """
    with new_figure(6.5, 3.2) as fig:
        ax = fig.add_subplot()
        for i, (_, values) in enumerate(groups):
            colour = GROUP_COLOURS[i % len(GROUP_COLOURS)]
            if values:
                ax.boxplot(
                    [list(values)],
                    positions=[i],
                    widths=0.5,
                    showfliers=False,
                    medianprops={"color": colour},
                )
            offsets = jitter(len(values))
            ax.scatter(
                [i + d for d in offsets],
                sorted(values),
                s=14,
                color=colour,
                alpha=0.8,
                zorder=3,
            )
        ax.set_xticks(range(len(groups)), [plain(f"{name} (n = {len(v)})") for name, v in groups])
        ax.set_xlim(-0.6, len(groups) - 0.4)
        ax.set_ylabel(ylabel)
        if ymax is not None:
            ax.set_ylim(-0.5, ymax + 0.5)
        ax.spines[["top", "right"]].set_visible(False)
        if title:
            ax.set_title(plain(wrap_title(title)), loc="left")
        return svg_text(fig)
