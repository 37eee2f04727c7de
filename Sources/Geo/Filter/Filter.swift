import Foundation

/// A filter expression of OGC API – Features Part 3 (CQL2), parsed from its text or JSON encoding,
/// checked against a collection's queryables, and then either evaluated on features held in memory
/// (`FilterEvaluator`) or translated into a store's SQL. Geometries are in CRS84.
public indirect enum Filter: Sendable, Hashable {
    case literal(Bool)
    case and([Filter])
    case or([Filter])
    case not(Filter)
    case compare(Comparison, Scalar, Scalar)
    /// `LIKE`: `%` any run of characters, `_` one character, `\` escapes either. Case-sensitive.
    case like(Scalar, pattern: String)
    case between(Scalar, Scalar, Scalar)
    case inList(Scalar, [Scalar])
    case isNull(Scalar)
    case spatial(SpatialRelation, Spatial, Spatial)

    public enum Comparison: String, Sendable, CaseIterable {
        case eq = "=", ne = "<>", lt = "<", le = "<=", gt = ">", ge = ">="
    }

    /// The spatial functions of the Spatial Functions class, by their CQL2 names.
    public enum SpatialRelation: String, Sendable, CaseIterable {
        case intersects = "s_intersects", disjoint = "s_disjoint", equals = "s_equals", touches = "s_touches"
        case within = "s_within", contains = "s_contains", overlaps = "s_overlaps", crosses = "s_crosses"
    }

    /// A value side of a predicate: a property or a literal.
    public enum Scalar: Sendable, Hashable {
        case property(String)
        case text(String)
        case number(Double)
        case bool(Bool)
        case time(Date)
    }

    /// A side of a spatial function: the geometry property or a literal geometry (a BBOX is a polygon).
    public enum Spatial: Sendable, Hashable {
        case property(String)
        case geometry(Geometry)
    }
}

/// The types a queryable can have, as the filter checks them.
public enum FilterType: String, Sendable {
    case string, number, boolean, timestamp, geometry
}

/// Why a filter was refused: where in it and what is wrong, for a 400.
public struct FilterError: Error, CustomStringConvertible, Sendable, Equatable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

extension Filter {
    /// Bounds on what a client may send: a filter longer than this is refused before parsing,
    /// nesting deeper or more nodes than these after.
    public static let maxLength = 16_384
    public static let maxDepth = 32
    public static let maxNodes = 1_000
    public static let maxVertices = 10_000

    /// Checks every property against the queryables (name → type) and that each predicate compares
    /// values of one type. A filter that would be silently meaningless is an error instead.
    public func check(_ queryables: [String: FilterType]) throws(FilterError) {
        var nodes = 0
        try check(queryables, depth: 0, nodes: &nodes)
    }

    private func check(_ q: [String: FilterType], depth: Int, nodes: inout Int) throws(FilterError) {
        nodes += 1
        guard depth <= Self.maxDepth else { throw FilterError("the filter nests deeper than \(Self.maxDepth) levels") }
        guard nodes <= Self.maxNodes else { throw FilterError("the filter has more than \(Self.maxNodes) terms") }
        func type(_ s: Scalar) throws(FilterError) -> FilterType {
            switch s {
            case .property(let name):
                guard let t = q[name] else { throw Self.unknown(name, q) }
                guard t != .geometry else { throw FilterError("\(name) is a geometry: compare it with a spatial function (S_INTERSECTS…)") }
                return t
            case .text: return .string
            case .number: return .number
            case .bool: return .boolean
            case .time: return .timestamp
            }
        }
        func same(_ a: Scalar, _ b: Scalar, _ what: String) throws(FilterError) {
            let (ta, tb) = (try type(a), try type(b))
            guard ta == tb else { throw FilterError("\(what) compares \(a.text) (\(ta.rawValue)) with \(b.text) (\(tb.rawValue))") }
        }
        switch self {
        case .literal: break
        case .and(let fs), .or(let fs):
            for f in fs { try f.check(q, depth: depth + 1, nodes: &nodes) }
        case .not(let f): try f.check(q, depth: depth + 1, nodes: &nodes)
        case .compare(let op, let a, let b):
            try same(a, b, op.rawValue)
            if op != .eq && op != .ne, try type(a) == .boolean { throw FilterError("\(op.rawValue) does not order booleans (\(a.text))") }
        case .like(let a, _):
            guard try type(a) == .string else { throw FilterError("LIKE needs text, and \(a.text) is not") }
        case .between(let a, let lo, let hi):
            guard [.number, .timestamp].contains(try type(a)) else { throw FilterError("BETWEEN needs a number or a time, and \(a.text) is neither") }
            try same(a, lo, "BETWEEN"); try same(a, hi, "BETWEEN")
        case .inList(let a, let list):
            guard list.count <= Self.maxNodes else { throw FilterError("IN lists at most \(Self.maxNodes) values") }
            nodes += list.count
            for v in list { try same(a, v, "IN") }
        case .isNull(let a): _ = try type(a)
        case .spatial(let rel, let a, let b):
            for s in [a, b] {
                guard case .property(let name) = s else { continue }
                guard let t = q[name] else { throw Self.unknown(name, q) }
                guard t == .geometry else { throw FilterError("\(rel.rawValue.uppercased()) needs geometries, and \(name) is a \(t.rawValue)") }
            }
        }
    }

