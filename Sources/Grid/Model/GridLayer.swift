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

    /// The grids with their households and population counted from the household layer, by the
    /// same rule as `grid(at:)`; unchanged when there is no household layer.
    public func counted(from households: [Household]) -> [Grid] {
        guard !households.isEmpty else { return grids }
        var out = grids
        for k in out.indices { out[k].households = 0; out[k].population = 0 }
        for h in households {
            if let k = locator.locate(h.position.lon, h.position.lat) {
                out[k].households += h.households
                out[k].population += h.population
            }
        }
        return out
    }
}
