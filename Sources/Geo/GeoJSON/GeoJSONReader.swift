/// An error in a GeoJSON text, naming the place: `features[12].geometry.coordinates[0]: ring not closed`.
public struct GeoJSONError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
}

/// A strict RFC 7946 reader. It refuses what the RFC forbids (ranges, unclosed rings, short lines,
/// non-WGS84 `crs` members) and names the member at fault. Ring orientation is not enforced on input
/// (RFC 7946 §3.1.6: parsers should not reject); the writer emits the right-hand rule.
public struct GeoJSONReader: Sendable {
    public init() {}

    public func read(_ bytes: [UInt8]) throws(GeoJSONError) -> GeoJSONDocument {
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch { throw GeoJSONError(path: "", reason: error.description) }
        return try document(json)
    }

    public func read(_ text: String) throws(GeoJSONError) -> GeoJSONDocument { try read(Array(text.utf8)) }

    public func document(_ json: JSONValue) throws(GeoJSONError) -> GeoJSONDocument {
        let o = try object(json, "")
        try checkCRS(o, "")
        switch try typeName(o, "") {
        case "FeatureCollection":
            guard let fs = o["features"] else { throw GeoJSONError(path: "features", reason: "missing") }
            guard let arr = fs.arrayValue else { throw GeoJSONError(path: "features", reason: "must be an array, found \(fs.kindName)") }
            var features: [Feature] = []
            features.reserveCapacity(arr.count)
            for (k, f) in arr.enumerated() { features.append(try feature(f, "features[\(k)]")) }
            var foreign = o
            for key in ["type", "features", "bbox"] { foreign[key] = nil }
            return .featureCollection(FeatureCollection(features, foreignMembers: foreign))
        case "Feature":
            return .feature(try feature(json, ""))
        default:
            return .geometry(try geometry(json, ""))
        }
    }

    public func feature(_ json: JSONValue, _ path: String) throws(GeoJSONError) -> Feature {
        let o = try object(json, path)
        let t = try typeName(o, path)
        guard t == "Feature" else { throw GeoJSONError(path: join(path, "type"), reason: "expected \"Feature\", found \"\(t)\"") }
        var id: Feature.ID?
        switch o["id"] {
        case nil: id = nil
        case .string(let s)?: id = .string(s)
        case let v? where v.doubleValue != nil: id = .number(v.doubleValue!)
        case let v?: throw GeoJSONError(path: join(path, "id"), reason: "must be a string or a number, found \(v.kindName)")
        }
        guard let g = o["geometry"] else { throw GeoJSONError(path: join(path, "geometry"), reason: "missing (use null for a feature without geometry)") }
        let geom: Geometry? = g == .null ? nil : try geometry(g, join(path, "geometry"))
        var props: JSONObject?
        switch o["properties"] {
        case nil: throw GeoJSONError(path: join(path, "properties"), reason: "missing (use null or {})")
        case .null?: props = nil
        case .object(let p)?: props = p
        case let v?: throw GeoJSONError(path: join(path, "properties"), reason: "must be an object or null, found \(v.kindName)")
        }
        return Feature(id: id, geometry: geom, properties: props)
    }

    public func geometry(_ json: JSONValue, _ path: String) throws(GeoJSONError) -> Geometry {
        let o = try object(json, path)
        try checkCRS(o, path)
        let t = try typeName(o, path)
        if t == "GeometryCollection" {
            guard let gs = o["geometries"]?.arrayValue else {
                throw GeoJSONError(path: join(path, "geometries"), reason: "missing or not an array")
            }
            var out: [Geometry] = []
            for (k, g) in gs.enumerated() { out.append(try geometry(g, join(path, "geometries[\(k)]"))) }
            return .geometryCollection(out)
        }
        let cpath = join(path, "coordinates")
        guard let c = o["coordinates"] else {
            if ["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"].contains(t) {
                throw GeoJSONError(path: cpath, reason: "missing")
            }
            throw GeoJSONError(path: join(path, "type"), reason: "unknown geometry type \"\(t)\"")
        }
        switch t {
        case "Point": return .point(try position(c, cpath))
        case "MultiPoint": return .multiPoint(try positions(c, cpath))
        case "LineString": return .lineString(try line(c, cpath))
        case "MultiLineString":
            return .multiLineString(try list(c, cpath) { (v, p) throws(GeoJSONError) in try line(v, p) })
        case "Polygon": return .polygon(try polygon(c, cpath))
        case "MultiPolygon":
            return .multiPolygon(try list(c, cpath) { (v, p) throws(GeoJSONError) in try polygon(v, p) })
        default: throw GeoJSONError(path: join(path, "type"), reason: "unknown geometry type \"\(t)\"")
        }
    }

