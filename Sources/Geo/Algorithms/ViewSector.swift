import CPROJ
import Foundation

/// The ground a camera sees (视域): the geodesic sector from its pole, `range` metres out, `fov`
/// degrees wide around the `azimuth` (degrees clockwise from north); a disc for a 360° dome.
public struct ViewSector: Hashable, Sendable {
    public var apex: Position
    public var azimuth: Double
    public var fov: Double
    public var range: Double

    /// What a view may be: azimuth in [0, 360), field of view in (0, 360], range in (0, 2000] m.
    public static func problem(azimuth: Double, fov: Double, range: Double) -> String? {
        if !(azimuth.isFinite && azimuth >= 0 && azimuth < 360) { return "azimuth \(azimuth) is not in [0, 360) degrees" }
        if !(fov.isFinite && fov > 0 && fov <= 360) { return "fov \(fov) is not in (0, 360] degrees" }
        if !(range.isFinite && range > 0 && range <= 2000) { return "range_m \(range) is not in (0, 2000] metres" }
        return nil
    }

    public init(apex: Position, azimuth: Double, fov: Double, range: Double) {
        self.apex = apex
        self.azimuth = azimuth
        self.fov = fov
        self.range = range
    }

    private static let wgs84: geod_geodesic = {
        var g = geod_geodesic()
        geod_init(&g, 6378137.0, 1 / 298.257223563)
        return g
    }()

    /// Points on the arc: one every 2° and at least 33 (32 segments), ends included.
    var arcPoints: Int { max(33, Int((fov / 2).rounded(.up)) + 1) }

    /// The ring through the arc's points, each made from its bearing (degrees) by `point`: closed,
    /// counter-clockwise (bearings grow clockwise, so the arc is walked backwards), from the apex
    /// and back; a dome is its circle.
    private func ring<P>(apex: P, _ point: (Double) -> P) -> [P] {
        let n = arcPoints
        let dome = fov >= 360
        let first = dome ? 0 : azimuth - fov / 2
        let step = dome ? 360 / Double(n - 1) : fov / Double(n - 1)
        var ring: [P] = dome ? [] : [apex]
        ring.reserveCapacity(n + 2)
        for k in stride(from: dome ? n - 2 : n - 1, through: 0, by: -1) { ring.append(point(first + step * Double(k))) }
        ring.append(ring[0])
        return ring
    }

    /// The sector's ring in lon/lat, its arc by PROJ's geodesics.
    public var ring: [Position] {
        var g = Self.wgs84
        return ring(apex: apex) { bearing in
            var lat = 0.0, lon = 0.0
            geod_direct(&g, apex.lat, apex.lon, bearing, range, &lat, &lon, nil)
            return Position(lon, lat)
        }
    }

    public var polygon: Polygon { Polygon([ring]) }

    /// A box that holds the sector: the disc of its range around the apex, 1% wider.
    public var boundingBox: BoundingBox {
        let plane = LocalPlane(origin: apex)
        let dLon = range * 1.01 / plane.kx, dLat = range * 1.01 / plane.ky
        return BoundingBox(minLon: apex.lon - dLon, minLat: apex.lat - dLat, maxLon: apex.lon + dLon, maxLat: apex.lat + dLat)
    }

