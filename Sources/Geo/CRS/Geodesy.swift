import CPROJ
import Foundation

/// Lengths and areas in metres on the WGS84 ellipsoid, by Karney's geodesic algorithms as shipped in
/// PROJ (`geodesic.h`). Exact to the nanometre for any size; no projection to pick.
public enum Geodesy {
    private static let wgs84: geod_geodesic = {
        var g = geod_geodesic()
        geod_init(&g, 6378137.0, 1 / 298.257223563)
        return g
    }()

    /// Distance in metres between two lon/lat positions.
    public static func distance(_ a: Position, _ b: Position) -> Double {
        var g = wgs84
        var s12 = 0.0
        geod_inverse(&g, a.lat, a.lon, b.lat, b.lon, &s12, nil, nil)
        return s12
    }

    /// Length in metres of lines (and of polygon rings: their perimeter).
    public static func length(of geometry: Geometry) -> Double {
        func line(_ ps: [Position]) -> Double {
            zip(ps, ps.dropFirst()).reduce(0) { $0 + distance($1.0, $1.1) }
        }
        switch geometry {
        case .point, .multiPoint: return 0
        case .lineString(let ps): return line(ps)
        case .multiLineString(let ls): return ls.reduce(0) { $0 + line($1) }
        case .polygon(let p): return p.rings.reduce(0) { $0 + line($1) }
        case .multiPolygon(let ps): return ps.reduce(0) { a, p in p.rings.reduce(a) { $0 + line($1) } }
        case .geometryCollection(let gs): return gs.reduce(0) { $0 + length(of: $1) }
        }
    }

    /// Area in square metres of polygons (holes subtracted); zero for points and lines.
    public static func area(of geometry: Geometry) -> Double {
        switch geometry {
        case .polygon(let p): return area(p)
        case .multiPolygon(let ps): return ps.reduce(0) { $0 + area($1) }
        case .geometryCollection(let gs): return gs.reduce(0) { $0 + area(of: $1) }
        default: return 0
        }
    }

    /// Area in m² of polygons whose edges are straight lines in lon/lat, as GEOS, SpatiaLite and
    /// GeoJSON draw them, on the sphere of the Earth's mean radius. For deciding whether an overlap
    /// or gap is real or numerical noise. (A geodesic edge sags away from the straight lon/lat line
    /// by centimetres over kilometres, so the geodesic area of a sliver a few millimetres wide
    /// measures the sag, not the sliver.)
    ///
    /// Exact for such edges: by Green's theorem the area ∬ R² cos φ dλ dφ is R² ∮ −sin φ dλ, and
    /// along a straight edge that integral is −Δλ · sin φ̄ · sinc(Δφ/2) (φ̄ the edge's mid-latitude).
    /// Extra vertices along an edge change nothing.
    public static func localArea(of geometry: Geometry) -> Double {
        let r = 6_371_008.8, rad = Double.pi / 180
        func ring(_ ps: [Position]) -> Double {
            guard ps.count > 3 else { return 0 }
            let ref = sin(ps[0].lat * rad)   // ∮ c dλ = 0: subtracting it keeps the terms small
            var sum = 0.0
            for k in 0..<(ps.count - 1) {
                let a = ps[k], b = ps[k + 1]
                let dLambda = (b.lon - a.lon) * rad, half = (b.lat - a.lat) * rad / 2
                let sinc = abs(half) < 1e-8 ? 1 - half * half / 6 : sin(half) / half
                sum -= dLambda * (sin((a.lat + b.lat) / 2 * rad) * sinc - ref)
            }
            return abs(sum) * r * r
        }
        return geometry.allPolygons.reduce(0) { total, p in
            p.rings.dropFirst().reduce(total + ring(p.exterior)) { $0 - ring($1) }
        }
    }

    private static func area(_ p: Polygon) -> Double {
        guard let ext = p.rings.first else { return 0 }
        return p.rings.dropFirst().reduce(abs(ringArea(ext))) { $0 - abs(ringArea($1)) }
    }

    private static func ringArea(_ ring: [Position]) -> Double {
        var lats = ring.dropLast().map(\.lat)
        var lons = ring.dropLast().map(\.lon)
        var g = wgs84
        var area = 0.0, perimeter = 0.0
        geod_polygonarea(&g, &lats, &lons, Int32(lats.count), &area, &perimeter)
        return area
    }
}
