"""Analytics: the KPI registry and pure helpers (no database code; services/ computes against the store)."""

from aftersales.analytics.kpis import DIMENSIONS, KPIS, Direction, KpiDef, get_kpi, ratio, trend

__all__ = ["DIMENSIONS", "KPIS", "Direction", "KpiDef", "get_kpi", "ratio", "trend"]