    /// The sector as convex pieces (a view wider than 180° is two), in `plane` (centred on the
    /// apex). Routing makes one per alert, so the arc is by the mid-point rule instead of PROJ's
    /// series (a few multiplications a point): the geodesic's azimuth at mid-distance is the initial
    /// one turned by the meridians' convergence (Δλ/2 · sin φ), and along it the latitude and
    /// longitude steps are the distance over the radii of curvature there; off the geodesic point by
    /// (r/R)² · r, under a millimetre at 2 km (tested against `ring`).
    func convexPieces(in plane: LocalPlane) -> [[LocalPlane.Point]] {
        let rad = Double.pi / 180, a = 6_378_137.0, e2 = 0.00669437999014
        let phi0 = apex.lat * rad, s0 = sin(phi0), c0 = cos(phi0)
        // One sine and cosine a point: the small turns (the convergence, about 1e-4 rad, and half
        // the latitude step) by their second-order series, three orders below a millimetre.
        let r = ring(apex: LocalPlane.Point(x: 0, y: 0)) { bearing in
            let b = bearing * rad, sb = sin(b), cb = cos(b)
            // Start from the flat step; two rounds of the mid-point rule settle it.
            var dPhi = range * cb / (a * (1 - e2)), dLambda = range * sb / (a * c0)
            for _ in 0..<2 {
                let h = dPhi / 2, h2 = h * h / 2
                let s = s0 + h * c0 - h2 * s0, c = c0 - h * s0 - h2 * c0   // sin, cos of φ0 + Δφ/2
                let w = 1 - e2 * s * s, root = w.squareRoot()
                let m = a * (1 - e2) / (w * root), nu = a / root
                let d = dLambda / 2 * s, d2 = d * d / 2                     // the azimuth's turn
                dPhi = range * (cb - d * sb - d2 * cb) / m
                dLambda = range * (sb + d * cb - d2 * sb) / (nu * c)
            }
            return plane.point(Position(apex.lon + dLambda / rad, apex.lat + dPhi / rad))
        }
        if fov >= 360 || fov <= 180 { return [Array(r.dropLast())] }
        // apex, arc backwards, apex: split at the middle of the arc; each half is at most 180° wide.
        let arc = r[1..<(r.count - 1)]
        let mid = arc.startIndex + arc.count / 2
        return [[r[0]] + arc[...mid], [r[0]] + arc[mid...]]
    }
}

/// A tangent plane in metres around a place (east, north): for areas of a few hundred metres, where
/// lon/lat scaled by the local metres per degree is a linear map (area ratios are exact).
public struct LocalPlane: Sendable {
    public struct Point: Sendable {
        public var x, y: Double
        public init(x: Double, y: Double) { self.x = x; self.y = y }
    }
    public let origin: Position
    let kx, ky: Double

    /// Scaled by the WGS84 ellipsoid's radii of curvature at the origin: prime vertical east–west,
    /// meridional north–south.
    public init(origin: Position) {
        self.origin = origin
        let rad = Double.pi / 180, a = 6_378_137.0, e2 = 0.00669437999014
        let s = sin(origin.lat * rad), w = 1 - e2 * s * s
        kx = a / w.squareRoot() * cos(origin.lat * rad) * rad
        ky = a * (1 - e2) / (w * w.squareRoot()) * rad
    }

    @inline(__always)
    public func point(_ p: Position) -> Point { Point(x: (p.lon - origin.lon) * kx, y: (p.lat - origin.lat) * ky) }

    /// Square metres per square degree of this plane.
    public var squareMetresPerSquareDegree: Double { kx * ky }
    /// The position of a point of the plane.
    public func position(_ p: Point) -> Position { Position(origin.lon + p.x / kx, origin.lat + p.y / ky) }
}

