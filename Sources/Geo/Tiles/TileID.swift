import Foundation

/// A tile of the Web Mercator tile matrix (EPSG:3857, the "XYZ" scheme: y counted from the north),
/// as web maps, QGIS and GDAL's MVT driver address them.
public struct TileID: Hashable, Sendable, CustomStringConvertible {
    public let z: Int, x: Int, y: Int

    /// Nil for a tile outside the world at that zoom, or a zoom outside `zooms`.
    public init?(z: Int, x: Int, y: Int, zooms: ClosedRange<Int> = 0...24) {
        guard zooms.contains(z), z <= 30 else { return nil }
        let n = 1 << z
        guard (0..<n).contains(x), (0..<n).contains(y) else { return nil }
        self.z = z; self.x = x; self.y = y
    }

    public var description: String { "\(z)/\(x)/\(y)" }

    /// The tile's area in lon/lat.
    public var bounds: BoundingBox {
        let n = Double(1 << z)
        let (w, n0) = WebMercator.lonLat(fx: Double(x) / n, fy: Double(y) / n)
        let (e, s) = WebMercator.lonLat(fx: Double(x + 1) / n, fy: Double(y + 1) / n)
        return BoundingBox(minLon: w, minLat: s, maxLon: e, maxLat: n0)
    }

    /// The tile's area grown by `fraction` of its size on every side, in lon/lat (clipped to the world).
    public func bounds(buffer fraction: Double) -> BoundingBox {
        let n = Double(1 << z)
        let (w, north) = WebMercator.lonLat(fx: max(0, (Double(x) - fraction) / n), fy: max(0, (Double(y) - fraction) / n))
        let (e, south) = WebMercator.lonLat(fx: min(1, (Double(x + 1) + fraction) / n), fy: min(1, (Double(y + 1) + fraction) / n))
        return BoundingBox(minLon: w, minLat: south, maxLon: e, maxLat: north)
    }
}

/// Spherical Web Mercator as fractions of the world (0…1 from the west and from the north): the
/// arithmetic of EPSG:3857, without a PROJ call per vertex.
public enum WebMercator {
    public static let maxLatitude = 85.051_128_779_806_59

    public static func fraction(_ p: Position) -> (x: Double, y: Double) {
        let lat = min(max(p.lat, -maxLatitude), maxLatitude) * .pi / 180
        let x = (p.lon + 180) / 360
        let y = (1 - log(tan(lat) + 1 / cos(lat)) / .pi) / 2
        return (x, y)
    }

    public static func lonLat(fx: Double, fy: Double) -> (lon: Double, lat: Double) {
        let lon = fx * 360 - 180
        let lat = atan(sinh(.pi * (1 - 2 * fy))) * 180 / .pi
        return (lon, lat)
    }

    /// The tile at zoom `z` holding a position.
    public static func tile(containing p: Position, zoom z: Int) -> TileID {
        let n = Double(1 << z)
        let (fx, fy) = fraction(p)
        let top = (1 << z) - 1
        return TileID(z: z, x: min(max(Int(fx * n), 0), top), y: min(max(Int(fy * n), 0), top))!
    }
}
