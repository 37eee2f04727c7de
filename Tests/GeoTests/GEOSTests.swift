import Testing
@testable import Geo

@Suite struct GEOSTests {
    let ctx = GEOSContext()

    func square(_ x: Double, _ y: Double, _ s: Double) -> Geometry {
        .polygon(Polygon([[.init(x, y), .init(x + s, y), .init(x + s, y + s), .init(x, y + s), .init(x, y)]]))
    }

    @Test func validityGivesReasonAndPlace() throws {
        let bowtie = Geometry.polygon(Polygon([[.init(0, 0), .init(2, 2), .init(2, 0), .init(0, 2), .init(0, 0)]]))
        let s = try ctx.shape(bowtie)
        guard case .invalid(let reason, let at) = s.validity else { Issue.record("bowtie valid"); return }
        #expect(reason.contains("Self-intersection"))
        #expect(at == Position(1, 1))
        #expect(try ctx.shape(square(0, 0, 1)).validity == .valid)
        // make-valid repairs it into two triangles of the same total area.
        let fixed = try s.makeValid()
        #expect(fixed.validity == .valid)
        #expect(abs(fixed.planarArea - 2) < 1e-12)
    }

    @Test func overlayOperations() throws {
        let a = try ctx.shape(square(0, 0, 2)), b = try ctx.shape(square(1, 1, 2))
        #expect(abs(try a.union(b).planarArea - 7) < 1e-12)
        #expect(abs(try a.intersection(b).planarArea - 1) < 1e-12)
        #expect(abs(try a.difference(b).planarArea - 3) < 1e-12)
        #expect(a.overlapsInArea(b))
        let c = try ctx.shape(square(2, 0, 2))   // shares an edge with a
        #expect(a.intersects(c) && !a.overlapsInArea(c))
        #expect(try a.intersection(b).geometry == square(1, 1, 1) || abs(try a.intersection(b).planarArea - 1) < 1e-12)
    }

    @Test func preparedGeometryAndRoundTrip() throws {
        let poly = Geometry.polygon(Polygon([
            [.init(0, 0), .init(4, 0), .init(4, 4), .init(0, 4), .init(0, 0)],
            [.init(1, 1), .init(1, 3), .init(3, 3), .init(3, 1), .init(1, 1)],
        ]))
        let s = try ctx.shape(poly)
        #expect(s.geometry == poly)
        let p = try s.prepared()
        #expect(p.contains(try ctx.shape(.point(.init(0.5, 0.5)))))
        #expect(!p.contains(try ctx.shape(.point(.init(2, 2)))))     // in the hole
        #expect(!p.contains(try ctx.shape(.point(.init(0, 2)))))     // on the boundary: not contained…
        #expect(p.covers(try ctx.shape(.point(.init(0, 2)))))        // …but covered
        let multi = Geometry.multiPolygon([Polygon([[.init(0, 0), .init(1, 0), .init(1, 1), .init(0, 0)]])])
        #expect(try ctx.shape(multi).geometry == multi)
        let lines = Geometry.multiLineString([[.init(0, 0), .init(1, 1)], [.init(2, 2), .init(3, 3)]])
        #expect(try ctx.shape(lines).geometry == lines)
        #expect(try ctx.shape(.multiPoint([.init(1, 2), .init(3, 4)])).geometry == .multiPoint([.init(1, 2), .init(3, 4)]))
    }

    @Test func strtreeFindsIntersectingBoxes() throws {
        let tree = try STRtree(context: ctx)
        for i in 0..<100 {
            let x = Double(i % 10), y = Double(i / 10)
            try tree.insert(BoundingBox(minLon: x, minLat: y, maxLon: x + 0.9, maxLat: y + 0.9), id: i)
        }
        #expect(try tree.query(BoundingBox(minLon: 2.95, minLat: 4.95, maxLon: 3.05, maxLat: 5.05)).sorted() == [53])
        #expect(try tree.query(BoundingBox(minLon: 0.5, minLat: 0.5, maxLon: 1.5, maxLat: 1.5)).sorted() == [0, 1, 10, 11])
        #expect(try tree.query(BoundingBox(minLon: 50, minLat: 50, maxLon: 51, maxLat: 51)).isEmpty)
    }

    @Test func geosErrorsAreThrownNotCrashed() throws {
        // GEOS refuses an unclosed LinearRing (its IllegalArgumentException becomes a Swift error).
        let bad = Geometry.polygon(Polygon([[.init(0, 0), .init(1, 0), .init(1, 1), .init(0, 1)]]))
        #expect(throws: GEOSError.self) { try ctx.shape(bad) }
    }
}
