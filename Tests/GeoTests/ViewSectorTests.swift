import Foundation
import Testing
@testable import Geo

/// Camera view sectors against PROJ's geodesics and GEOS's overlay.
@Suite struct ViewSectorTests {
    let ctx = GEOSContext()
    let pole = Position(106.97, 30.84)

    @Test(arguments: [(45.0, 60.0, 120.0), (350.0, 90.0, 50.0), (10.0, 270.0, 200.0), (0.0, 360.0, 100.0), (200.0, 1.0, 2000.0)])
    func theArcIsAtTheRangeAndTheRingIsSimpleAndCounterClockwise(azimuth: Double, fov: Double, range: Double) throws {
        let s = ViewSector(apex: pole, azimuth: azimuth, fov: fov, range: range)
        let ring = s.ring
        let arc = fov >= 360 ? Array(ring.dropLast()) : Array(ring.dropFirst().dropLast())
        #expect(arc.count >= 33)
        for p in arc { #expect(abs(Geodesy.distance(pole, p) - range) < 1e-6) }
        #expect(ring.first == ring.last)
        #expect(RingMath.signedArea2(ring) > 0)
        #expect(try ctx.shape(.polygon(s.polygon)).validity == .valid)
        // The pieces routing clips with hold the same arc, to under a millimetre.
        let plane = LocalPlane(origin: pole)
        let pieces: [LocalPlane.Point] = s.convexPieces(in: plane).flatMap { $0 }
        for p in arc {
            let q = plane.point(p)
            var nearest = Double.infinity
            for v in pieces {
                let dx = v.x - q.x, dy = v.y - q.y
                nearest = min(nearest, (dx * dx + dy * dy).squareRoot())
            }
            #expect(nearest < 1e-3, "\(nearest) m")
        }
        // Area close to the exact sector's (fov/360 · π r², on the ellipsoid): the chords cut a
        // little off.
        let exact = fov / 360 * Double.pi * range * range
        let area = Geodesy.area(of: .polygon(s.polygon))
        #expect(area < exact * (1 + 1e-6) && area > exact * 0.999, "\(area) vs \(exact)")
    }

    /// The clipped area against GEOS's intersection, in the same plane: random grid-like polygons
    /// with holes and sectors of every width.
    @Test func clippedAreaAgreesWithGEOSIntersection() throws {
        var rng = SeededRandom(seed: 31)
        let plane = LocalPlane(origin: pole)
        var checked = 0
        for _ in 0..<400 {
            // A star-shaped polygon around a point within 200 m of the pole, sometimes with a hole.
            let cx = pole.lon + (rng.unit() - 0.5) * 0.004, cy = pole.lat + (rng.unit() - 0.5) * 0.004
            let n = 5 + Int(rng.next() % 20)
            var outer = (0..<n).map { k -> Position in
                let a = Double(k) / Double(n) * 2 * .pi, r = 0.0005 + rng.unit() * 0.0015
                return Position(cx + r * cos(a), cy + r * sin(a))
            }
            outer.append(outer[0])
            var rings = [outer]
            if rng.unit() < 0.3 {
                let h = [Position(cx - 0.0002, cy - 0.0002), Position(cx - 0.0002, cy + 0.0002), Position(cx + 0.0002, cy + 0.0002),
                         Position(cx + 0.0002, cy - 0.0002), Position(cx - 0.0002, cy - 0.0002)]
                rings.append(h)
            }
            let polygon = Polygon(rings)
            let fov = [30.0, 90.0, 179.0, 181.0, 270.0, 360.0][Int(rng.next() % 6)]
            let sector = ViewSector(apex: pole, azimuth: rng.unit() * 360, fov: fov, range: 50 + rng.unit() * 250)
            let ours = ConvexClip.area(of: polygon, seenBy: sector)
            let geos = try ctx.shape(.polygon(polygon)).intersection(ctx.shape(.polygon(sector.polygon))).planarArea * plane.squareMetresPerSquareDegree
            // The same sector to under a millimetre along its arc.
            #expect(abs(ours - geos) <= 1e-3 * 2 * sector.range * (1 + sector.fov / 57.3), "fov \(fov): \(ours) vs GEOS \(geos)")
            if geos > 0 { checked += 1 }
        }
        #expect(checked > 100)
    }
}
