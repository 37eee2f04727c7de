import Foundation
import Geo
import Testing
@testable import Cases
@testable import Grid
@testable import SpatiaLiteStore

@Suite struct CaseStoreTests {
    /// Cases by box go through the cell index; they must be exactly what SpatiaLite's own MBR test
    /// finds by scanning, for boxes of every size (a few metres to wider than the county), and for
    /// boxes whose edges fall on cell edges.
    @Test func boxQueriesAgreeWithSpatiaLite() throws {
        let (_, d, database) = try countyDesk()
        let households = try d.grids.households()
        var rng = SeededRandom(seed: 7)
        var stored: [Case] = []
        try d.store.write {
            for k in 0..<400 {
                let h = households[Int(rng.next() % UInt64(households.count))]
                // Some exactly on a 0.01° line, where rounding decides the cell.
                let p = k % 10 == 0 ? Position((h.position.lon * 100).rounded() / 100, (h.position.lat * 100).rounded() / 100) : h.position
                stored.append(try d.intake(IntakeRequest(category: .other, channel: .window, description: "box \(k)", location: .point(p, .crs84)),
                                           actor: clerk, now: monday(10)))
            }
        }
        // Another writer (QGIS, a script) moves a case or clears its key: the triggers put it right.
        let moved = stored[0]
        try database.execute("UPDATE cases SET geom = MakePoint(\(moved.position.lon + 0.05), \(moved.position.lat), 4326) WHERE id = \(moved.id)")
        try database.execute("UPDATE cases SET cell = NULL WHERE id = \(stored[1].id)")
        #expect(try database.scalar("SELECT count(*) FROM cases WHERE cell IS NULL").int == 0)
        stored[0].position = Position(moved.position.lon + 0.05, moved.position.lat)
        for k in 0..<60 {
            let c = stored[k < 2 ? k : Int(rng.next() % UInt64(stored.count))].position
            let half = [0.0, 0.00001, 0.003, 0.01, 0.05, 0.2, 1.0][k % 7]
            let onEdge = k % 5 == 0
            let b = onEdge
                ? BoundingBox(minLon: (c.lon * 100).rounded(.down) / 100, minLat: (c.lat * 100).rounded(.down) / 100,
                              maxLon: (c.lon * 100).rounded(.up) / 100, maxLat: (c.lat * 100).rounded(.up) / 100)
                : BoundingBox(minLon: c.lon - half, minLat: c.lat - half * 0.7, maxLon: c.lon + half, maxLat: c.lat + half * 0.7)
            var q = CaseQuery(limit: 1000)
            q.bbox = b
            let ours = Set(try d.cases.page(q).cases.map(\.id))
            let theirs = Set(try database.prepare("""
                SELECT id FROM cases WHERE MbrIntersects(geom, BuildMbr(?, ?, ?, ?, 4326)) = 1
                """).rows([.real(b.minLon), .real(b.minLat), .real(b.maxLon), .real(b.maxLat)]).compactMap { $0[0].int })
            #expect(ours == theirs, "box \(b) (\(half)°): \(ours.count) vs \(theirs.count)")
            #expect(!ours.isEmpty)
        }
    }
}
