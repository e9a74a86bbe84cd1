"""Faces of a run: tables (as sheets written four ways), matplotlib figures, and the files a run leaves behind."""

from qnet_dqnn.report.figures import characterize_figure, draw_topology
from qnet_dqnn.report.save import save_result
from qnet_dqnn.report.sheet import FORMATS, Sheet, print_sheets
from qnet_dqnn.report.tables import result_sheets, summary_sheet, topology_sheets

__all__ = [
    "FORMATS",
    "Sheet",
    "characterize_figure",
    "draw_topology",
    "print_sheets",
    "result_sheets",
    "save_result",
    "summary_sheet",
    "topology_sheets",
]
