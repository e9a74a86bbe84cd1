"""Faces of a run: rich tables, matplotlib figures, and the files a run leaves behind."""

from qnet_dqnn.report.figures import characterize_figure, draw_topology
from qnet_dqnn.report.save import save_result
from qnet_dqnn.report.tables import result_tables, summary_table, topology_tables

__all__ = ["characterize_figure", "draw_topology", "result_tables", "save_result", "summary_table", "topology_tables"]
