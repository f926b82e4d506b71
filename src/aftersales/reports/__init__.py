"""Report builders: one report model (sections of tables and charts) rendered as offline HTML and as XLSX."""

from aftersales.reports.model import Chart, Column, Report, Section, Table
from aftersales.reports.period import ReportPeriod, parse_period

__all__ = ["Chart", "Column", "Report", "ReportPeriod", "Section", "Table", "parse_period"]
