import Foundation
import Geo
import Grid

/// Emerging hot spots as an RFC 7946 FeatureCollection of grids (WGS84), with the cube's bins as
/// a foreign member: what `/api/hotspots` and `wangge hotspots` print.
public struct HotSpotsView: DocumentedShape, Sendable {
    public struct Bin: Encodable, Sendable {
        var start: String
        var end: String
    }
    public struct Properties: Encodable, Sendable {
        var grid_id: String
        var name: String
        var village_code: String?
        var town_code: String?
        var counts: [Int]
        var z: [Double?]
        var p: [Double?]
        var hot: [Int]
        var trend_tau: Double?
        var trend_p: Double?
        var pattern: String

        /// What `Encodable` gives, in its order, written straight (a year of bins is ~160 numbers a grid).
        func write(into w: inout JSONWriter) {
            func text(_ s: String?) { if let s { w.string(s) } else { w.raw("null") } }
            func number(_ d: Double?) { if let d { w.number(d) } else { w.raw("null") } }
            func list<T>(_ xs: [T], _ one: (T) -> Void) {
                w.raw("[")
                for (k, x) in xs.enumerated() { if k > 0 { w.raw(",") }; one(x) }
                w.raw("]")
            }
            w.raw("{\"grid_id\":"); w.string(grid_id)
            w.raw(",\"name\":"); w.string(name)
            w.raw(",\"village_code\":"); text(village_code)
            w.raw(",\"town_code\":"); text(town_code)
            w.raw(",\"counts\":"); list(counts) { w.integer(Int64($0)) }
            w.raw(",\"z\":"); list(z, number)
            w.raw(",\"p\":"); list(p, number)
            w.raw(",\"hot\":"); list(hot) { w.integer(Int64($0)) }
            w.raw(",\"trend_tau\":"); number(trend_tau)
            w.raw(",\"trend_p\":"); number(trend_p)
            w.raw(",\"pattern\":"); w.string(pattern)
            w.raw("}")
        }
    }
    public struct Feature: Encodable, Sendable {
        var type = "Feature"
        var id: String
        var geometry: PolygonView
        var properties: Properties
    }
    var type = "FeatureCollection"
    var bin: String
    var category: String?
    var bins: [Bin]
    /// How many grids have each pattern (the legend's figures).
    var patterns: [String: Int]
    var features: [Feature]

    public init(_ a: EmergingHotSpots, request: HotSpotRequest) {
        bin = request.bin.rawValue
        category = request.category?.rawValue
        bins = a.bins.map { Bin(start: ChinaTime.text($0.start), end: ChinaTime.text($0.end)) }
        var tally: [String: Int] = [:]
        for g in a.grids { tally[g.pattern.rawValue, default: 0] += 1 }
        patterns = tally
        features = a.grids.map { g in
            Feature(id: g.grid.code, geometry: PolygonView(g.grid.polygon),
                    properties: Properties(grid_id: g.grid.code, name: g.grid.name, village_code: g.grid.villageCode,
                                           town_code: g.grid.townCode, counts: g.counts, z: g.z, p: g.p, hot: g.hot,
                                           trend_tau: g.trend?.tau, trend_p: g.trend?.p, pattern: g.pattern.rawValue))
        }
    }

    /// The document as `Encodable` gives it, written faster: the grids' polygons straight from
    /// their coordinates (rounded to 7 decimals, ~1 cm, as the grids collection writes them),
    /// not through a tree of values (most of the time of an answer was there).
    public func geoJSON() throws -> [UInt8] {
        let encoder = JSONValueEncoder()
        let geometry = GeoJSONWriter(precision: 7)
        var w = JSONWriter()
        w.raw("{\"type\":\"FeatureCollection\",\"bin\":")
        w.string(bin)
        w.raw(",\"category\":")
        if let category { w.string(category) } else { w.raw("null") }
        w.raw(",\"bins\":")
        w.value(try encoder.encode(bins))
        w.raw(",\"patterns\":")
        w.value(try encoder.encode(patterns))
        w.raw(",\"features\":[")
        for (k, f) in features.enumerated() {
            if k > 0 { w.raw(",") }
            w.raw("{\"type\":\"Feature\",\"id\":")
            w.string(f.id)
            w.raw(",\"geometry\":")
            geometry.write(.polygon(f.geometry.polygon), into: &w)
            w.raw(",\"properties\":")
            f.properties.write(into: &w)
            w.raw("}")
        }
        w.raw("]}")
        return w.bytes
    }

