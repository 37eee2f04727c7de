/// Mapbox Vector Tile 2.1 encoding: layers of features with geometry in tile coordinates, clipped
/// to the tile and a buffer around it, and properties as shared keys and values.
/// https://github.com/mapbox/vector-tile-spec/tree/master/2.1
public struct VectorTileLayer: Sendable {
    public let name: String
    public let tile: TileID
    /// Tile units across one tile (4,096 by convention).
    public let extent: Int
    /// Tile units kept outside each edge, so that strokes and symbols near an edge join up.
    public let buffer: Int
    private var keys: [String] = []
    private var keyIndex: [String: UInt32] = [:]
    private var values: [[UInt8]] = []
    private var valueIndex: [[UInt8]: UInt32] = [:]
    private var features = ProtobufWriter()
    public private(set) var count = 0

    public init(name: String, tile: TileID, extent: Int = 4096, buffer: Int = 64) {
        self.name = name; self.tile = tile; self.extent = extent; self.buffer = buffer
    }

    public var isEmpty: Bool { count == 0 }

    /// Adds a feature (geometry in WGS84 lon/lat). Returns false, adding nothing, when nothing of
    /// it falls on the tile or it is too small to draw at this zoom. Null properties are left out.
    @discardableResult
    public mutating func add(id: UInt64?, geometry: Geometry, properties: JSONObject) -> Bool {
        guard let (type, commands) = encode(geometry), !commands.isEmpty else { return false }
        var f = ProtobufWriter()
        if let id { f.varintField(1, id) }
        var tags: [UInt32] = []
        for (k, v) in properties.members {
            guard let value = Self.value(v) else { continue }
            tags.append(index(key: k))
            tags.append(index(value: value))
        }
        if !tags.isEmpty { f.packedField(2, tags) }
        f.varintField(3, UInt64(type))
        f.packedField(4, commands)
        features.bytesField(2, f.bytes)
        count += 1
        return true
    }

    /// The layer message.
    public var encoded: [UInt8] {
        var w = ProtobufWriter()
        w.varintField(15, 2)
        w.stringField(1, name)
        w.raw(features.bytes)
        for k in keys { w.stringField(3, k) }
        for v in values { w.bytesField(4, v) }
        w.varintField(5, UInt64(extent))
        return w.bytes
    }

    /// A tile of these layers (empty layers left out); an empty tile is zero bytes.
    public static func tile(_ layers: [VectorTileLayer]) -> [UInt8] {
        var w = ProtobufWriter()
        for l in layers where !l.isEmpty { w.bytesField(3, l.encoded) }
        return w.bytes
    }

    // MARK: properties

    private mutating func index(key: String) -> UInt32 {
        if let k = keyIndex[key] { return k }
        let k = UInt32(keys.count)
        keys.append(key)
        keyIndex[key] = k
        return k
    }

    private mutating func index(value: [UInt8]) -> UInt32 {
        if let k = valueIndex[value] { return k }
        let k = UInt32(values.count)
        values.append(value)
        valueIndex[value] = k
        return k
    }

    /// The Value message of a property: string, double, sint (integers) or bool.
    private static func value(_ v: JSONValue) -> [UInt8]? {
        var w = ProtobufWriter()
        switch v {
        case .string(let s): w.stringField(1, s)
        case .number(let d): w.doubleField(3, d)
        case .integer(let i): w.varintField(6, ProtobufWriter.zigzag(i))
        case .bool(let b): w.varintField(7, b ? 1 : 0)
        case .null, .array, .object: return nil
        }
        return w.bytes
    }

    // MARK: geometry

    private struct Point: Equatable { var x: Int32; var y: Int32 }

    /// Tile coordinates (y down) of a position, before rounding.
    private func project(_ p: Position) -> (Double, Double) {
        let (fx, fy) = WebMercator.fraction(p)
        let n = Double(1 << tile.z), e = Double(extent)
        return ((fx * n - Double(tile.x)) * e, (fy * n - Double(tile.y)) * e)
    }

    private func encode(_ g: Geometry) -> (type: Int, commands: [UInt32])? {
        switch g {
        case .point(let p): return points([p]).map { (1, $0) }
        case .multiPoint(let ps): return points(ps).map { (1, $0) }
        case .polygon(let p): return polygons([p]).map { (3, $0) }
        case .multiPolygon(let ps): return polygons(ps).map { (3, $0) }
        case .lineString, .multiLineString, .geometryCollection: return nil
        }
    }

    private func points(_ ps: [Position]) -> [UInt32]? {
        let lo = Double(-buffer), hi = Double(extent + buffer)
        let kept = ps.compactMap { p -> Point? in
            let (x, y) = project(p)
            guard x >= lo, x <= hi, y >= lo, y <= hi else { return nil }
            return Point(x: Int32(x.rounded()), y: Int32(y.rounded()))
        }
        guard !kept.isEmpty else { return nil }
        var c = CommandWriter()
        c.command(.moveTo, count: kept.count)
        for p in kept { c.point(p.x, p.y) }
        return c.out
    }

