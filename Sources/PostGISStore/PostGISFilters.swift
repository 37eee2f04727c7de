import Foundation
import Geo
import StoreSQL

/// CQL2 filters in PostgreSQL's words: `$n` placeholders cast to their type (text travels as
/// text), LIKE with its backslash escape, text ordered by code point (`COLLATE "C"`), as in memory
/// and in SQLite.
enum PostGISFilters {
    static let dialect = FilterSQL<PGValue>.Dialect(
        bind: { _, type, n in
            let cast = switch type {
            case .string: "text"
            case .number: "float8"
            case .boolean: "boolean"
            case .timestamp: "timestamptz"
            case .geometry: "bytea"
            }
            return "$\(n)::\(cast)"
        },
        text: { .text($0) }, number: { PGValue($0) }, bool: { PGValue($0) }, time: { PostGISCaseStore.time($0) },
        wkb: { PGValue(bytes: $0) }, geometry: { "ST_GeomFromWKB(\($0), 4326)" },
        like: { column, parts, bind in "\(column) LIKE \(bind(.text(like(parts))))" },
        ordered: { "(\($0) COLLATE \"C\")" })

    static func like(_ parts: [Filter.LikePart]) -> String {
        parts.map { p -> String in
            switch p {
            case .any: "%"
            case .one: "_"
            case .char(let c) where c == "%" || c == "_" || c == "\\": "\\\(c)"
            case .char(let c): String(c)
            }
        }.joined()
    }

    static let cases = FilterSQL(columns: FilterColumns.cases, dialect: dialect)
    static let households = FilterSQL(columns: FilterColumns.households, dialect: dialect)
    static let cameras = FilterSQL(columns: FilterColumns.cameras, dialect: dialect)
}
