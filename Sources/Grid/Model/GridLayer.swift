import Geo

/// The live grid layer in memory with its point locator: "which grid is this place in?"
/// Immutable once built; share it freely.
public struct GridLayer: Sendable {
    public let grids: [Grid]
    public let locator: PointLocator

    public init(grids: [Grid]) {
        self.grids = grids
        self.locator = PointLocator(polygons: grids.map(\.polygon))
    }

    /// The grid containing a WGS84 position. A point on an edge shared by two grids goes to exactly
    /// one of them, always the same one.
    public func grid(at p: Position) -> Grid? {
        locator.locate(p.lon, p.lat).map { grids[$0] }
    }
}
