"""Plots as GeoJSON: WGS-84 as stored (what GPS gives), the coordinate system named in the file.

A plot holds one point (lat, lon), not its outline yet: each plot is a Point feature, and a
plot without a location is kept as a feature with no geometry (RFC 7946 §3.2), counted in
`without_location` so the reader is told, never silently left out.
"""
# RFC 7946 makes WGS-84 longitude/latitude the only system and dropped "crs"; GIS programs
# (QGIS, ArcGIS) still read the old member, so the system is named both ways.
CRS84 = "urn:ogc:def:crs:OGC:1.3:CRS84"


def plots_geojson(db, area):
    """Return a GeoJSON FeatureCollection (a dict) of the live plots inside `area`, with their household."""
    features, missing = [], 0
    sql = ("SELECT p.id, p.area, p.name, p.area_mu, p.land_type, p.lat, p.lon, h.code, h.head_name "
           "FROM plots p LEFT JOIN households h ON h.id = p.household_id "
           "WHERE p._deleted = 0 AND (p.area = ? OR p.area LIKE ?) ORDER BY p.area, h.code, p.name")
    for pid, parea, name, mu, land, lat, lon, code, head in db.execute(sql, [area, area.rstrip("/") + "/%"]):
        geometry = None
        if lat is not None and lon is not None:
            geometry = {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}
        else:
            missing += 1
        features.append({"type": "Feature", "id": pid, "geometry": geometry,
                         "properties": {"area": parea, "name": name, "area_mu": mu, "land_type": land,
                                        "household_code": code, "head_name": head}})
    return {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": CRS84}},
            "coordinate_system": "WGS-84 (EPSG:4326), longitude then latitude; not GCJ-02 or BD-09",
            "without_location": missing, "features": features}


def plot_count(db, area):
    """Return (plots inside `area`, how many of them have a location)."""
    total, located = db.execute(
        "SELECT COUNT(*), COUNT(CASE WHEN lat IS NOT NULL AND lon IS NOT NULL THEN 1 END) FROM plots "
        "WHERE _deleted = 0 AND (area = ? OR area LIKE ?)", [area, area.rstrip("/") + "/%"]).fetchone()
    return total, located
