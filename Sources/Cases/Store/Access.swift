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
}

/// Who is calling.
public struct Identity: Sendable, Hashable {
    public var tokenID: Int64
    public var name: String
    public var role: Role
    /// For `worker` tokens: the worker whose grids bound what they see.
    public var workerID: Int64?
    public init(tokenID: Int64, name: String, role: Role, workerID: Int64?) {
        self.tokenID = tokenID
        self.name = name
        self.role = role
        self.workerID = workerID
    }
}

/// A token as listed (never its clear text, which is not stored).
public struct TokenRecord: Sendable {
    public var id: Int64, name: String, role: Role, workerID: Int64?, createdAt: String, revokedAt: String?
    public init(id: Int64, name: String, role: Role, workerID: Int64?, createdAt: String, revokedAt: String?) {
        self.id = id
        self.name = name
        self.role = role
        self.workerID = workerID
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// Bearer tokens by their digest (the caller hashes; a store never sees a token in clear).
public protocol TokenStore: AnyObject {
    func insert(name: String, role: Role, workerID: Int64?, digest: String) throws -> Int64
    /// The identity behind a digest, or nil when it is unknown or revoked.
    func identity(digest: String) throws -> Identity?
    /// Revokes a token by its id; false when there is no such live token.
    func revoke(id: Int64) throws -> Bool
    func list() throws -> [TokenRecord]
}
