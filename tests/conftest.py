"""Shared fixtures for the tests.

Expected values (closed forms, the Table 2 menu) live in tests/reference.py, derived there
from DESIGN §1.4 independently of ``solvers.known_values``; the names below are re-exported
for tests/benchmarks/bench_measure.py, which imports them from here.
"""

from __future__ import annotations

import pytest

from reference import AMM2D_PROFIT_ALPHA0, MONOPOLIST2D_REVENUE, table2_menu  # noqa: F401


@pytest.fixture(scope="session")
def amm2d_k64():
    """amm2d solutions at k = 64 for alpha 0 and 0.5, solved once per session."""
    from solvers import solve

    return {alpha: solve("amm2d", 64, alpha=alpha) for alpha in (0.0, 0.5)}


def check_png(path, fig) -> None:
    """``path`` is a PNG picture of ``fig``: its size and that something was drawn, version-independently.

    - The signature bytes of the PNG format.
    - Dimensions: the figure is figsize x dpi pixels, and save_figure trims it to its artists
      plus matplotlib's 0.1 in pad (bbox_inches="tight"); with constrained layout the artists
      fill the figure, so each side moves by well under 0.5 in (measured at most 0.27 in: the
      transport figure's height, 800 px against 770).
    - Not blank: more than one colour, and coloured pixels. Axes, ticks and text are drawn in
      black and greys, so chromatic pixels (max - min over RGB > 0.1) are the data: colour maps
      and coloured lines (measured: 1.0% of the image for the 1D line plot, 27-48% for heat
      maps; an empty axes has none). 0.1% is a tenth of the smallest measured share.
    """
    import matplotlib.image as mpimg
    import numpy as np

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[2] in (3, 4)
    width, height = fig.get_size_inches() * fig.dpi
    assert abs(img.shape[1] - width) <= 0.5 * fig.dpi and abs(img.shape[0] - height) <= 0.5 * fig.dpi, (
        img.shape, width, height)
    rgb = img[..., :3].reshape(-1, 3)
    assert len(np.unique(rgb, axis=0)) > 1, "a blank image"
    chroma = rgb.max(axis=1) - rgb.min(axis=1)
    assert np.mean(chroma > 0.1) >= 1e-3, "no coloured pixels: the data were not drawn"