    private static func unknown(_ name: String, _ q: [String: FilterType]) -> FilterError {
        FilterError("unknown property \(name); the queryables are \(q.keys.sorted().joined(separator: ", "))")
    }

    /// Every property the filter names.
    public var properties: Set<String> {
        func names(_ s: Scalar) -> [String] { if case .property(let p) = s { [p] } else { [] } }
        switch self {
        case .literal: return []
        case .and(let fs), .or(let fs): return fs.reduce(into: []) { $0.formUnion($1.properties) }
        case .not(let f): return f.properties
        case .compare(_, let a, let b): return Set(names(a) + names(b))
        case .like(let a, _), .isNull(let a): return Set(names(a))
        case .between(let a, let b, let c): return Set(names(a) + names(b) + names(c))
        case .inList(let a, let list): return Set(names(a) + list.flatMap(names))
        case .spatial(_, let a, let b):
            return Set([a, b].compactMap { if case .property(let p) = $0 { p } else { nil } })
        }
    }

    /// A box every feature meeting the filter lies in, where the filter says so (a spatial
    /// function of the geometry with a literal that it intersects, is within or equals, under
    /// ANDs and ORs): stores use it to read only the candidates of their spatial index.
    public var requiredBox: BoundingBox? {
        switch self {
        case .and(let fs):
            var box: BoundingBox?
            for b in fs.compactMap(\.requiredBox) { box = box.map { $0.intersection(b) } ?? b }
            return box
        case .or(let fs):
            let boxes = fs.map(\.requiredBox)
            guard !boxes.isEmpty, boxes.allSatisfy({ $0 != nil }) else { return nil }
            return boxes.dropFirst().reduce(boxes[0]!) { var u = $0; u.extend($1!); return u }
        case .spatial(let rel, let a, let b):
            switch (rel, a, b) {
            case (.intersects, .property, .geometry(let g)), (.intersects, .geometry(let g), .property),
                 (.within, .property, .geometry(let g)), (.contains, .geometry(let g), .property),
                 (.equals, .property, .geometry(let g)), (.equals, .geometry(let g), .property),
                 (.touches, .property, .geometry(let g)), (.touches, .geometry(let g), .property),
                 (.overlaps, .property, .geometry(let g)), (.overlaps, .geometry(let g), .property),
                 (.crosses, .property, .geometry(let g)), (.crosses, .geometry(let g), .property):
                return g.boundingBox
            default: return nil
            }
        default: return nil
        }
    }

    /// A LIKE pattern's parts: `%` any run of characters, `_` one, `\\` makes the next character
    /// itself (a `\\` at the very end is itself).
    public enum LikePart: Equatable, Sendable { case any, one, char(Unicode.Scalar) }

    public static func likeParts(_ pattern: String) -> [LikePart] {
        let s = Array(pattern.unicodeScalars)
        var out: [LikePart] = [], k = 0
        while k < s.count {
            switch s[k] {
            case "\\" where k + 1 < s.count: out.append(.char(s[k + 1])); k += 2; continue
            case "%": out.append(.any)
            case "_": out.append(.one)
            case let c: out.append(.char(c))
            }
            k += 1
        }
        return out
    }

    /// Every literal geometry converted (filter-crs to CRS84).
    public func mapGeometries(_ transform: (Geometry) throws -> Geometry) rethrows -> Filter {
        switch self {
        case .and(let fs): return .and(try fs.map { try $0.mapGeometries(transform) })
        case .or(let fs): return .or(try fs.map { try $0.mapGeometries(transform) })
        case .not(let f): return .not(try f.mapGeometries(transform))
        case .spatial(let r, let a, let b):
            func map(_ s: Spatial) throws -> Spatial { if case .geometry(let g) = s { .geometry(try transform(g)) } else { s } }
            return .spatial(r, try map(a), try map(b))
        default: return self
        }
    }
}

extension Filter.Scalar {
    /// The scalar as the error messages quote it.
    var text: String {
        switch self {
        case .property(let p): p
        case .text(let s): "'\(s)'"
        case .number(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): b ? "TRUE" : "FALSE"
        case .time(let t): "TIMESTAMP('\(t.formatted(.iso8601))')"
        }
    }
}

extension BoundingBox {
    /// The overlap of two boxes (an empty, inverted box when they do not meet).
    public func intersection(_ b: BoundingBox) -> BoundingBox {
        BoundingBox(minLon: max(minLon, b.minLon), minLat: max(minLat, b.minLat), maxLon: min(maxLon, b.maxLon), maxLat: min(maxLat, b.maxLat))
    }
    public var isEmpty: Bool { minLon > maxLon || minLat > maxLat }
}