    public static var examples: [HotSpotsView] {
        let square = Polygon(exterior: [Position(106.9, 30.8), Position(106.91, 30.8), Position(106.91, 30.81), Position(106.9, 30.8)])
        let grids = (0..<2).map { k in
            Grid(code: "51172500100100\(k + 1)", name: "网格\(k + 1)", households: 400, polygon: square)
        }
        let start = Date(timeIntervalSince1970: 1_764_518_400)
        let bins = [DateInterval(start: start, duration: 7 * 86400), DateInterval(start: start + 7 * 86400, duration: 7 * 86400)]
        let r = HotSpotRequest(from: start, to: start + 14 * 86400, bin: .week, category: .land)
        let a = EmergingHotSpots(bins: bins, grids: grids, adjacency: GridAdjacency(neighbours: [[1], [0]]), counts: [[3, 5], [0, 1]])
        var empty = r
        empty.category = nil
        return [HotSpotsView(a, request: r),
                HotSpotsView(EmergingHotSpots(bins: bins, grids: grids, adjacency: GridAdjacency(neighbours: [[1], [0]]), counts: [[1, 0], [1, 0]]), request: empty)]
    }
}

/// A GeoJSON Polygon, WGS84, as an `Encodable` value (7 decimals, as `geoJSON()` writes it).
public struct PolygonView: Encodable, Sendable {
    let polygon: Polygon
    public init(_ p: Polygon) { polygon = p }
    static func rounded(_ v: Double) -> Double { (v * 1e7).rounded() / 1e7 }
    enum CodingKeys: String, CodingKey { case type, coordinates }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("Polygon", forKey: .type)
        try c.encode(polygon.rings.map { $0.map { [Self.rounded($0.lon), Self.rounded($0.lat)] } }, forKey: .coordinates)
    }
}

/// Early warnings, for the leaders' screen and `/api/warnings`.
public struct WarningsView: DocumentedShape, Sendable {
    public struct Item: Encodable, Sendable {
        var kind: String
        var grid_id: String?
        var name: String?
        var town_code: String?
        @OmitIfNil var weekly: [Int]?
        @OmitIfNil var trend_tau: Double?
        @OmitIfNil var trend_p: Double?
        @OmitIfNil var pattern: String?
        @OmitIfNil var case_id: Int64?
        @OmitIfNil var code: String?
        @OmitIfNil var cases: Int?
        @OmitIfNil var parties: Int?
        var message: String
    }
    var as_of: String
    var rising_weeks: Int
    var hot_spot_weeks: Int
    var group_party_threshold: Int
    var count: Int
    var warnings: [Item]
    /// Grids with a pattern other than `none` over the hot spot weeks: grid_id → pattern.
    var patterns: [String: String]

    public init(_ w: EarlyWarnings, groupThreshold: Int) {
        as_of = ChinaTime.text(w.asOf)
        rising_weeks = EarlyWarnings.risingWeeks
        hot_spot_weeks = EarlyWarnings.hotSpotWeeks
        group_party_threshold = groupThreshold
        count = w.warnings.count
        warnings = w.warnings.map { x in
            let trend = x.trend.map { String(format: "τ=%.2f, p=%.4f", $0.tau, $0.p) } ?? ""
            let message: String = switch x.kind {
            case .rising: "近\(EarlyWarnings.risingWeeks)周新增案件显著上升 new cases rising (\(trend))"
            case .hotSpot: x.pattern == .intensifyingHot ? "热点加剧 intensifying hot spot (\(trend))"
                : x.pattern == .consecutiveHot ? "连续热点 a hot spot in each of the latest weeks" : "新兴热点 new hot spot"
            case .groupRisk: "关联纠纷\(x.cases ?? 0)件、当事人\(x.parties ?? 0)人，接近群体性阈值\(groupThreshold) related disputes near a group dispute"
            }
            return Item(kind: x.kind.rawValue, grid_id: x.grid?.code ?? x.root?.gridCode, name: x.grid?.name, town_code: x.grid?.townCode,
                        weekly: x.weekly, trend_tau: x.trend?.tau, trend_p: x.trend?.p, pattern: x.pattern?.rawValue,
                        case_id: x.root?.id, code: x.root?.code, cases: x.cases, parties: x.parties, message: message)
        }
        patterns = Dictionary(w.patterns.filter { $0.pattern != .none }.map { ($0.grid.code, $0.pattern.rawValue) }, uniquingKeysWith: { a, _ in a })
    }

    public static var examples: [WarningsView] {
        let square = Polygon(exterior: [Position(106.9, 30.8), Position(106.91, 30.8), Position(106.91, 30.81), Position(106.9, 30.8)])
        let g = Grid(code: "511725001001001", name: "网格1", households: 400, polygon: square)
        let w = EarlyWarnings(asOf: Date(timeIntervalSince1970: 1_764_518_400), warnings: [
            .init(kind: .rising, grid: g, weekly: [0, 1, 2, 3], trend: (0.9, 0.01)),
            .init(kind: .hotSpot, grid: g, trend: (0.5, 0.02), pattern: .intensifyingHot),
            .init(kind: .groupRisk, grid: nil, root: .example, cases: 3, parties: 4),
        ], patterns: [(g, .intensifyingHot)])
        return [WarningsView(w, groupThreshold: 5), WarningsView(EarlyWarnings(asOf: w.asOf, warnings: [], patterns: []), groupThreshold: 5)]
    }
}
