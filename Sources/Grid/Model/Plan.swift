import Foundation

/// A planner's draft of the grid layer (规划方案), copied from a live version and edited until it is
/// published. The live layer is untouched until then.
public struct Plan: Hashable, Sendable {
    public enum Status: String, Sendable { case draft, published, discarded }
    public var id: Int64
    public var name: String
    /// The live version the plan was copied from; publishing is refused once the live layer moved on.
    public var baseVersion: Int
    public var status: Status
    public var createdAt: String
    public var publishedVersion: Int?
    public init(id: Int64, name: String, baseVersion: Int, status: Status, createdAt: String, publishedVersion: Int? = nil) {
        self.id = id
        self.name = name
        self.baseVersion = baseVersion
        self.status = status
        self.createdAt = createdAt
        self.publishedVersion = publishedVersion
    }
}

/// One published state of the live grid layer.
public struct LayerVersion: Hashable, Sendable {
    public var version: Int
    public var effectiveAt: String
    public var publishedAt: String
    public var planID: Int64?
    public var note: String
    public var gridCount: Int
    public init(version: Int, effectiveAt: String, publishedAt: String, planID: Int64? = nil, note: String, gridCount: Int) {
        self.version = version
        self.effectiveAt = effectiveAt
        self.publishedAt = publishedAt
        self.planID = planID
        self.note = note
        self.gridCount = gridCount
    }
}

/// A household, camera or case that changed grid when a version was published.
public struct Move: Hashable, Sendable {
    public enum Item: String, Sendable { case household, camera, `case` }
    public var item: Item
    public var itemID: String
    public var from: String?
    public var to: String?
    public init(item: Item, itemID: String, from: String? = nil, to: String? = nil) {
        self.item = item
        self.itemID = itemID
        self.from = from
        self.to = to
    }
}

/// A worker's post in a grid: the same person may lead all grids of a village, or police a town.
public struct GridPost: Hashable, Sendable {
    public var gridCode: String
    public var workerID: Int64
    public var role: Worker.Role
    public init(gridCode: String, workerID: Int64, role: Worker.Role) {
        self.gridCode = gridCode
        self.workerID = workerID
        self.role = role
    }
}
