"""Great-circle distances, used to rank visits by how far away they are."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt
from typing import Protocol

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


class HasLatLon(Protocol):
    """Anything with a position; read-only is enough (the knowledge base's records are frozen)."""

    @property
    def lat(self) -> float: ...

    @property
    def lon(self) -> float: ...


Point = tuple[float, float] | HasLatLon


def _latlon(p: Point) -> tuple[float, float]:
    return (p[0], p[1]) if isinstance(p, tuple) else (p.lat, p.lon)


def haversine_km(a: Point, b: Point) -> float:
    """Straight-line distance in km between two (lat, lon) points or objects with lat/lon."""
    (lat1, lon1), (lat2, lon2) = _latlon(a), _latlon(b)
    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    h = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))
