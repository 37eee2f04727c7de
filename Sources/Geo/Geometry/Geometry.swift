/// A position in a geographic CRS: longitude then latitude (RFC 7946 order), optional altitude.
public struct Position: Hashable, Sendable, CustomStringConvertible {
    public var lon: Double
    public var lat: Double
    public var alt: Double?

    public init(_ lon: Double, _ lat: Double, alt: Double? = nil) {
        self.lon = lon
        self.lat = lat
        self.alt = alt
    }

    public var description: String { "(\(lon) \(lat))" }
}

/// A polygon: the first ring is the exterior, the rest are holes. Rings are closed (first == last).
public struct Polygon: Hashable, Sendable {
    public var rings: [[Position]]
    public init(_ rings: [[Position]]) { self.rings = rings }
    public init(exterior: [Position], holes: [[Position]] = []) { self.rings = [exterior] + holes }

    public var exterior: [Position] { rings.first ?? [] }
    public var holes: ArraySlice<[Position]> { rings.dropFirst() }
}

/// The RFC 7946 geometry types as one value type.
public enum Geometry: Hashable, Sendable {
    case point(Position)
    case multiPoint([Position])
    case lineString([Position])
    case multiLineString([[Position]])
    case polygon(Polygon)
    case multiPolygon([Polygon])
    case geometryCollection([Geometry])

    /// The GeoJSON `type` name.
    public var typeName: String {
        switch self {
        case .point: "Point"
        case .multiPoint: "MultiPoint"
        case .lineString: "LineString"
        case .multiLineString: "MultiLineString"
        case .polygon: "Polygon"
        case .multiPolygon: "MultiPolygon"
        case .geometryCollection: "GeometryCollection"
        }
    }

    /// Every position, in order (rings included with their closing position).
    public func forEachPosition(_ body: (Position) throws -> Void) rethrows {
        switch self {
        case .point(let p): try body(p)
        case .multiPoint(let ps), .lineString(let ps): for p in ps { try body(p) }
        case .multiLineString(let ls): for l in ls { for p in l { try body(p) } }
        case .polygon(let poly): for r in poly.rings { for p in r { try body(p) } }
        case .multiPolygon(let polys): for poly in polys { for r in poly.rings { for p in r { try body(p) } } }
        case .geometryCollection(let gs): for g in gs { try g.forEachPosition(body) }
        }
    }

    /// The same geometry with every position passed through `transform`.
    public func mapPositions(_ transform: (Position) throws -> Position) rethrows -> Geometry {
        func line(_ ps: [Position]) throws -> [Position] { try ps.map(transform) }
        func poly(_ p: Polygon) throws -> Polygon { Polygon(try p.rings.map(line)) }
        switch self {
        case .point(let p): return .point(try transform(p))
        case .multiPoint(let ps): return .multiPoint(try line(ps))
        case .lineString(let ps): return .lineString(try line(ps))
        case .multiLineString(let ls): return .multiLineString(try ls.map(line))
        case .polygon(let p): return .polygon(try poly(p))
        case .multiPolygon(let ps): return .multiPolygon(try ps.map(poly))
        case .geometryCollection(let gs): return .geometryCollection(try gs.map { try $0.mapPositions(transform) })
        }
    }

    /// The polygons of a Polygon or MultiPolygon; empty for other types.
    public var polygons: [Polygon] {
        switch self {
        case .polygon(let p): [p]
        case .multiPolygon(let ps): ps
        default: []
        }
    }

    /// Every polygon, also inside geometry collections (as GEOS returns from polygonize or Voronoi).
    public var allPolygons: [Polygon] {
        if case .geometryCollection(let gs) = self { return gs.flatMap(\.allPolygons) }
        return polygons
    }

    public var boundingBox: BoundingBox? {
        var box: BoundingBox?
        forEachPosition { p in
            if box == nil { box = BoundingBox(minLon: p.lon, minLat: p.lat, maxLon: p.lon, maxLat: p.lat) }
            else { box!.extend(p) }
        }
        return box
    }
}

/// An axis-aligned box in lon/lat (or any planar x/y).
public struct BoundingBox: Hashable, Sendable, CustomStringConvertible {
    public var minLon, minLat, maxLon, maxLat: Double
    public init(minLon: Double, minLat: Double, maxLon: Double, maxLat: Double) {
        self.minLon = minLon; self.minLat = minLat; self.maxLon = maxLon; self.maxLat = maxLat
    }
    public mutating func extend(_ p: Position) {
        minLon = min(minLon, p.lon); minLat = min(minLat, p.lat)
        maxLon = max(maxLon, p.lon); maxLat = max(maxLat, p.lat)
    }
    public mutating func extend(_ b: BoundingBox) {
        minLon = min(minLon, b.minLon); minLat = min(minLat, b.minLat)
        maxLon = max(maxLon, b.maxLon); maxLat = max(maxLat, b.maxLat)
    }
    public func contains(_ p: Position) -> Bool {
        p.lon >= minLon && p.lon <= maxLon && p.lat >= minLat && p.lat <= maxLat
    }
    public func intersects(_ b: BoundingBox) -> Bool {
        minLon <= b.maxLon && b.minLon <= maxLon && minLat <= b.maxLat && b.minLat <= maxLat
    }
    public var description: String { "[\(minLon), \(minLat), \(maxLon), \(maxLat)]" }
}

/// Ring orientation helpers (planar, in the coordinates' own units).
public enum RingMath {
    /// Twice the signed area (shoelace): positive for counter-clockwise rings.
    public static func signedArea2(_ ring: [Position]) -> Double {
        guard ring.count >= 3 else { return 0 }
        var s = 0.0
        // Relative to the first vertex, to keep precision for lon/lat far from the origin.
        let o = ring[0]
        for k in 1..<(ring.count - 1) {
            let a = ring[k], b = ring[k + 1]
            s += (a.lon - o.lon) * (b.lat - o.lat) - (b.lon - o.lon) * (a.lat - o.lat)
        }
        return s
    }

    public static func isCounterClockwise(_ ring: [Position]) -> Bool { signedArea2(ring) > 0 }

    /// The polygon with its exterior counter-clockwise and holes clockwise (the RFC 7946 right-hand rule).
    public static func rightHanded(_ p: Polygon) -> Polygon {
        Polygon(p.rings.enumerated().map { k, r in
            (k == 0) == isCounterClockwise(r) ? r : r.reversed()
        })
    }
}
