import Foundation
import Geo

/// Typed access to a JSON request body; every mistake is a 422 naming the field.
struct Fields {
    let object: JSONObject

    init(_ object: JSONObject, allowed: [String]) throws(Problem) {
        self.object = object
        for key in object.keys where !allowed.contains(key) {
            throw Self.invalid("unknown field \(key); this takes \(allowed.joined(separator: ", "))")
        }
    }

    static func invalid(_ detail: String) -> Problem { Problem(.unprocessableContent, "invalid-field", detail) }

    func string(_ key: String) throws(Problem) -> String {
        guard let v = try optionalString(key) else { throw Self.invalid("\(key) is required") }
        return v
    }

    func optionalString(_ key: String) throws(Problem) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let v?: throw Self.invalid("\(key) must be a string, not a \(v.kindName)")
        }
    }

    func optionalInt(_ key: String) throws(Problem) -> Int64? {
        switch object[key] {
        case nil, .null?: return nil
        case let v?:
            guard let i = v.integerValue else { throw Self.invalid("\(key) must be a whole number, not \(v.kindName == "number" ? "a fraction" : "a \(v.kindName)")") }
            return i
        }
    }

    func optionalDouble(_ key: String) throws(Problem) -> Double? {
        switch object[key] {
        case nil, .null?: return nil
        case let v?:
            guard let d = v.doubleValue else { throw Self.invalid("\(key) must be a number, not a \(v.kindName)") }
            return d
        }
    }

    func enumValue<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type, default d: T? = nil) throws(Problem) -> T where T.RawValue == String {
        guard let s = try optionalString(key) else {
            if let d { return d }
            throw Self.invalid("\(key) is required; one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let v = T(rawValue: s) else { throw Self.invalid("\(key) \(s) is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))") }
        return v
    }

    func date(_ key: String) throws(Problem) -> Date? {
        guard let s = try optionalString(key) else { return nil }
        if let d = Parameters.time(s) { return d }
        throw Self.invalid("\(key) must be an RFC 3339 time such as 2026-11-22T09:30:00+08:00, not \(s)")
    }

    func array(_ key: String) throws(Problem) -> [JSONValue] {
        switch object[key] {
        case nil, .null?: return []
        case .array(let a)?: return a
        case let v?: throw Self.invalid("\(key) must be an array, not a \(v.kindName)")
        }
    }
}
