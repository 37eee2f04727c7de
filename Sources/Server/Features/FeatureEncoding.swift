import Foundation
import Geo

/// Writes features as GeoJSON in the asked CRS (Part 2): CRS84 as stored; EPSG:4326 and 4490
/// latitude first; EPSG:3857 and GCJ-02 converted. Coordinates keep 7 decimals (about 1 cm) in
/// degrees and 2 (1 cm) in metres.
struct FeatureEncoder {
    let crs: CRS
    private let converter: CoordinateConverter?
    private let writer: GeoJSONWriter

    init(crs: CRS) throws {
        self.crs = crs
        converter = crs.storageEquivalent == .crs84 ? nil : try CoordinateConverter(from: .crs84, to: crs.storageEquivalent)
        writer = GeoJSONWriter(precision: crs == .epsg(3857) ? 2 : 7)
    }

    func geometry(_ g: Geometry) throws -> Geometry {
        var out = g
        if let converter { out = try converter.convert(out) }
        if crs.isLatLonOrder { out = out.mapPositions { Position($0.lat, $0.lon) } }
        return out
    }

    func write(_ f: MapFeature, foreign: JSONObject = JSONObject(), into w: inout JSONWriter) throws {
        let id: Feature.ID = f.numericID ? .number(Double(f.id) ?? 0) : .string(f.id)
        writer.write(Feature(id: id, geometry: try geometry(f.geometry), properties: f.properties), foreign: foreign, into: &w)
    }

    /// A FeatureCollection response body with the OGC members and links.
    func collection(_ page: FeaturePage, links: [Link]) throws -> [UInt8] {
        var w = JSONWriter()
        w.raw("{\"type\":\"FeatureCollection\",\"features\":[")
        for (k, f) in page.features.enumerated() {
            if k > 0 { w.raw(",") }
            try write(f, into: &w)
        }
        w.raw("],\"numberMatched\":")
        w.integer(Int64(page.matched))
        w.raw(",\"numberReturned\":")
        w.integer(Int64(page.features.count))
        w.raw(",\"timeStamp\":")
        w.string(Date.now.formatted(.iso8601))
        w.raw(",\"links\":")
        w.value(.array(links.map(\.json)))
        w.raw("}")
        return w.bytes
    }

    func feature(_ f: MapFeature, links: [Link]) throws -> [UInt8] {
        var w = JSONWriter()
        try write(f, foreign: JSONObject([("links", .array(links.map(\.json)))]), into: &w)
        return w.bytes
    }
}

/// A link of an OGC API response.
struct Link: Sendable {
    var href: String
    var rel: String
    var type: String
    var title: String?

    var json: JSONValue {
        var o = JSONObject([("href", .string(href)), ("rel", .string(rel)), ("type", .string(type))])
        if let title { o["title"] = .string(title) }
        return .object(o)
    }
}
