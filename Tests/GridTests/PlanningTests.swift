import Foundation
import Geo
import Testing
@testable import Grid

@Suite struct PlanningTests {
    /// A grid of the small demo with its village and a neighbour in the same village.
    func pick(_ store: GridStore) throws -> (grid: Grid, neighbour: Grid, far: Grid) {
        let grids = try store.grids()
        let ctx = GEOSContext()
        for g in grids {
            let s = try ctx.shape(.polygon(g.polygon))
            let mates = grids.filter { $0.code != g.code && $0.villageCode == g.villageCode }
            if let n = try mates.first(where: { try s.sharesEdge(with: ctx.shape(.polygon($0.polygon))) }),
               let f = try mates.first(where: { try !ctx.shape(.polygon($0.polygon)).intersects(s) }) {
                return (g, n, f)
            }
        }
        throw PlanError("no suitable grid in the demo")
    }

    /// A line across the grid's bounding box through its middle, west to east.
    func lineAcross(_ g: Grid) -> [Position] {
        let b = Geometry.polygon(g.polygon).boundingBox!
        let y = (b.minLat + b.maxLat) / 2
        return [Position(b.minLon - 0.01, y), Position(b.maxLon + 0.01, y)]
    }

    @Test func splitMergeAndThePlanStaysAsideUntilPublished() throws {
        let (_, store, planning) = try demoStore()
        let (g, n, far) = try pick(store)
        let plan = try planning.newPlan(name: "t")
        let made = try planning.edit(plan: plan.id) { try $0.split(g.code, along: lineAcross(g)) }
        #expect(made.count >= 2 && made[0] == g.code)
        #expect(made[1].hasPrefix(g.villageCode!) && made[1].count == 15)
        #expect(try store.planGrids(id: plan.id).count == store.grids().count + made.count - 1)
        #expect(try store.grids().first { $0.code == g.code } == g)          // the live layer is untouched
        // Split pieces share the household count of the original, by spatial join.
        let pieces = try store.planGrids(id: plan.id).filter { made.contains($0.code) }
        #expect(pieces.reduce(0) { $0 + $1.households } == g.households)
        // And merge every piece back (a line can cross a concave grid more than once).
        try planning.edit(plan: plan.id) { editor in
            var rest = Array(made.dropFirst())
            while !rest.isEmpty {
                guard let k = rest.firstIndex(where: { (try? editor.merge(made[0], $0)) != nil }) else { throw PlanError("pieces do not merge") }
                rest.remove(at: k)
            }
            return []
        }
        let merged = try store.planGrids(id: plan.id).first { $0.code == g.code }!
        #expect(merged.households == g.households)
        #expect(abs(Geodesy.localArea(of: .polygon(merged.polygon)) - Geodesy.localArea(of: .polygon(g.polygon))) < 1)
        // Refusals leave the plan as it was.
        let before = try store.planGrids(id: plan.id)
        #expect(throws: PlanError.self) { try planning.edit(plan: plan.id) { try $0.merge(g.code, far.code); return [] } }
        #expect(throws: PlanError.self) { try planning.edit(plan: plan.id) { try $0.merge(g.code, g.code); return [] } }
        #expect(throws: PlanError.self) {
            try planning.edit(plan: plan.id) { try $0.split(g.code, along: [Position(100, 20), Position(100.1, 20.1)]) }
        }
        #expect(throws: PlanError.self) { try planning.edit(plan: plan.id) { try $0.split("nope", along: lineAcross(g)) } }
        #expect(try store.planGrids(id: plan.id) == before)
        _ = n
    }

    @Test func mergeAcrossVillagesAndDistantGridsIsRefusedWithTheReason() throws {
        let (_, store, planning) = try demoStore()
        let (g, _, far) = try pick(store)
        let plan = try planning.newPlan(name: "t")
        do { try planning.edit(plan: plan.id) { try $0.merge(g.code, far.code); return [] } } catch {
            #expect("\(error)" == "grids \(g.code) and \(far.code) do not touch (they share no edge)")
        }
        let other = try store.grids().first { $0.villageCode != g.villageCode }!
        do { try planning.edit(plan: plan.id) { try $0.merge(g.code, other.code); return [] } } catch {
            #expect("\(error)".contains("are in different villages"))
        }
    }

    @Test func reshapeKeepsCoverageOrRefuses() throws {
        let (_, store, planning) = try demoStore()
        let (g, n, _) = try pick(store)
        let plan = try planning.newPlan(name: "t")
        let ctx = GEOSContext()
        // Take a bite out of the neighbour: the new boundary is the grid plus a piece of it.
        let neighbour = try ctx.shape(.polygon(n.polygon))
        let bite = try neighbour.intersection(try ctx.shape(.polygon(g.polygon)).buffer(0.001))
        let grown = try ctx.shape(.polygon(g.polygon)).union(bite).snapped().geometry
        guard case .polygon(let newBoundary) = grown else { Issue.record("grown grid is \(grown.typeName)"); return }
        let changed = try planning.edit(plan: plan.id) { try $0.reshape(g.code, to: newBoundary) }
        #expect(changed.contains(n.code))
        let after = try store.planGrids(id: plan.id)
        let problems = try LayerValidator().validate(after, boundaries: try store.boundaries())
        #expect(!problems.contains { [.overlap, .gap, .crossesParent, .invalid].contains($0.kind) }, "\(problems)")
        // Shrinking to a sliver in the middle leaves a hole only if no neighbour can take the rest:
        // a grid shrunk to a tiny square keeps coverage through its neighbours.
        // Reaching outside the village is refused.
        let b = Geometry.polygon(g.polygon).boundingBox!
        let huge = Polygon([[.init(b.minLon - 0.5, b.minLat - 0.5), .init(b.maxLon + 0.5, b.minLat - 0.5), .init(b.maxLon + 0.5, b.maxLat + 0.5),
                             .init(b.minLon - 0.5, b.maxLat + 0.5), .init(b.minLon - 0.5, b.minLat - 0.5)]])
        do { _ = try planning.edit(plan: plan.id) { try $0.reshape(g.code, to: huge) }; Issue.record("huge reshape accepted") } catch {
            #expect("\(error)" == "the new boundary reaches outside the grid's village or town")
        }
        let bowtie = Polygon([[.init(b.minLon, b.minLat), .init(b.maxLon, b.maxLat), .init(b.maxLon, b.minLat), .init(b.minLon, b.maxLat), .init(b.minLon, b.minLat)]])
        #expect(throws: PlanError.self) { try planning.edit(plan: plan.id) { try $0.reshape(g.code, to: bowtie) } }
    }

    @Test func reshapeThatWouldLeaveAHoleIsRefused() throws {
        // Two grids side by side in a village: shrinking the left one's outer edge leaves land that
        // only the village boundary touches, which no grid may take.
        let village = Boundary(code: "511725001001", name: "v", level: .village, parentCode: "511725001",
                               area: [Polygon([[.init(0, 0), .init(2, 0), .init(2, 1), .init(0, 1), .init(0, 0)]])])
        let left = Grid(code: "511725001001001", name: "l", households: 400, polygon: square(0, 0, 1))
        let right = Grid(code: "511725001001002", name: "r", households: 400, polygon: square(1, 0, 1))
        var editor = PlanEditor(grids: [left, right], boundaries: [village], households: [])
        // The left grid gives up its western half; the piece touches the right grid nowhere.
        let smaller = Polygon([[.init(0.5, 0), .init(1, 0), .init(1, 1), .init(0.5, 1), .init(0.5, 0)]])
        do { _ = try editor.reshape(left.code, to: smaller); Issue.record("hole accepted") } catch {
            #expect("\(error)".hasPrefix("the reshape leaves a hole"))
        }
        // Moving the shared edge is fine: the right grid takes what the left gives up.
        let moved = Polygon([[.init(0, 0), .init(0.8, 0), .init(0.8, 1), .init(0, 1), .init(0, 0)]])
        _ = try editor.reshape(left.code, to: moved)
        let expected = Geodesy.localArea(of: .polygon(square(0.8, 0, 1.2).scaledY(1 / 1.2)))
        #expect(abs(Geodesy.localArea(of: .polygon(editor.grids[1].polygon)) - expected) / expected < 1e-12)
        #expect(try LayerValidator().validate(editor.grids, boundaries: [village]).allSatisfy { $0.kind == .empty })
    }

    @Test func givenUpLandIsSharedByTheNeighboursItTouches() throws {
        // A 2 × 2 block of grids; A shrinks to its lower-left quarter. The L-shaped rest touches B
        // along x = 1 and C along y = 1: each takes the part nearest its edge, coverage stays whole.
        let village = Boundary(code: "511725001001", name: "v", level: .village, parentCode: "511725001",
                               area: [square(0, 0, 2)])
        let a = Grid(code: "511725001001001", name: "a", households: 400, polygon: square(0, 0, 1))
        let b = Grid(code: "511725001001002", name: "b", households: 400, polygon: square(1, 0, 1))
        let c = Grid(code: "511725001001003", name: "c", households: 400, polygon: square(0, 1, 1))
        let d = Grid(code: "511725001001004", name: "d", households: 400, polygon: square(1, 1, 1))
        var editor = PlanEditor(grids: [a, b, c, d], boundaries: [village], households: [])
        let changed = try editor.reshape(a.code, to: square(0, 0, 0.5))
        #expect(Set(changed) == [a.code, b.code, c.code])
        let area = { (code: String) in Geodesy.localArea(of: .polygon(editor.grids.first { $0.code == code }!.polygon)) }
        let quarter = Geodesy.localArea(of: .polygon(square(0, 0, 1))) / 4
        // B and C each gain about half of the three quarters A gave up; D gains nothing.
        #expect(abs(area(b.code) - Geodesy.localArea(of: .polygon(b.polygon)) - 1.5 * quarter) < 0.3 * quarter)
        #expect(abs(area(c.code) - Geodesy.localArea(of: .polygon(c.polygon)) - 1.5 * quarter) < 0.3 * quarter)
        #expect(editor.grids.first { $0.code == d.code }!.polygon == d.polygon)
        #expect(try LayerValidator().validate(editor.grids, boundaries: [village]).allSatisfy { $0.kind == .empty })
    }

    @Test func partitionPublishHistoryAndRollback() throws {
        let (_, store, planning) = try demoStore()
        let village = smallDemo.villages[0]
        let old = try store.grids()
        // A hand-made mess of the first village, then its re-partition.
        let plan = try planning.newPlan(name: "redraw")
        let mine = old.filter { $0.villageCode == village.code }
        if mine.count >= 2 {
            let ctx = GEOSContext()
            if let pair = try mine.dropFirst().first(where: { try ctx.shape(.polygon(mine[0].polygon)).sharesEdge(with: ctx.shape(.polygon($0.polygon))) }) {
                try planning.edit(plan: plan.id) { try $0.merge(mine[0].code, pair.code); return [] }
            }
        }
        let made = try planning.edit(plan: plan.id) { try $0.partition(village.code) }
        #expect(made.allSatisfy { $0.hasPrefix(village.code) })
        #expect(try planning.validate(plan: plan.id).isEmpty)
        // Publishing: a new version; the old one stays readable.
        let before = try store.currentVersion()
        let published = try planning.publish(plan: plan.id)
        #expect(published.version == before + 1)
        #expect(try store.grids(version: before) == old)
        #expect(try store.plan(id: plan.id).status == .published)
        // Households in the database point at their grid in the new layer.
        let layer = GridLayer(grids: try store.grids())
        for h in try store.households().prefix(2000) { #expect(h.gridCode == layer.grid(at: h.position)?.code) }
        // A plan made before that publish is stale now.
        let late = try store.createPlan(name: "late", fromVersion: nil)
        _ = try planning.rollback(to: before)
        do { _ = try planning.publish(plan: late.id); Issue.record("stale plan published") } catch {
            #expect("\(error)".contains("was made on version \(before + 1) but the live layer is now version \(before + 2)"))
        }
        // Rollback restored the old geometry as a new version.
        #expect(try store.grids().map(\.polygon) == old.map(\.polygon))
        #expect(try store.versions().count == before + 2)
    }

    @Test func publishingAPlanWithProblemsChangesNothing() throws {
        let (dir, store, planning) = try demoStore()
        let (g, _, _) = try pick(store)
        let plan = try planning.newPlan(name: "bad")
        _ = try planning.edit(plan: plan.id) { try $0.split(g.code, along: lineAcross(g)) }   // two halves below the band
        let file = dir.path("demo.sqlite")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        do { _ = try planning.publish(plan: plan.id); Issue.record("published with problems") } catch {
            #expect("\(error)".contains("validation problems"))
            #expect("\(error)".contains("outside_band"))
        }
        #expect(try store.currentVersion() == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == bytes)
    }

    @Test func overridesInAPlanAreValidatedAsSuch() throws {
        let (_, store, planning) = try demoStore()
        let g = try store.grids()[0]
        let plan = try planning.newPlan(name: "override")
        try planning.edit(plan: plan.id) { try $0.setOverride(g.code, households: 620); return [] }
        #expect(try planning.validate(plan: plan.id).map(\.description) == ["outside_band [\(g.code)]: 620 households (override), band 300–500"])
        #expect(throws: PlanError.self) { try planning.edit(plan: plan.id) { try $0.setOverride(g.code, households: -1); return [] } }
        try planning.edit(plan: plan.id) { try $0.setOverride(g.code, households: nil); return [] }
        #expect(try planning.validate(plan: plan.id).isEmpty)
        #expect(try store.planGrids(id: plan.id).first { $0.code == g.code }?.householdsOverride == nil)
    }

    @Test func partitionRefusesAnImpossibleBand() throws {
        let village = Boundary(code: "511725001001", name: "v", level: .village, parentCode: "511725001",
                               area: [square(106, 30, 0.01)])
        let homes = (0..<52).map { Household(id: Int64($0), address: "a", households: 10, population: 25,
                                             position: Position(106.0001 + Double($0) * 0.0001, 30.005)) }
        var editor = PlanEditor(grids: [Grid(code: "511725001001001", name: "g", households: 520, polygon: square(106, 30, 0.01))],
                                boundaries: [village], households: homes)
        do { _ = try editor.partition(village.code); Issue.record("impossible band accepted") } catch {
            #expect("\(error)" == "village 511725001001 v: 520 households cannot make grids of 300–500 households each")
        }
        #expect(throws: PlanError.self) { _ = try editor.partition("999") }
    }
}
