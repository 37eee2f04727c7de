import Foundation

/// The JSON encoding of CQL2 (`filter-lang=cql2-json`): `{"op": …, "args": […]}`, `{"property": …}`,
/// literals, `{"timestamp": …}`, `{"date": …}`, GeoJSON geometries and `{"bbox": […]}`.
public enum CQL2JSON {
    public static func parse(_ text: String) throws(FilterError) -> Filter {
        guard text.utf8.count <= Filter.maxLength else { throw FilterError("the filter is longer than \(Filter.maxLength) bytes") }
        let json: JSONValue
        do { json = try JSONParser.parse(text) } catch { throw FilterError("the filter is not JSON: \(error)") }
        var vertices = 0
        return try filter(json, depth: 0, vertices: &vertices)
    }

    static func filter(_ v: JSONValue, depth: Int, vertices: inout Int) throws(FilterError) -> Filter {
        guard depth <= Filter.maxDepth else { throw FilterError("the filter nests deeper than \(Filter.maxDepth) levels") }
        if case .bool(let b) = v { return .literal(b) }
        guard let o = v.objectValue, let op = o["op"]?.stringValue else {
            throw FilterError("expected an operation {\"op\": …, \"args\": […]} or true/false, found \(v.kindName)")
        }
        guard let args = o["args"]?.arrayValue else { throw FilterError("\(op) needs an args array") }
        func count(_ n: Int) throws(FilterError) {
            guard args.count == n else { throw FilterError("\(op) takes \(n) arguments, not \(args.count)") }
        }
        switch op.lowercased() {
        case "and", "or":
            guard args.count >= 2 else { throw FilterError("\(op) takes at least 2 arguments") }
            var fs: [Filter] = []
            for a in args { fs.append(try filter(a, depth: depth + 1, vertices: &vertices)) }
            return op.lowercased() == "and" ? .and(fs) : .or(fs)
        case "not":
            try count(1)
            return .not(try filter(args[0], depth: depth + 1, vertices: &vertices))
        case "like":
            try count(2)
            guard let pattern = args[1].stringValue else { throw FilterError("like takes a text pattern") }
            return .like(try scalar(args[0]), pattern: pattern)
        case "between":
            // Three arguments (CQL2 1.0); the drafts' [value, [low, high]] (pygeofilter writes it) too.
            if args.count == 2, let bounds = args[1].arrayValue, bounds.count == 2 {
                return .between(try scalar(args[0]), try scalar(bounds[0]), try scalar(bounds[1]))
            }
            try count(3)
            return .between(try scalar(args[0]), try scalar(args[1]), try scalar(args[2]))
        case "in":
            try count(2)
            guard let list = args[1].arrayValue, !list.isEmpty else { throw FilterError("in takes a value and a non-empty array of values") }
            var values: [Filter.Scalar] = []
            for x in list { values.append(try scalar(x)) }
            return .inList(try scalar(args[0]), values)
        case "isnull":
            try count(1)
            return .isNull(try scalar(args[0]))
        default:
            if let c = Filter.Comparison(rawValue: op) {
                try count(2)
                return .compare(c, try scalar(args[0]), try scalar(args[1]))
            }
            if let r = Filter.SpatialRelation(rawValue: op.lowercased()) {
                try count(2)
                return .spatial(r, try spatial(args[0], &vertices), try spatial(args[1], &vertices))
            }
            throw FilterError("operation \(op) is not supported; this server has and, or, not, =, <>, <, <=, >, >=, like, between, in, isNull and the s_ spatial functions")
        }
    }

    static func scalar(_ v: JSONValue) throws(FilterError) -> Filter.Scalar {
        switch v {
        case .string(let s): return .text(s)
        case .bool(let b): return .bool(b)
        case .integer, .number: return .number(v.doubleValue!)
        case .object(let o):
            if let p = o["property"]?.stringValue { return .property(p) }
            if let t = o["timestamp"]?.stringValue {
                guard let d = FilterTime.timestamp(t) else { throw FilterError("timestamp \(t) is not an RFC 3339 date-time") }
                return .time(d)
            }
            if let t = o["date"]?.stringValue {
                guard let d = FilterTime.date(t) else { throw FilterError("date \(t) is not an RFC 3339 full-date") }
                return .time(d)
            }
            if o["op"] != nil { throw FilterError("operation \(o["op"]!.stringValue ?? "?") cannot be a value here (functions and arithmetic are not supported)") }
            throw FilterError("expected a property, a value, a timestamp or a date, found an object with \(o.keys.joined(separator: ", "))")
        default: throw FilterError("expected a property or a value, found \(v.kindName)")
        }
    }

    static func spatial(_ v: JSONValue, _ vertices: inout Int) throws(FilterError) -> Filter.Spatial {
        guard let o = v.objectValue else { throw FilterError("expected a geometry or a property, found \(v.kindName)") }
        if let p = o["property"]?.stringValue { return .property(p) }
        if let b = o["bbox"] {
            guard let values = b.arrayValue?.compactMap(\.doubleValue), values.count == b.arrayValue?.count else { throw FilterError("bbox takes numbers") }
            return .geometry(try FilterGeometry.box(values))
        }
        let g: Geometry
        do { g = try GeoJSONReader().geometry(v, "") } catch { throw FilterError("not a GeoJSON geometry: \(error)") }
        g.forEachPosition { _ in vertices += 1 }
        guard vertices <= Filter.maxVertices else { throw FilterError("a filter's geometries have at most \(Filter.maxVertices) vertices") }
        try FilterGeometry.validate(g)
        return .geometry(g)
    }
}