/// Area of a polygon inside a convex region, by clipping each ring to the region
/// (Sutherland–Hodgman: exact in area for any ring against a convex clip, degenerate bridges along
/// the clip's edges having no area). Holes subtract.
public enum ConvexClip {
    /// `clip`: a convex ring, counter-clockwise, not closed. Each ring is cut first by the clip's
    /// bounding box (four edges take a grid of hundreds of vertices down to the few near the
    /// camera), then by the clip's own edges: the same intersection, as the clip lies in its box.
    public static func area(of polygon: Polygon, in plane: LocalPlane, within clip: [LocalPlane.Point]) -> Double {
        guard let x0 = clip.map(\.x).min(), let x1 = clip.map(\.x).max(),
              let y0 = clip.map(\.y).min(), let y1 = clip.map(\.y).max() else { return 0 }
        let box = [LocalPlane.Point(x: x0, y: y0), LocalPlane.Point(x: x1, y: y0), LocalPlane.Point(x: x1, y: y1), LocalPlane.Point(x: x0, y: y1)]
        let boxArea = (x1 - x0) * (y1 - y0), clipArea = abs(signedArea(clip))
        var total = 0.0
        var input: [LocalPlane.Point] = [], output: [LocalPlane.Point] = []
        func cut(_ a: LocalPlane.Point, _ b: LocalPlane.Point) {
            let ex = b.x - a.x, ey = b.y - a.y
            // Most edges of a sector's arc leave most rings whole: nothing to rebuild then.
            guard input.contains(where: { ex * ($0.y - a.y) - ey * ($0.x - a.x) < 0 }) else { return }
            output.removeAll(keepingCapacity: true)
            guard var prev = input.last else { return }
            var prevSide = ex * (prev.y - a.y) - ey * (prev.x - a.x)
            for cur in input {
                let side = ex * (cur.y - a.y) - ey * (cur.x - a.x)
                if side >= 0 {
                    if prevSide < 0 { output.append(cross(prev, cur, prevSide, side)) }
                    output.append(cur)
                } else if prevSide >= 0 {
                    output.append(cross(prev, cur, prevSide, side))
                }
                prev = cur
                prevSide = side
            }
            swap(&input, &output)
        }
        // How far each clip edge's line is from the plane's origin (squared), when the origin is on
        // its inner side: a ring no farther out than that cannot cross it (points between two
        // points are no farther than the farther one), so a sector's arc edges are skipped for
        // the part of a grid within range.
        let clear = (0..<clip.count).map { e -> Double in
            let a = clip[e], b = clip[(e + 1) % clip.count]
            let ex = b.x - a.x, ey = b.y - a.y, inner = ey * a.x - ex * a.y
            return inner > 0 ? inner * inner / (ex * ex + ey * ey) : -1
        }
        for (k, ring) in polygon.rings.enumerated() {
            input.removeAll(keepingCapacity: true)
            for p in ring.dropLast() { input.append(plane.point(p)) }
            for e in 0..<4 where !input.isEmpty { cut(box[e], box[(e + 1) % 4]) }
            let a: Double
            if abs(signedArea(input)) >= boxArea * (1 - 1e-12) {
                // The ring holds the whole box, so the whole clip: the usual case of a view inside
                // one grid, without cutting by every edge of the arc.
                a = clipArea
            } else {
                let farthest = input.reduce(0.0) { max($0, $1.x * $1.x + $1.y * $1.y) }
                for e in 0..<clip.count where !input.isEmpty && farthest > clear[e] { cut(clip[e], clip[(e + 1) % clip.count]) }
                a = abs(signedArea(input))
            }
            total += k == 0 ? a : -a
        }
        return max(0, total)
    }

    /// Where segment p→q crosses the clip line, from the two side values.
    @inline(__always)
    private static func cross(_ p: LocalPlane.Point, _ q: LocalPlane.Point, _ sp: Double, _ sq: Double) -> LocalPlane.Point {
        let t = sp / (sp - sq)
        return LocalPlane.Point(x: p.x + (q.x - p.x) * t, y: p.y + (q.y - p.y) * t)
    }

    static func signedArea(_ r: [LocalPlane.Point]) -> Double {
        guard r.count >= 3 else { return 0 }
        var s = 0.0
        var prev = r[r.count - 1]
        for p in r { s += prev.x * p.y - p.x * prev.y; prev = p }
        return s / 2
    }

    /// Area in m² of `polygon` that `sector` sees.
    public static func area(of polygon: Polygon, seenBy sector: ViewSector) -> Double {
        Seen(sector).area(of: polygon)
    }

    /// A sector made ready for measuring many polygons against it (the grids near one camera):
    /// its plane and convex pieces, made once.
    public struct Seen: Sendable {
        let plane: LocalPlane
        let pieces: [[LocalPlane.Point]]

        public init(_ sector: ViewSector) {
            plane = LocalPlane(origin: sector.apex)
            pieces = sector.convexPieces(in: plane)
        }

        /// Area in m² of `polygon` inside the sector.
        public func area(of polygon: Polygon) -> Double {
            pieces.reduce(0) { $0 + ConvexClip.area(of: polygon, in: plane, within: $1) }
        }
    }
}
