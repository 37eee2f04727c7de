import Foundation
import Geo

/// A CQL2 filter as a SQL condition, for both stores: the grammar is SQL's own (AND, OR, NOT,
/// comparisons, BETWEEN, IN, IS NULL, and ST_ functions that SpatiaLite and PostGIS both name
/// alike), the dialect says how values are bound and how LIKE and geometries are written. Values
/// are always bound, never spliced into the text. Filters are checked before they get here.
public struct FilterSQL<Value: Sendable>: Sendable {
    /// How one database binds and spells values.
    public struct Dialect: Sendable {
        /// Binds a value of a type and returns its placeholder (with the cast the database needs).
        public var bind: @Sendable (_ value: Value, _ type: FilterType, _ position: Int) -> String
        public var text: @Sendable (String) -> Value
        public var number: @Sendable (Double) -> Value
        public var bool: @Sendable (Bool) -> Value
        public var time: @Sendable (Date) -> Value
        /// A literal geometry's bound WKB and the expression around its placeholder.
        public var wkb: @Sendable ([UInt8]) -> Value
        public var geometry: @Sendable (_ placeholder: String) -> String
        /// `column LIKE pattern` for the pattern's parts, binding what it needs.
        public var like: @Sendable (_ column: String, _ parts: [Filter.LikePart], _ bind: (Value) -> String) -> String
        /// A spatial function's call as a condition (SpatiaLite's return 1, 0 or -1).
        public var predicate: @Sendable (String) -> String
        /// Text as ordered by `<` and BETWEEN: code point order, as in memory (PostgreSQL's
        /// default collation is the locale's).
        public var ordered: @Sendable (String) -> String

        public init(bind: @escaping @Sendable (Value, FilterType, Int) -> String, text: @escaping @Sendable (String) -> Value, number: @escaping @Sendable (Double) -> Value,
                    bool: @escaping @Sendable (Bool) -> Value, time: @escaping @Sendable (Date) -> Value, wkb: @escaping @Sendable ([UInt8]) -> Value,
                    geometry: @escaping @Sendable (String) -> String, like: @escaping @Sendable (String, [Filter.LikePart], (Value) -> String) -> String,
                    predicate: @escaping @Sendable (String) -> String = { $0 }, ordered: @escaping @Sendable (String) -> String = { $0 }) {
            self.bind = bind; self.text = text; self.number = number; self.bool = bool; self.time = time
            self.wkb = wkb; self.geometry = geometry; self.like = like; self.predicate = predicate; self.ordered = ordered
        }
    }

    let columns: [String: FilterColumn]
    let dialect: Dialect

    public init(columns: [String: FilterColumn], dialect: Dialect) {
        self.columns = columns
        self.dialect = dialect
    }

    /// The condition, appending its values to `values` (whose count places the placeholders).
    /// A property the table does not have is an error, as it is for the server's check.
    public func condition(_ f: Filter, _ values: inout [Value]) throws(FilterError) -> String {
        for name in f.properties where columns[name] == nil {
            throw FilterError("unknown property \(name); the queryables are \(columns.keys.sorted().joined(separator: ", "))")
        }
        return sql(f, &values)
    }

