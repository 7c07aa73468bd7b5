"""Fitting a picture's words and panels to its figure, measured with the renderer.

A label's width depends on its font, size and the figure's resolution, so the
margins are not fixed fractions: every tick label, axis label, title and legend
is measured once drawn, and the panels are moved until all of them lie inside
the figure. The same measuring wraps the header's phrases to the width there is
and shortens a phrase that still does not fit, with an ellipsis.

Needs matplotlib (``callscan.view.plot`` imports this module only when it draws).
"""

ELLIPSIS = "…"


class Ruler:
    """Measures text as a figure would draw it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure with a canvas (``FigureCanvasAgg``).
    """

    def __init__(self, fig):
        from matplotlib.text import Text

        self.fig = fig
        self.renderer = fig.canvas.get_renderer()
        self._probe = Text(0, 0, "")  # measured, never added to the figure
        self._probe.set_figure(fig)

    def width_px(self, text, **font):
        """Width of ``text`` drawn with ``font`` (``fontsize``, ``fontweight``, ...), px."""
        self._probe.set_text(text)
        self._probe.set(**font)
        return self._probe.get_window_extent(self.renderer).width

    def height_px(self, size_pt, spacing=1.45):
        """Height of one line of ``size_pt`` type with its spacing, px."""
        return size_pt * spacing * self.fig.dpi / 72.0

    def shorten(self, text, max_px, **font):
        """``text``, or its longest start that fits ``max_px`` followed by an ellipsis."""
        if self.width_px(text, **font) <= max_px:
            return text
        lo, hi = 0, len(text)
        while lo < hi:  # the longest start that fits, by bisection
            mid = (lo + hi + 1) // 2
            if self.width_px(text[:mid].rstrip() + ELLIPSIS, **font) <= max_px:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo].rstrip() + ELLIPSIS if lo else ""

    def choose(self, forms, max_px, **font):
        """The first of ``forms`` (longest first) that fits ``max_px``, else the last one shortened."""
        for form in forms:
            if self.width_px(form, **font) <= max_px:
                return form
        return self.shorten(forms[-1], max_px, **font)

    def wrap(self, phrases, max_px, sep="   ", **font):
        """Phrases joined with ``sep`` into lines no wider than ``max_px`` (a phrase is never split).

        A phrase wider than a line on its own is shortened with an ellipsis.

        Returns
        -------
        list of str
        """
        lines, line = [], ""
        for phrase in phrases:
            joined = f"{line}{sep}{phrase}" if line else phrase
            if self.width_px(joined, **font) <= max_px:
                line = joined
                continue
            if line:
                lines.append(line)
            line = self.shorten(phrase, max_px, **font)
        if line:
            lines.append(line)
        return lines


def overhang(ax, renderer):
    """How far an axes' decorations reach past its frame, px: ``(left, right, below, above)``.

    Tick labels, axis labels and the title count (``Axes.get_tightbbox``); a
    legend anchored beside the frame counts to the sides only (it is kept no
    taller than its frame: ``fit_legend``).
    """
    frame = ax.get_window_extent(renderer)
    tight = ax.get_tightbbox(renderer)
    legend = ax.get_legend()
    if legend is not None:
        legend.set_visible(False)
        upright = ax.get_tightbbox(renderer)
        legend.set_visible(True)
    else:
        upright = tight
    return (max(0.0, frame.x0 - tight.x0), max(0.0, tight.x1 - frame.x1),
            max(0.0, frame.y0 - upright.y0), max(0.0, upright.y1 - frame.y1))


def legend(ax, handles, ncols=1, **kw):
    """An axes' legend that ``fit_legend`` can give more columns (its keywords are kept on it)."""
    made = ax.legend(handles=handles, ncols=ncols, **kw)
    made.remade_with = (list(handles), ncols, kw)
    return made


def fit_legend(ax, renderer, max_columns=4):
    """Give an axes' legend more columns until it is no taller than the frame; whether it changed."""
    made = ax.get_legend()
    if made is None or not hasattr(made, "remade_with"):
        return False
    handles, ncols, kw = made.remade_with
    changed = False
    while (made.get_window_extent(renderer).height > ax.get_window_extent(renderer).height
           and ncols < min(max_columns, len(handles))):
        ncols += 1
        made = legend(ax, handles, ncols=ncols, **kw)
        changed = True
    return changed


def fit_panels(fig, grid, axes, top_px, pad_px, prefer_left=None, prefer_right=None):
    """Move a column of panels so that every decoration of every panel is inside the figure.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    grid : matplotlib.gridspec.GridSpec
        The one-column grid of ``axes``, top to bottom.
    axes : list of matplotlib.axes.Axes
    top_px : float
        Room kept free above the first panel's title (the header), px.
    pad_px : float
        Space between a decoration and the figure's edge or the panel below, px.
    prefer_left, prefer_right : float, optional
        Preferred frame edges, figure fractions, kept where the labels leave room.

    Notes
    -----
    A legend anchored outside a frame moves with it, one taller than its frame
    gets another column, and the gap between panels is a fraction of their
    height, so a few passes settle every edge.
    """
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    n = len(axes)
    for k in range(4):
        over = [overhang(ax, renderer) for ax in axes]
        left = max(o[0] for o in over) + pad_px
        right = max(o[1] for o in over) + pad_px
        below = over[-1][2] + pad_px
        above = over[0][3] + pad_px
        gap = max(over[k + 1][3] + over[k][2] for k in range(n - 1)) + 2 * pad_px if n > 1 else 0.0
        x0 = max(prefer_left or 0.0, left / width)
        x1 = min(1.0 if prefer_right is None else prefer_right, 1 - right / width)
        y1 = 1 - (top_px + above) / height
        y0 = below / height
        usable = (y1 - y0) * height
        hspace = gap * n / max(1.0, usable - gap * (n - 1)) if n > 1 else 0.0
        grid.update(left=x0, right=x1, top=y1, bottom=y0, hspace=hspace)
        for ax in axes:  # GridSpec.update does not move axes already made
            ax.set_position(ax.get_subplotspec().get_position(fig))
        if not any([fit_legend(ax, renderer) for ax in axes]) and k:
            break