    // MARK: pieces

    private func polygon(_ v: JSONValue, _ path: String) throws(GeoJSONError) -> Polygon {
        let rings = try list(v, path) { (r, p) throws(GeoJSONError) in try ring(r, p) }
        if rings.isEmpty { throw GeoJSONError(path: path, reason: "polygon has no rings") }
        return Polygon(rings)
    }

    private func ring(_ v: JSONValue, _ path: String) throws(GeoJSONError) -> [Position] {
        let ps = try positions(v, path)
        if ps.count < 4 { throw GeoJSONError(path: path, reason: "ring has \(ps.count) positions, at least 4 are required") }
        if ps.first!.lon != ps.last!.lon || ps.first!.lat != ps.last!.lat {
            throw GeoJSONError(path: path, reason: "ring not closed")
        }
        return ps
    }

    private func line(_ v: JSONValue, _ path: String) throws(GeoJSONError) -> [Position] {
        let ps = try positions(v, path)
        if ps.count < 2 { throw GeoJSONError(path: path, reason: "line has \(ps.count) positions, at least 2 are required") }
        return ps
    }

    private func positions(_ v: JSONValue, _ path: String) throws(GeoJSONError) -> [Position] {
        try list(v, path) { (e, p) throws(GeoJSONError) in try position(e, p) }
    }

    private func position(_ v: JSONValue, _ path: String) throws(GeoJSONError) -> Position {
        guard let a = v.arrayValue else { throw GeoJSONError(path: path, reason: "position must be an array of numbers, found \(v.kindName)") }
        guard a.count == 2 || a.count == 3 else {
            throw GeoJSONError(path: path, reason: "position must have 2 or 3 numbers, found \(a.count)")
        }
        var n: [Double] = []
        for (k, e) in a.enumerated() {
            guard let d = e.doubleValue else { throw GeoJSONError(path: "\(path)[\(k)]", reason: "must be a number, found \(e.kindName)") }
            n.append(d)
        }
        guard (-180...180).contains(n[0]) else {
            throw GeoJSONError(path: path, reason: "longitude \(Self.format(n[0])) out of range [-180, 180] (coordinates must be WGS84 lon/lat, RFC 7946)")
        }
        guard (-90...90).contains(n[1]) else {
            throw GeoJSONError(path: path, reason: "latitude \(Self.format(n[1])) out of range [-90, 90] (coordinates must be WGS84 lon/lat, RFC 7946)")
        }
        return Position(n[0], n[1], alt: a.count == 3 ? n[2] : nil)
    }

    private func list<T>(_ v: JSONValue, _ path: String,
                         _ element: (JSONValue, String) throws(GeoJSONError) -> T) throws(GeoJSONError) -> [T] {
        guard let a = v.arrayValue else { throw GeoJSONError(path: path, reason: "must be an array, found \(v.kindName)") }
        var out: [T] = []
        out.reserveCapacity(a.count)
        for (k, e) in a.enumerated() { out.append(try element(e, "\(path)[\(k)]")) }
        return out
    }

    private func object(_ v: JSONValue, _ path: String) throws(GeoJSONError) -> JSONObject {
        guard let o = v.objectValue else { throw GeoJSONError(path: path, reason: "must be a JSON object, found \(v.kindName)") }
        return o
    }

    private func typeName(_ o: JSONObject, _ path: String) throws(GeoJSONError) -> String {
        guard let t = o["type"] else { throw GeoJSONError(path: join(path, "type"), reason: "missing") }
        guard let s = t.stringValue else { throw GeoJSONError(path: join(path, "type"), reason: "must be a string") }
        return s
    }

    /// The 2008 `crs` member is gone from RFC 7946; a file that still names a CRS other than WGS84 is
    /// in the wrong coordinates, and silently reading it would put grids on the wrong continent.
    private func checkCRS(_ o: JSONObject, _ path: String) throws(GeoJSONError) {
        guard let crs = o["crs"], crs != .null else { return }
        let name = crs.objectValue?["properties"]?.objectValue?["name"]?.stringValue ?? ""
        if let c = CRS(name), c.isWGS84LonLat { return }
        throw GeoJSONError(path: join(path, "crs"), reason: "coordinates must be WGS84 lon/lat (RFC 7946); this file declares \(name.isEmpty ? "another CRS" : name)")
    }

    /// A number as a person would write it: 181, not 181.0.
    static func format(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : d.description
    }

    private func join(_ path: String, _ member: String) -> String { path.isEmpty ? member : "\(path).\(member)" }
}
