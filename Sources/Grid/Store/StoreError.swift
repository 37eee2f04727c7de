/// What went wrong in a store, by kind, so that callers (and HTTP) can answer by kind instead of by
/// reading a database's message: not found → 404, conflict → 409, invalid → 422, unavailable → 503
/// with `Retry-After`; `schema` stops a program at start; `internal` is a bug (500, logged).
///
/// `reason` is Wangge's own words, safe to show anyone. `detail` is the database's own text, for
/// logs and the operator's command line; it never goes into an HTTP response.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        case notFound, conflict, invalid, unavailable, schema, `internal`
    }
    public let kind: Kind
    public let reason: String
    public let detail: String?

    public init(_ kind: Kind, _ reason: String, detail: String? = nil) {
        self.kind = kind
        self.reason = reason
        self.detail = detail
    }

    /// A request the store refuses for what it asks (the most common kind in domain code).
    public init(_ reason: String) { self.init(.invalid, reason) }

    public static func notFound(_ reason: String) -> StoreError { StoreError(.notFound, reason) }
    public static func conflict(_ reason: String) -> StoreError { StoreError(.conflict, reason) }
    public static func invalid(_ reason: String) -> StoreError { StoreError(.invalid, reason) }

    /// The same error about a named thing ("grid 511725…: …").
    public func about(_ what: String) -> StoreError { StoreError(kind, "\(what): \(reason)", detail: detail) }

    /// For the operator: the reason and, where there is one, the database's own words.
    public var description: String { detail.map { "\(reason) (\($0))" } ?? reason }
}
