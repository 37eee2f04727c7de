import Foundation

/// GCJ-02 and BD-09 from and to WGS84, by the published formulas (they are not in PROJ).
/// The forward GCJ-02 offset uses the Krasovsky 1940 ellipsoid and a fixed trigonometric polynomial;
/// it has no closed-form inverse, so the inverse iterates until the forward of its result lands
/// within 1 cm of the input.
public enum ChinaOffset {
    /// GCJ-02 is defined inside China only; outside, the offset is not applied by the providers and a
    /// conversion would be wrong. This is the bounding box the published algorithm uses.
    public static func isInsideChina(_ p: Position) -> Bool {
        p.lon >= 72.004 && p.lon <= 137.8347 && p.lat >= 0.8293 && p.lat <= 55.8271
    }

    public struct OutsideChina: Error, CustomStringConvertible, Sendable {
        public let position: Position
        public var description: String {
            "\(position.lon), \(position.lat) is outside China, where GCJ-02 is not defined"
        }
    }

    private static let a = 6378245.0
    private static let ee = 0.00669342162296594323

    public static func wgs84ToGCJ02(_ p: Position) throws(OutsideChina) -> Position {
        guard isInsideChina(p) else { throw OutsideChina(position: p) }
        return gcjForward(p)
    }

    public static func gcj02ToWGS84(_ p: Position) throws(OutsideChina) -> Position {
        guard isInsideChina(p) else { throw OutsideChina(position: p) }
        return invert(p, gcjForward)
    }

    public static func gcj02ToBD09(_ p: Position) -> Position {
        let x = p.lon, y = p.lat
        let z = (x * x + y * y).squareRoot() + 0.00002 * sin(y * xPi)
        let theta = atan2(y, x) + 0.000003 * cos(x * xPi)
        return Position(z * cos(theta) + 0.0065, z * sin(theta) + 0.006, alt: p.alt)
    }

    public static func bd09ToGCJ02(_ p: Position) -> Position { invert(p, gcj02ToBD09) }

    public static func wgs84ToBD09(_ p: Position) throws(OutsideChina) -> Position {
        gcj02ToBD09(try wgs84ToGCJ02(p))
    }

    public static func bd09ToWGS84(_ p: Position) throws(OutsideChina) -> Position {
        try gcj02ToWGS84(bd09ToGCJ02(p))
    }

    private static let xPi = Double.pi * 3000.0 / 180.0

    private static func gcjForward(_ p: Position) -> Position {
        let x = p.lon - 105.0, y = p.lat - 35.0
        var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * abs(x).squareRoot()
        dLat += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        dLat += (20.0 * sin(y * .pi) + 40.0 * sin(y / 3.0 * .pi)) * 2.0 / 3.0
        dLat += (160.0 * sin(y / 12.0 * .pi) + 320 * sin(y * .pi / 30.0)) * 2.0 / 3.0
        var dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * abs(x).squareRoot()
        dLon += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        dLon += (20.0 * sin(x * .pi) + 40.0 * sin(x / 3.0 * .pi)) * 2.0 / 3.0
        dLon += (150.0 * sin(x / 12.0 * .pi) + 300.0 * sin(x / 30.0 * .pi)) * 2.0 / 3.0
        let radLat = p.lat / 180.0 * .pi
        var magic = sin(radLat)
        magic = 1 - ee * magic * magic
        let sqrtMagic = magic.squareRoot()
        dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sqrtMagic) * .pi)
        dLon = (dLon * 180.0) / (a / sqrtMagic * cos(radLat) * .pi)
        return Position(p.lon + dLon, p.lat + dLat, alt: p.alt)
    }

    /// Fixed-point inversion: the offsets vary slowly (a few hundred metres over degrees), so
    /// x ← x − (f(x) − target) converges in a handful of steps. Stops when f(x) is within
    /// 1e-9° of the target (about 0.1 mm), far inside the 1 cm requirement.
    private static func invert(_ target: Position, _ forward: (Position) -> Position) -> Position {
        var x = target
        for _ in 0..<30 {
            let f = forward(x)
            let dLon = f.lon - target.lon, dLat = f.lat - target.lat
            if abs(dLon) < 1e-9 && abs(dLat) < 1e-9 { break }
            x.lon -= dLon
            x.lat -= dLat
        }
        return Position(x.lon, x.lat, alt: target.alt)
    }
}
