"""Trend reports: where complaints come from, what stands out, and how the recovery went.

``build.build_report`` reads the history into a :class:`model.Report`; ``render`` turns it into
a terminal table, HTML, CSV or JSON.
"""
