"""PDF reports (fpdf2): one track (measurements judged against the genre, issues, charts,
reference comparison, AI feedback, the follow-up thread, presets, platforms) and an album
(several tracks side by side, cohesion, narrative).

Text from people and language models is rendered as plain text: no markdown or HTML is
interpreted, control and format characters are dropped, long words wrap, long threads
paginate. DejaVu Sans (shipped with matplotlib) covers Latin, Greek, Cyrillic, Hebrew,
Arabic and most symbols; CJK text uses an installed CJK font when there is one (Debian
``fonts-wqy-microhei``; see ``printcharts.CJK_FONTS``); any character no font covers prints
as a white square. Right-to-left text is kept in logical order (no bidi shaping).

Modules: ``writer`` (the PDF writer, fonts, shared blocks), ``metrics`` (the metric table),
``track`` (the track report), ``album`` (the album report).
"""

from zz_core.output.report.album import build_album_report
from zz_core.output.report.metrics import MARKS, MetricRow, metric_rows
from zz_core.output.report.track import build_track_report, setting_value
from zz_core.output.report.writer import Cell, Mark

__all__ = ["MARKS", "Cell", "Mark", "MetricRow", "build_album_report", "build_track_report",
           "metric_rows", "setting_value"]
