"""Matplotlib set-up for files (no display), values to read on hover, and atomic saving of figures.

A figure function marks the points worth reading with :func:`hover`; :func:`save_figure` writes their
positions in image pixels, with their text, into the PNG itself (a ``tEXt`` chunk named
:data:`HOVER_KEY`), so ``report.html`` can show the values under the pointer without any side file.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

__all__ = ["HOVER_KEY", "hover", "plt", "read_hover", "save_figure"]

#: Resolution of saved figures (dots per inch).
DPI = 130

#: White space kept around the drawn content (in inches), as ``bbox_inches="tight"`` keeps it.
PAD_INCHES = 0.1

#: The PNG text chunk holding the hover points.
HOVER_KEY = "qnet-dqnn hover"

#: At most this many hover points per call to :func:`hover` (evenly thinned beyond it).
MAX_HOVER_POINTS = 300

_HOVER_ATTRIBUTE = "_qnet_hover"


def hover(ax: Any, xs: Sequence[float], ys: Sequence[float], texts: Sequence[str]) -> None:
    """Mark data points of ``ax`` whose ``texts`` a reader can see by pointing at them in report.html."""
    points = [(x, y, t) for x, y, t in zip(xs, ys, texts, strict=True) if _finite(x) and _finite(y)]
    step = max(1, math.ceil(len(points) / MAX_HOVER_POINTS))
    marks = getattr(ax.figure, _HOVER_ATTRIBUTE, [])
    marks.append((ax, points[::step]))
    setattr(ax.figure, _HOVER_ATTRIBUTE, marks)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _hover_pixels(fig: Any, box: Bbox) -> dict[str, Any]:
    """The marked points in pixels of the image cropped to ``box`` (inches), origin at the top left."""
    width, height = box.width * DPI, box.height * DPI
    points = []
    for ax, marks in getattr(fig, _HOVER_ATTRIBUTE, []):
        for x, y, text in marks:
            dx, dy = ax.transData.transform((x, y))
            px, py = dx / fig.dpi * DPI - box.x0 * DPI, height - (dy / fig.dpi * DPI - box.y0 * DPI)
            if 0 <= px <= width and 0 <= py <= height:
                points.append([round(px, 1), round(py, 1), text])
    return {"width": round(width, 1), "height": round(height, 1), "points": points}


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Save ``fig`` as a PNG at ``path`` atomically (written aside, then renamed) and close it.

    The image is cropped to the drawn content (as ``bbox_inches="tight"``); the hover points go with it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(PAD_INCHES)
    metadata = {HOVER_KEY: json.dumps(_hover_pixels(fig, box), separators=(",", ":"))}
    fig.savefig(tmp, dpi=DPI, bbox_inches=box, metadata=metadata)
    plt.close(fig)
    tmp.replace(path)
    return path


def read_hover(path: Path) -> dict[str, Any] | None:
    """The hover points saved in a PNG by :func:`save_figure` (None if it has none)."""
    data = path.read_bytes()
    at = 8  # after the PNG signature: chunks of (length, type, data, crc)
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        at += 12 + length
        if kind in (b"tEXt", b"zTXt", b"iTXt"):
            key, _, rest = body.partition(b"\0")
            if key.decode("latin-1") != HOVER_KEY:
                continue
            text = zlib.decompress(rest[1:]) if kind == b"zTXt" else rest
            if kind == b"iTXt":  # compression flag, method, language, translated keyword, then the text
                flag, rest = rest[0], rest[2:]
                text = rest.split(b"\0", 2)[2]
                text = zlib.decompress(text) if flag else text
            return json.loads(text.decode("utf-8"))
        if kind == b"IEND":
            break
    return None
