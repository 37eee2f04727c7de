import Foundation
import Geo
import Synchronization

/// One feature of a map collection, in WGS84, with what the queries need precomputed.
struct MapFeature: Sendable {
    var id: String
    var geometry: Geometry
    var bbox: BoundingBox
    var properties: JSONObject
    var time: Date?
    /// Cases and households have numeric ids; codes (grids, boundaries, cameras) stay strings.
    var numericID: Bool

    init(id: String, geometry: Geometry, properties: JSONObject, time: Date? = nil, numericID: Bool = false) {
        self.id = id
        self.numericID = numericID
        self.geometry = geometry
        self.bbox = geometry.boundingBox ?? BoundingBox(minLon: 0, minLat: 0, maxLon: 0, maxLat: 0)
        self.properties = properties
        self.time = time
    }

    func intersects(_ box: BoundingBox) -> Bool {
        guard bbox.intersects(box) else { return false }
        switch geometry {
        case .point: return true
        default: return geometry.polygons.isEmpty || geometry.polygons.contains { $0.intersects(box) }
        }
    }
}

/// What a client learns of a collection before reading it (`/collections/{id}`).
struct CollectionInfo: Sendable {
    var id: String
    var title: String
    var description: String
    /// Properties that take `property=value` filters.
    var queryables: [String]
    var temporal: Bool
    /// Polygons that tile their area (grids, towns, villages): simplified with shared edges kept.
    var coverage: Bool
}

/// The type of a property across a collection, as vector-tile metadata names it.
enum FieldType: String, Sendable {
    case string = "String", number = "Number", integer = "Integer", boolean = "Boolean"

    /// TileJSON has numbers, not integers (`Integer` is GDAL's own name, for its metadata).
    var tileJSON: String { self == .integer ? FieldType.number.rawValue : rawValue }
}

/// A page of a query's result.
struct FeaturePage: Sendable {
    var features: [MapFeature]
    var matched: Int
}

/// A read-only collection held in memory (boundaries, grids, cameras, households): they change only
/// on import or publish, when the server builds a new one. Queries scan the features' boxes (a few
/// tens of thousands at most) and stop at the page.
final class MemoryCollection: Sendable {
    let info: CollectionInfo
    let features: [MapFeature]
    let extent: BoundingBox?
    private let index: [String: Int]
    /// Each property's type, from the values the features have (String where all are null).
    let fieldTypes: [(name: String, type: FieldType)]
    /// Simplified geometries per zoom, made the first time a zoom is asked for.
    private let simplified = Mutex<[Int: [Geometry]]>([:])

    init(info: CollectionInfo, features: [MapFeature]) {
        self.info = info
        self.features = features
        index = Dictionary(features.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        fieldTypes = (features.first?.properties.keys ?? []).map { key in
            var type = FieldType.string
            for f in features {
                switch f.properties[key] {
                case .integer?: if type != .number { type = .integer }
                case .number?: type = .number
                case .bool?: type = .boolean
                default: continue
                }
            }
            return (key, type)
        }
        extent = features.reduce(nil as BoundingBox?) { acc, f in
            guard var acc else { return f.bbox }
            acc.extend(f.bbox)
            return acc
        }
    }

    func feature(id: String, zoom: Int?) -> MapFeature? {
        guard let k = index[id] else { return nil }
        return variant(k, zoom: zoom)
    }

    /// A page of the features meeting the query; `types` are the queryables' (for a filter).
    func page(_ q: ItemsQuery, types: [String: FilterType]) throws(FilterError) -> FeaturePage {
        if q.bbox == nil && q.datetime == nil && q.filters.isEmpty && q.filter == nil && q.area == nil {
            // Paging through everything (GDAL does, 10 at a time): no scan.
            let start = min(q.offset, features.count)
            let range = start..<min(start + q.limit, features.count)
            return FeaturePage(features: range.map { variant($0, zoom: q.zoom) }, matched: features.count)
        }
        var out: [MapFeature] = []
        var matched = 0
        let evaluator = try q.filter.map { f throws(FilterError) in try FilterEvaluator(f, types: types) }
        for (k, f) in features.enumerated() {
            if let a = q.area, !a.contains(code: f.id) { continue }
            if let b = q.bbox, !f.intersects(b) { continue }
            if let t = q.datetime, !(f.time.map { t.contains($0) } ?? false) { continue }
            if !q.filters.allSatisfy({ key, value in Self.matches(f.properties[key], value) }) { continue }
            if let e = evaluator, !e.matches(f.properties, geometry: f.geometry, bbox: f.bbox) { continue }
            if matched >= q.offset && out.count < q.limit { out.append(variant(k, zoom: q.zoom)) }
            matched += 1
        }
        return FeaturePage(features: out, matched: matched)
    }

    /// `property=value` compares the value as the client wrote it with the property's text form.
    static func matches(_ v: JSONValue?, _ text: String) -> Bool {
        switch v {
        case .string(let s): s == text
        case .integer(let i): Int64(text) == i
        case .number(let d): Double(text) == d
        case .bool(let b): (text == "true" && b) || (text == "false" && !b)
        default: text == "null"
        }
    }

    private func variant(_ k: Int, zoom: Int?) -> MapFeature {
        guard let zoom, info.coverage else { return features[k] }
        var f = features[k]
        f.geometry = simplifiedGeometries(zoom: zoom)[k]
        return f
    }

    /// Every feature's geometry simplified for a zoom, for coverages; nil for the others (drawn as stored).
    func simplified(zoom: Int) -> [Geometry]? {
        info.coverage ? simplifiedGeometries(zoom: zoom) : nil
    }

    private func simplifiedGeometries(zoom: Int) -> [Geometry] {
        if let g = simplified.withLock({ $0[zoom] }) { return g }
        // Features of one coverage level share edges; simplify each level (county, towns, villages…)
        // apart, keyed by the "level" property where there is one.
        var out = features.map(\.geometry)
        let groups = Dictionary(grouping: features.indices) { features[$0].properties["level"]?.stringValue ?? "" }
        let simplifier = CoverageSimplifier(zoom: zoom)
        for (_, members) in groups {
            let result = simplifier.simplify(members.map { features[$0].geometry.polygons })
            for (k, polys) in zip(members, result) {
                out[k] = polys.count == 1 && { if case .polygon = features[k].geometry { true } else { false } }()
                    ? .polygon(polys[0]) : .multiPolygon(polys)
            }
        }
        simplified.withLock { $0[zoom] = out }
        return out
    }
}
