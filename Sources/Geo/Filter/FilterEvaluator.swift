import Foundation

/// Evaluates a checked filter on features held in memory, with SQL's three-valued logic (a
/// comparison with a null property is unknown, and NOT unknown is unknown), so that a collection
/// in memory and one in a database answer the same filter alike. Spatial functions are GEOS's.
///
/// Thread rule: one evaluator per task (it holds a GEOS context and the literals made in it).
public final class FilterEvaluator {
    let filter: Filter
    let types: [String: FilterType]
    private let context = GEOSContext()
    private var literals: [Geometry: (shape: Shape, prepared: PreparedShape, box: BoundingBox)] = [:]

    /// - Parameter types: the queryables' types (times are stored in features as RFC 3339 text).
    public init(_ filter: Filter, types: [String: FilterType]) throws(FilterError) {
        self.filter = filter
        self.types = types
        try prepare(filter)
    }

    /// Literal geometries made once, and refused when GEOS finds them invalid (a self-crossing
    /// polygon would answer any predicate arbitrarily).
    private func prepare(_ f: Filter) throws(FilterError) {
        switch f {
        case .and(let fs), .or(let fs): for x in fs { try prepare(x) }
        case .not(let x): try prepare(x)
        case .spatial(_, let a, let b):
            for case .geometry(let g) in [a, b] where literals[g] == nil {
                do {
                    let s = try context.shape(g)
                    if case .invalid(let reason, let at) = s.validity {
                        throw FilterError("a \(g.typeName) in the filter is not valid: \(reason)\(at.map { " at \($0.lon) \($0.lat)" } ?? "")")
                    }
                    literals[g] = (s, try s.prepared(), g.boundingBox ?? BoundingBox(minLon: 0, minLat: 0, maxLon: 0, maxLat: 0))
                } catch let e as FilterError { throw e } catch { throw FilterError("a \(g.typeName) in the filter cannot be used: \(error)") }
            }
        default: break
        }
    }

    /// Checks a filter's literal geometries the way evaluation would (for stores, whose databases
    /// would otherwise fail on them).
    public static func validate(_ f: Filter) throws(FilterError) { _ = try FilterEvaluator(f, types: [:]) }

    /// Whether a feature meets the filter (unknown does not).
    public func matches(_ properties: JSONObject, geometry: Geometry, bbox: BoundingBox) -> Bool {
        var shape: Shape?
        return eval(filter, properties, geometry, bbox, &shape) == true
    }

    private enum Value: Comparable {
        case text(String), number(Double), bool(Bool), time(Date)
        static func < (a: Value, b: Value) -> Bool {
            switch (a, b) {
            case (.text(let x), .text(let y)): x < y
            case (.number(let x), .number(let y)): x < y
            case (.bool(let x), .bool(let y)): !x && y
            case (.time(let x), .time(let y)): x < y
            default: false
            }
        }
    }

    private func value(_ s: Filter.Scalar, _ p: JSONObject) -> Value? {
        switch s {
        case .text(let t): return .text(t)
        case .number(let d): return .number(d)
        case .bool(let b): return .bool(b)
        case .time(let t): return .time(t)
        case .property(let name):
            switch p[name] {
            case .string(let s)?: return types[name] == .timestamp ? FilterTime.timestamp(s).map { .time($0) } : .text(s)
            case .integer(let i)?: return .number(Double(i))
            case .number(let d)?: return .number(d)
            case .bool(let b)?: return .bool(b)
            default: return nil
            }
        }
    }

    private func eval(_ f: Filter, _ p: JSONObject, _ g: Geometry, _ box: BoundingBox, _ shape: inout Shape?) -> Bool? {
        switch f {
        case .literal(let b): return b
        case .and(let fs):
            var result: Bool? = true
            for x in fs {
                switch eval(x, p, g, box, &shape) {
                case false?: return false
                case nil: result = nil
                case true?: continue
                }
            }
            return result
        case .or(let fs):
            var result: Bool? = false
            for x in fs {
                switch eval(x, p, g, box, &shape) {
                case true?: return true
                case nil: result = nil
                case false?: continue
                }
            }
            return result
        case .not(let x): return eval(x, p, g, box, &shape).map { !$0 }
        case .compare(let op, let a, let b):
            guard let x = value(a, p), let y = value(b, p) else { return nil }
            switch op {
            case .eq: return x == y
            case .ne: return x != y
            case .lt: return x < y
            case .le: return x <= y
            case .gt: return x > y
            case .ge: return x >= y
            }
        case .like(let a, let pattern):
            guard case .text(let s)? = value(a, p) else { return nil }
            return Self.like(Array(s.unicodeScalars), pattern)
        case .between(let a, let lo, let hi):
            guard let x = value(a, p), let l = value(lo, p), let h = value(hi, p) else { return nil }
            return l <= x && x <= h
        case .inList(let a, let list):
            guard let x = value(a, p) else { return nil }
            var unknown = false
            for v in list {
                guard let y = value(v, p) else { unknown = true; continue }
                if x == y { return true }
            }
            return unknown ? nil : false
        case .isNull(let a): return value(a, p) == nil
        case .spatial(let rel, let a, let b):
            return spatial(rel, a, b, g, box, &shape)
        }
    }

    private func spatial(_ rel: Filter.SpatialRelation, _ a: Filter.Spatial, _ b: Filter.Spatial, _ g: Geometry, _ box: BoundingBox,
                         _ shape: inout Shape?) -> Bool? {
        func boxOf(_ s: Filter.Spatial) -> BoundingBox { if case .geometry(let l) = s { literals[l]!.box } else { box } }
        // Boxes apart settle every function: only disjoint holds.
        if !boxOf(a).intersects(boxOf(b)) { return rel == .disjoint }
        func made(_ s: Filter.Spatial) -> Shape? {
            if case .geometry(let l) = s { return literals[l]!.shape }
            if shape == nil { shape = try? context.shape(g) }
            return shape
        }
        switch (rel, a, b) {
        case (.intersects, .property, .geometry(let l)), (.intersects, .geometry(let l), .property):
            return made(.property("")).map { literals[l]!.prepared.intersects($0) }
        case (.within, .property, .geometry(let l)), (.contains, .geometry(let l), .property):
            return made(.property("")).map { literals[l]!.prepared.contains($0) }
        default:
            guard let x = made(a), let y = made(b) else { return nil }
            return x.relates(rel, y)
        }
    }

    /// CQL2 LIKE on the pattern's parts; iterative with one backtrack point per `%`, so no
    /// pattern costs more than text × pattern.
    static func like(_ s: [Unicode.Scalar], _ pattern: String) -> Bool {
        let p = Filter.likeParts(pattern)
        var i = 0, j = 0, star: Int?, mark = 0
        while i < s.count {
            if j < p.count {
                switch p[j] {
                case .one: i += 1; j += 1; continue
                case .char(let c) where c == s[i]: i += 1; j += 1; continue
                case .any: star = j; mark = i; j += 1; continue
                default: break
                }
            }
            guard let st = star else { return false }
            j = st + 1; mark += 1; i = mark
        }
        while j < p.count, p[j] == .any { j += 1 }
        return j == p.count
    }
}
