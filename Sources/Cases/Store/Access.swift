import Foundation
import Grid

/// What a bearer of a token may do. The public (no token) may only track a case by its code, and read
/// the map collections the operator made public.
public enum Role: String, Sendable, CaseIterable {
    /// Redraws grids: plans, validation, publish, workers and duty.
    case planner
    /// Takes disputes and camera alerts, assigns and follows them; sees the parties' personal data.
    case dispatcher
    /// A grid worker (网格员): the cases of their own grids, with the parties they must meet.
    case worker
    /// Leaders' screens: every map layer and figure, no personal data.
    case viewer
    /// Another system reporting over Open311 GeoReport v2 (the province's platform, an app): its
    /// token is the `api_key` that files service requests; it reads what the public reads.
    case open311
    /// A mediation committee's or a department's desk (`HandlingUnit`): the cases it leads or
    /// assists with, with the parties it must meet; it moves those it leads.
    case unit
}

extension Area {
    /// Whether a case is in the area: the unit that has it now is (its grid, village, town or
    /// county centre) — so a case escalated from a village to its town leaves the village's view
    /// and stays in the town's. Arbitration and the court belong to the county of the case's grid.
    public func holds(_ c: Case) -> Bool {
        let parts = c.unit.split(separator: ":", maxSplits: 1)
        if parts.count == 2 { return parts[1].hasPrefix(code) }
        return code.utf8.count == 6 && (c.gridCode?.hasPrefix(code) ?? false)
    }
}

/// Who is calling.
public struct Identity: Sendable, Hashable {
    public var tokenID: Int64
    public var name: String
    public var role: Role
    /// For `worker` tokens: the worker whose grids bound what they see.
    public var workerID: Int64?
    /// The area the token is limited to; nil for the whole database.
    public var area: Area?
    /// For `unit` tokens: the committee's or department's code.
    public var unit: String?
    /// Whether this came from a sign-in session (the page's cookie) rather than the token itself.
    public var session: Bool
    public init(tokenID: Int64, name: String, role: Role, workerID: Int64?, area: Area? = nil, unit: String? = nil, session: Bool = false) {
        self.unit = unit
        self.tokenID = tokenID
        self.name = name
        self.role = role
        self.workerID = workerID
        self.area = area
        self.session = session
    }
}

/// What of the database a caller sees: everything, a worker's grids, an area, or both.
public struct Scope: Sendable {
    /// A worker's grids; nil for any.
    public var grids: Set<String>?
    public var area: Area?
    /// A committee's or department's: the cases it leads, and those it was called in to assist.
    public var unit: String?
    public init(grids: Set<String>? = nil, area: Area? = nil, unit: String? = nil) {
        self.grids = grids
        self.area = area
        self.unit = unit
    }
    public static let everything = Scope()
    public var isEverything: Bool { grids == nil && area == nil && unit == nil }

    /// `assists`: the units called in to the case (a unit's scope holds those cases too).
    public func allows(_ c: Case, assists: [CaseAssist] = []) -> Bool {
        (grids.map { g in c.gridCode.map(g.contains) ?? false } ?? true) && (area?.holds(c) ?? true)
            && (unit.map { u in c.unit == u || assists.contains { $0.unit == u } } ?? true)
    }

    /// Whether a code-bearing thing (a grid, boundary, household's or camera's grid) is in scope.
    public func allows(code: String?) -> Bool {
        guard let area else { return true }
        return code.map(area.contains) ?? false
    }

    /// `q` narrowed to the scope (in the store's query, not after loading).
    public func narrow(_ q: CaseQuery) -> CaseQuery {
        var q = q
        if let g = grids { q.gridCodes = (q.gridCodes ?? Array(g)).filter(g.contains).sorted() }
        if let area { q.area = area }
        if let unit { q.unit = unit }
        return q
    }
}

/// A token as listed (never its clear text, which is not stored).
public struct TokenRecord: Sendable {
    public var id: Int64, name: String, role: Role, workerID: Int64?, area: Area?, unit: String?, createdAt: String, revokedAt: String?
    public init(id: Int64, name: String, role: Role, workerID: Int64?, area: Area? = nil, unit: String? = nil, createdAt: String, revokedAt: String?) {
        self.unit = unit
        self.id = id
        self.name = name
        self.role = role
        self.workerID = workerID
        self.area = area
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// Bearer tokens by their digest (the caller hashes; a store never sees a token in clear).
public protocol TokenStore: AnyObject {
    /// `unit`: a `unit` token's committee or department.
    func insert(name: String, role: Role, workerID: Int64?, area: Area?, unit: String?, digest: String) throws -> Int64
    /// A sign-in session made from a live token: the same role, worker and area, until `expires`.
    func insertSession(of token: Int64, digest: String, expires: Date) throws -> Int64
    /// The identity behind a digest (a token's or a session's: a session answers as its token),
    /// or nil when it is unknown, revoked or expired.
    func identity(digest: String) throws -> Identity?
    /// Ends a session (sign-out); false when there is no such live session.
    func revokeSession(digest: String) throws -> Bool
    /// Revokes a token by its id; false when there is no such live token.
    func revoke(id: Int64) throws -> Bool
    func list() throws -> [TokenRecord]
}
