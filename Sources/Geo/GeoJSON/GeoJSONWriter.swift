/// Writes RFC 7946 GeoJSON: rings by the right-hand rule, coordinates rounded to `precision` decimals
/// (7 ≈ 1 cm, RFC 7946 §11.2), and an optional `bbox` on features and collections.
public struct GeoJSONWriter: Sendable {
    /// Decimal places kept; nil writes every coordinate exactly.
    public var precision: Int?
    public var includeBBox: Bool

    public init(precision: Int? = 7, includeBBox: Bool = false) {
        self.precision = precision
        self.includeBBox = includeBBox
    }

    public func string(_ doc: GeoJSONDocument) -> String {
        var w = JSONWriter()
        switch doc {
        case .featureCollection(let fc): write(fc, into: &w)
        case .feature(let f): write(f, into: &w)
        case .geometry(let g): write(g, into: &w)
        }
        return w.text
    }

    public func write(_ fc: FeatureCollection, into w: inout JSONWriter) {
        w.raw("{\"type\":\"FeatureCollection\"")
        for m in fc.foreignMembers.members { w.raw(","); w.string(m.key); w.raw(":"); w.value(m.value) }
        if includeBBox {
            var box: BoundingBox?
            for f in fc.features { if let b = f.geometry?.boundingBox { if box == nil { box = b } else { box!.extend(b) } } }
            if let box { w.raw(",\"bbox\":"); bbox(box, &w) }
        }
        w.raw(",\"features\":[")
        for (k, f) in fc.features.enumerated() {
            if k > 0 { w.raw(",") }
            write(f, into: &w)
        }
        w.raw("]}")
    }

    /// `foreign`: members written after `properties` (for example an OGC API feature's `links`).
    public func write(_ f: Feature, foreign: JSONObject = JSONObject(), into w: inout JSONWriter) {
        w.raw("{\"type\":\"Feature\"")
        switch f.id {
        case .string(let s)?: w.raw(",\"id\":"); w.string(s)
        case .number(let d)?: w.raw(",\"id\":"); w.number(d)
        case nil: break
        }
        if includeBBox, let b = f.geometry?.boundingBox { w.raw(",\"bbox\":"); bbox(b, &w) }
        w.raw(",\"geometry\":")
        if let g = f.geometry { write(g, into: &w) } else { w.raw("null") }
        w.raw(",\"properties\":")
        if let p = f.properties { w.value(.object(p)) } else { w.raw("null") }
        for m in foreign.members {
            w.raw(",")
            w.string(m.key)
            w.raw(":")
            w.value(m.value)
        }
        w.raw("}")
    }

    public func write(_ g: Geometry, into w: inout JSONWriter) {
        w.raw("{\"type\":")
        w.string(g.typeName)
        if case .geometryCollection(let gs) = g {
            w.raw(",\"geometries\":[")
            for (k, e) in gs.enumerated() {
                if k > 0 { w.raw(",") }
                write(e, into: &w)
            }
            w.raw("]}")
            return
        }
        w.raw(",\"coordinates\":")
        switch g {
        case .point(let p): position(p, &w)
        case .multiPoint(let ps), .lineString(let ps): line(ps, &w)
        case .multiLineString(let ls): array(ls, &w) { line($0, &$1) }
        case .polygon(let p): polygon(p, &w)
        case .multiPolygon(let ps): array(ps, &w) { polygon($0, &$1) }
        case .geometryCollection: break
        }
        w.raw("}")
    }

    private func polygon(_ p: Polygon, _ w: inout JSONWriter) {
        array(RingMath.rightHanded(p).rings, &w) { line($0, &$1) }
    }

    private func line(_ ps: [Position], _ w: inout JSONWriter) { array(ps, &w) { position($0, &$1) } }

    private func array<T>(_ items: [T], _ w: inout JSONWriter, _ each: (T, inout JSONWriter) -> Void) {
        w.raw("[")
        for (k, e) in items.enumerated() {
            if k > 0 { w.raw(",") }
            each(e, &w)
        }
        w.raw("]")
    }

    private func position(_ p: Position, _ w: inout JSONWriter) {
        w.raw("[")
        w.number(round(p.lon))
        w.raw(",")
        w.number(round(p.lat))
        if let a = p.alt { w.raw(","); w.number(round(a)) }
        w.raw("]")
    }

    private func bbox(_ b: BoundingBox, _ w: inout JSONWriter) {
        w.raw("[")
        w.number(round(b.minLon)); w.raw(",")
        w.number(round(b.minLat)); w.raw(",")
        w.number(round(b.maxLon)); w.raw(",")
        w.number(round(b.maxLat))
        w.raw("]")
    }

    private func round(_ d: Double) -> Double {
        guard let precision else { return d }
        let scale = Self.scales[min(max(precision, 0), Self.scales.count - 1)]
        return (d * scale).rounded() / scale
    }

    private static let scales: [Double] = (0...15).map { k in (0..<k).reduce(1.0) { a, _ in a * 10 } }
}