    private func sql(_ f: Filter, _ values: inout [Value]) -> String {
        func bind(_ v: Value, _ t: FilterType) -> String {
            values.append(v)
            return dialect.bind(v, t, values.count)
        }
        func scalar(_ s: Filter.Scalar) -> String {
            switch s {
            case .property(let name): return columns[name]?.sql ?? "NULL"
            case .text(let t): return bind(dialect.text(t), .string)
            case .number(let d): return bind(dialect.number(d), .number)
            case .bool(let b): return bind(dialect.bool(b), .boolean)
            case .time(let t): return bind(dialect.time(t), .timestamp)
            }
        }
        func spatial(_ s: Filter.Spatial) -> String {
            switch s {
            case .property(let name): return columns[name]?.sql ?? "NULL"
            case .geometry(let g): return dialect.geometry(bind(dialect.wkb(WKB.encode(g)), .geometry))
            }
        }
        switch f {
        case .literal(let b): return b ? "(1 = 1)" : "(1 = 0)"
        case .and(let fs): return "(" + fs.map { sql($0, &values) }.joined(separator: " AND ") + ")"
        case .or(let fs): return "(" + fs.map { sql($0, &values) }.joined(separator: " OR ") + ")"
        case .not(let x): return "(NOT \(sql(x, &values)))"
        case .compare(let op, let a, let b):
            let order = op != .eq && op != .ne && isText(a, b)
            let l = scalar(a), r = scalar(b)
            return order ? "(\(dialect.ordered(l)) \(op.rawValue) \(dialect.ordered(r)))" : "(\(l) \(op.rawValue) \(r))"
        case .like(let a, let pattern):
            let column = scalar(a)
            return "(" + dialect.like(column, Filter.likeParts(pattern)) { bind($0, .string) } + ")"
        case .between(let a, let lo, let hi):
            let x = scalar(a), l = scalar(lo), h = scalar(hi)
            let o = isText(a, lo) ? dialect.ordered : { $0 }
            return "(\(o(x)) BETWEEN \(o(l)) AND \(o(h)))"
        case .inList(let a, let list):
            let x = scalar(a)
            return "(\(x) IN (\(list.map { scalar($0) }.joined(separator: ", "))))"
        case .isNull(let a): return "(\(scalar(a)) IS NULL)"
        case .spatial(let rel, let a, let b):
            let x = spatial(a)
            return "(" + dialect.predicate("ST_\(Self.names[rel]!)(\(x), \(spatial(b)))") + ")"
        }
    }

    private func isText(_ a: Filter.Scalar, _ b: Filter.Scalar) -> Bool {
        func text(_ s: Filter.Scalar) -> Bool {
            switch s {
            case .text: true
            case .property(let name): columns[name]?.type == .string
            default: false
            }
        }
        return text(a) || text(b)
    }

    static var names: [Filter.SpatialRelation: String] {
        [.intersects: "Intersects", .disjoint: "Disjoint", .equals: "Equals", .touches: "Touches",
         .within: "Within", .contains: "Contains", .overlaps: "Overlaps", .crosses: "Crosses"]
    }
}

/// A queryable as the table holds it.
public struct FilterColumn: Sendable {
    public var sql: String
    public var type: FilterType
    public init(_ sql: String, _ type: FilterType) { self.sql = sql; self.type = type }
}

/// The collections' properties as columns; both stores' tables name them alike.
public enum FilterColumns {
    /// The cases collection (`Case.mapFeature`).
    public static let cases: [String: FilterColumn] = [
        "case_id": .init("id", .number), "category": .init("category", .string), "channel": .init("channel", .string),
        "priority": .init("priority", .string), "status": .init("status", .string), "level": .init("level", .string),
        "grid_id": .init("grid_id", .string), "unit": .init("unit", .string), "overdue": .init("overdue", .boolean),
        "unlocated": .init("unlocated", .boolean), "group_dispute": .init("group_dispute", .boolean),
        "alert_type": .init("alert_type", .string), "camera_id": .init("camera_id", .string),
        "reported_at": .init("reported_at", .timestamp), "due_at": .init("due_at", .timestamp),
        "closed_at": .init("closed_at", .timestamp), "county": .init("county", .string), "geometry": .init("geom", .geometry),
    ]

    public static let households: [String: FilterColumn] = [
        "household_id": .init("id", .number), "address": .init("address", .string), "households": .init("households", .number),
        "population": .init("population", .number), "grid_id": .init("grid_id", .string), "county": .init("county", .string),
        "geometry": .init("geom", .geometry),
    ]

    public static let cameras: [String: FilterColumn] = [
        "camera_id": .init("id", .string), "kind": .init("kind", .string), "name": .init("name", .string),
        "grid_id": .init("grid_id", .string), "azimuth": .init("azimuth", .number), "fov": .init("fov", .number),
        "range_m": .init("range_m", .number), "view_grid_id": .init("view_grid_id", .string), "county": .init("county", .string),
        "geometry": .init("geom", .geometry),
    ]
}
