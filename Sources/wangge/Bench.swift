import ArgumentParser
import Foundation
import Geo
import Grid

/// Benchmark helpers, used by `make bench`; figures go to stdout, never into pass/fail tests.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark helpers.", subcommands: [BenchPoints.self, BenchKernel.self, BenchGrids.self])
}

struct BenchPoints: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "points",
        abstract: "Write N random points over the grid layer's extent as CSV id,lon,lat.")
    @Option(help: "Database file.") var db: String
    @Option var count = 1_000_000
    @Option var seed: UInt64 = 7

    func run() throws {
        let grids = try SpatiaLiteGridStore.open(path: db).grids()
        var box = Geometry.polygon(grids[0].polygon).boundingBox!
        for g in grids { box.extend(Geometry.polygon(g.polygon).boundingBox!) }
        var rng = SeededRandom(seed: seed)
        var out = "id,lon,lat\n"
        for k in 0..<count {
            let lon = box.minLon + rng.unit() * (box.maxLon - box.minLon)
            let lat = box.minLat + rng.unit() * (box.maxLat - box.minLat)
            out += "p\(k),\(String(format: "%.7f", lon)),\(String(format: "%.7f", lat))\n"
            if out.utf8.count > 1 << 20 || k == count - 1 {
                FileHandle.standardOutput.write(Data(out.utf8))
                out = ""
            }
        }
    }
}

struct BenchKernel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernel",
        abstract: "Time the in-memory assignment kernel on a points CSV; prints points/second (one core).")
    @Option(help: "Database file.") var db: String
    @Option(help: "Points CSV (id,lon,lat).") var points: String
    @Option var rounds = 5

    func run() throws {
        let layer = GridLayer(grids: try SpatiaLiteGridStore.open(path: db).grids())
        var xs: [Double] = [], ys: [Double] = []
        let text = try String(contentsOfFile: points, encoding: .utf8)
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            xs.append(Double(f[1])!)
            ys.append(Double(f[2])!)
        }
        var result = [Int32](repeating: -1, count: xs.count)
        var best = Double.infinity
        for _ in 0..<rounds {
            let t0 = DispatchTime.now().uptimeNanoseconds
            xs.withUnsafeBufferPointer { x in ys.withUnsafeBufferPointer { y in
                result.withUnsafeMutableBufferPointer { layer.locator.locate(xs: x, ys: y, into: $0) } } }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let assigned = result.filter { $0 >= 0 }.count
        print(String(format: "kernel %.1f M points/s (%d points, %d in a grid, best of %d)", Double(xs.count) / best / 1e6, xs.count, assigned, rounds))
    }
}

struct BenchGrids: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grids",
        abstract: "Time validating the live layer, re-partitioning the whole county in a plan, and publishing it.")
    @Option(help: "Database file (a demo county; it gets a new version).") var db: String

    func run() throws {
        let planning = GridPlanning(store: try SpatiaLiteGridStore.open(path: db))
        func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let v = try body()
            return (v, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        // Start from a hand-drawn-like layer (each village cut into 2–3 Voronoi cells at random,
        // households unbalanced), as a county's layer is before a redraw; publishing the
        // re-partition then moves households and cameras for real.
        guard let county = try planning.store.boundaries().first(where: { $0.level == .county }) else { throw ValidationError("no county boundary") }
        let ctx = GEOSContext()
        var rng = SeededRandom(seed: 99)
        var drawn: [Grid] = []
        for v in try planning.store.boundaries() where v.level == .village {
            let box = Geometry.multiPolygon(v.area).boundingBox!
            let inV = PointLocator(polygons: v.area)
            var seeds: [Position] = []
            while seeds.count < 2 + Int(rng.next() % 2) {
                let p = Position(box.minLon + rng.unit() * (box.maxLon - box.minLon), box.minLat + rng.unit() * (box.maxLat - box.minLat))
                if inV.locate(p.lon, p.lat) != nil { seeds.append(p) }
            }
            for (n, cell) in try Tessellation.voronoi(seeds: seeds, within: v.area, context: ctx).compactMap({ $0 }).enumerated() {
                drawn.append(Grid(code: v.code + String(format: "%03d", n + 1), name: "\(v.name) \(n + 1)", households: 0, polygon: cell))
            }
        }
        _ = try planning.store.publish(drawn, note: "bench: hand-drawn layer", planID: nil, effectiveAt: Date())
        let live = try planning.store.grids()
        let (problems, tValidate) = try time { try planning.validate(plan: nil) }
        let geometric = problems.filter { [.invalid, .overlap, .gap, .crossesParent, .multiPart].contains($0.kind) }.count
        print(String(format: "%-44@ %.3f s (%d grids, %d problems, %d of them geometric)", "validate a hand-drawn layer" as NSString,
                     tValidate, live.count, problems.count, geometric))
        let plan = try planning.newPlan(name: "bench: re-partition the county")
        let households = try planning.store.households().reduce(0) { $0 + $1.households }
        let (made, tPartition) = try time { try planning.edit(plan: plan.id) { try $0.partition(county.code) } }
        print(String(format: "%-44@ %.3f s (%d households into %d grids)", "re-partition the whole county" as NSString, tPartition, households, made.count))
        let grids = try planning.store.planGrids(id: plan.id)
        let counts = grids.map(\.households).sorted()
        let compactness = grids.map { g -> Double in
            let a = Geodesy.area(of: .polygon(g.polygon)), p = Geodesy.length(of: .polygon(g.polygon))
            return 4 * .pi * a / (p * p)
        }
        print(String(format: "%-44@ min %d, median %d, max %d households; mean compactness %.2f (1 = circle, 0.79 = square)",
                     "partition quality" as NSString, counts.first ?? 0, counts[counts.count / 2], counts.last ?? 0,
                     compactness.reduce(0, +) / Double(max(compactness.count, 1))))
        let (published, tPublish) = try time { try planning.publish(plan: plan.id) }
        print(String(format: "%-44@ %.3f s (version %d, validation included; %d households and cameras moved)",
                     "publish with all reassignments" as NSString, tPublish, published.version, published.moves))
    }
}
