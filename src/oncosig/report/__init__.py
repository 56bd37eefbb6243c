"""Self-contained HTML report of a GeneXNet or DEGnext run (figures embedded as PNG).

Examples
--------
>>> from oncosig.report import write_report
>>> write_report("runs/genexnet", "report.html")  # doctest: +SKIP
"""

from oncosig.report._build import build_report, write_report
from oncosig.report._scan import RunContents, scan_run, table_kind

__all__ = ["RunContents", "build_report", "scan_run", "table_kind", "write_report"]
