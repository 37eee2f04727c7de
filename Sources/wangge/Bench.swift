import ArgumentParser
import Foundation
import Geo
import Grid

/// Benchmark helpers, used by `make bench`; figures go to stdout, never into pass/fail tests.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark helpers.", subcommands: [BenchPoints.self, BenchKernel.self])
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