    private func polygons(_ polys: [Polygon]) -> [UInt32]? {
        var c = CommandWriter()
        for poly in polys {
            for (k, ring) in poly.rings.enumerated() {
                guard let r = clippedRing(ring) else {
                    if k == 0 { break }   // the exterior is gone: so are its holes
                    continue
                }
                // MVT: exterior rings have positive area in tile coordinates (y down), holes negative.
                let area = Self.area2(r)
                let oriented = (k == 0) == (area > 0) ? r : Array(r.reversed())
                c.command(.moveTo, count: 1)
                c.point(oriented[0].x, oriented[0].y)
                c.command(.lineTo, count: oriented.count - 1)
                for p in oriented.dropFirst() { c.point(p.x, p.y) }
                c.command(.closePath, count: 1)
            }
        }
        return c.out.isEmpty ? nil : c.out
    }

    /// The ring clipped to the tile and its buffer (Sutherland–Hodgman against the box, exact for a
    /// rectangle), rounded to tile units, without repeated points or its closing point; nil when
    /// less than a triangle of area is left.
    private func clippedRing(_ ring: [Position]) -> [Point]? {
        var pts = ring.map(project)
        if pts.count > 1, pts.first! == pts.last! { pts.removeLast() }
        let lo = Double(-buffer), hi = Double(extent + buffer)
        // Rings wholly inside need no clipping.
        if !pts.allSatisfy({ $0.0 >= lo && $0.0 <= hi && $0.1 >= lo && $0.1 <= hi }) {
            pts = Self.clip(pts, axis: 0, bound: lo, keepAbove: true)
            pts = Self.clip(pts, axis: 0, bound: hi, keepAbove: false)
            pts = Self.clip(pts, axis: 1, bound: lo, keepAbove: true)
            pts = Self.clip(pts, axis: 1, bound: hi, keepAbove: false)
        }
        var out: [Point] = []
        out.reserveCapacity(pts.count)
        for (x, y) in pts {
            let p = Point(x: Int32(x.rounded()), y: Int32(y.rounded()))
            if out.last != p { out.append(p) }
        }
        while out.count > 1, out.first == out.last { out.removeLast() }
        guard out.count >= 3, Self.area2(out) != 0 else { return nil }
        return out
    }

    private static func clip(_ pts: [(Double, Double)], axis: Int, bound: Double, keepAbove: Bool) -> [(Double, Double)] {
        guard !pts.isEmpty else { return pts }
        func v(_ p: (Double, Double)) -> Double { axis == 0 ? p.0 : p.1 }
        func inside(_ p: (Double, Double)) -> Bool { keepAbove ? v(p) >= bound : v(p) <= bound }
        func cross(_ a: (Double, Double), _ b: (Double, Double)) -> (Double, Double) {
            let t = (bound - v(a)) / (v(b) - v(a))
            return axis == 0 ? (bound, a.1 + t * (b.1 - a.1)) : (a.0 + t * (b.0 - a.0), bound)
        }
        var out: [(Double, Double)] = []
        var prev = pts[pts.count - 1]
        for cur in pts {
            if inside(cur) {
                if !inside(prev) { out.append(cross(prev, cur)) }
                out.append(cur)
            } else if inside(prev) {
                out.append(cross(prev, cur))
            }
            prev = cur
        }
        return out
    }

    /// Twice the signed area by the surveyor's formula, in tile units (y down: positive is clockwise
    /// on screen).
    private static func area2(_ r: [Point]) -> Int64 {
        var s: Int64 = 0
        for k in r.indices {
            let a = r[k], b = r[(k + 1) % r.count]
            s += Int64(a.x) * Int64(b.y) - Int64(b.x) * Int64(a.y)
        }
        return s
    }

    /// Geometry commands with zigzag-encoded deltas from the cursor.
    private struct CommandWriter {
        enum Command: UInt32 { case moveTo = 1, lineTo = 2, closePath = 7 }
        var out: [UInt32] = []
        var cx: Int32 = 0, cy: Int32 = 0

        mutating func command(_ c: Command, count: Int) { out.append(c.rawValue | UInt32(count) << 3) }

        mutating func point(_ x: Int32, _ y: Int32) {
            out.append(UInt32(truncatingIfNeeded: ProtobufWriter.zigzag(Int64(x - cx))))
            out.append(UInt32(truncatingIfNeeded: ProtobufWriter.zigzag(Int64(y - cy))))
            cx = x; cy = y
        }
    }
}

/// The few protocol-buffer wire forms a vector tile uses.
struct ProtobufWriter: Sendable {
    private(set) var bytes: [UInt8] = []

    static func zigzag(_ n: Int64) -> UInt64 { UInt64(bitPattern: (n << 1) ^ (n >> 63)) }

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }
    mutating func varintField(_ field: Int, _ v: UInt64) { key(field, 0); varint(v) }
    mutating func doubleField(_ field: Int, _ d: Double) {
        key(field, 1)
        withUnsafeBytes(of: d.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func bytesField(_ field: Int, _ b: [UInt8]) { key(field, 2); varint(UInt64(b.count)); bytes.append(contentsOf: b) }
    mutating func stringField(_ field: Int, _ s: String) { bytesField(field, Array(s.utf8)) }
    mutating func packedField(_ field: Int, _ vs: [UInt32]) {
        var inner = ProtobufWriter()
        for v in vs { inner.varint(UInt64(v)) }
        bytesField(field, inner.bytes)
    }
    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
}
