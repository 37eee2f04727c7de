import Foundation
import Geo
import StoreSQL

/// CQL2 filters in SQLite's words: values bound as `?`, LIKE as a case-sensitive GLOB (SQLite's
/// LIKE ignores ASCII case, CQL2's does not), spatial functions as SpatiaLite's (1, 0 or -1).
enum SpatiaLiteFilters {
    static let dialect = FilterSQL<SQLValue>.Dialect(
        bind: { _, _, _ in "?" }, text: { .text($0) }, number: { .real($0) }, bool: { .integer($0 ? 1 : 0) },
        time: { SpatiaLiteCaseStore.value($0) }, wkb: { .blob($0) }, geometry: { "GeomFromWKB(\($0), 4326)" },
        like: { column, parts, bind in "\(column) GLOB \(bind(.text(glob(parts))))" }, predicate: { "\($0) = 1" })

    /// A LIKE pattern as a GLOB one: GLOB's own wildcards, when meant literally, in brackets.
    static func glob(_ parts: [Filter.LikePart]) -> String {
        parts.map { p -> String in
            switch p {
            case .any: "*"
            case .one: "?"
            case .char(let c) where c == "*" || c == "?" || c == "[": "[\(c)]"
            case .char(let c): String(c)
            }
        }.joined()
    }

    static let cases = FilterSQL(columns: FilterColumns.cases, dialect: dialect)
    static let households = FilterSQL(columns: FilterColumns.households, dialect: dialect)
    static let cameras = FilterSQL(columns: FilterColumns.cameras, dialect: dialect)
}
