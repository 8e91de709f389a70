"""Reports: the figures a centre director sends the province, for a range of local days,
sites and a breakdown; as figures, SVG charts, an XLSX workbook with native charts, CSV
files, and ``qms report``. Importable without the web layer or Qt.

The pages call :class:`~server.reports.service.ReportService` (figures off the event loop,
downloads in a child process) with a request checked by
:func:`~server.reports.request.build_request`; every refusal is a
:class:`~server.reports.errors.ReportError` naming its field. What each figure means, and
how it is computed: docs/reports.md.
"""
