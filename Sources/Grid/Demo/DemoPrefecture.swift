import Foundation
import Geo

/// Several demo counties in one database, as a prefecture's centre would hold them: the real
/// county first, then copies of its boundary set side by side to the east and south (8 to a row,
/// a few kilometres apart), each with its own code (`5199NN`, a range no real county has), towns,
/// villages, grids, households, cameras and staff from its own seed. Copies, not real places: the
/// point is a database with many counties that never overlap.
public struct DemoPrefecture {
    public let first: Boundary
    public var count: Int
    public var seed: UInt64
    public var scale: Double
    /// Towns per county, where not the scaled default (small test prefectures).
    public var townCount: Int?

    public static let perRow = 8
    public static let maxCounties = 99

    public init(first: Boundary, count: Int, seed: UInt64 = 1, scale: Double = 1) {
        self.first = first
        self.count = count
        self.seed = seed
        self.scale = scale
    }

    /// The counties' boundaries: the first as given, the others shifted copies.
    public func counties() throws -> [Boundary] {
        guard (1...Self.maxCounties).contains(count) else {
            throw PlanError("--counties is 1 to \(Self.maxCounties), not \(count)")
        }
        guard let box = Geometry.multiPolygon(first.area).boundingBox else { throw PlanError("county \(first.code) has no area") }
        let gap = 0.05
        let dx = box.maxLon - box.minLon + gap, dy = box.maxLat - box.minLat + gap
        return (0..<count).map { k in
            guard k > 0 else { return first }
            let shift = Position(Double(k % Self.perRow) * dx, -Double(k / Self.perRow) * dy)
            let area = first.area.map { p in Polygon(p.rings.map { $0.map { Position($0.lon + shift.lon, $0.lat + shift.lat) } }) }
            return Boundary(code: String(format: "5199%02d", k), name: "示例县\(k)", level: .county, parentCode: nil, area: area)
        }
    }

    public struct County: Sendable {
        public var boundary: Boundary
        public var result: DemoCounty.Result
        public var seed: UInt64
    }

    /// Builds every county, numbering households and workers on from the one before.
    public func build() throws -> [County] {
        var out: [County] = []
        var household: Int64 = 1, worker: Int64 = 1
        for (k, boundary) in try counties().enumerated() {
            // A seed can draw a village the partitioner cannot cut into the band; a copy then takes
            // the next seed (the real county keeps its own, so `--seed` still names it).
            var attempt: UInt64 = 0
            while true {
                let s = seed &+ UInt64(k) &* 1_000_003 &+ attempt
                var demo = DemoCounty(county: boundary, seed: s).scaled(by: scale)
                if let t = townCount { demo.townCount = t }
                demo.firstHouseholdID = household
                demo.firstWorkerID = worker
                let result: DemoCounty.Result
                do { result = try demo.build() } catch is PlanError where k > 0 && attempt < 4 {
                    attempt += 1
                    continue
                }
                household += Int64(result.households.count)
                worker += Int64(result.workers.count)
                out.append(County(boundary: boundary, result: result, seed: s))
                break
            }
        }
        return out
    }
}

extension DemoCounty.Result {
    /// Several counties' results as one (one layer version publishes them all).
    public static func merged(_ parts: [DemoCounty.Result]) -> DemoCounty.Result {
        DemoCounty.Result(towns: parts.flatMap(\.towns), villages: parts.flatMap(\.villages), grids: parts.flatMap(\.grids),
                          households: parts.flatMap(\.households), cameras: parts.flatMap(\.cameras), workers: parts.flatMap(\.workers),
                          posts: parts.flatMap(\.posts), shifts: parts.flatMap(\.shifts), microgrids: parts.flatMap(\.microgrids))
    }
}
