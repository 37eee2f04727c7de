import Geo

/// Where grids and boundaries are kept. SpatiaLite today; PostGIS is another implementation.
public protocol GridStore {
    func boundaries() throws -> [Boundary]
    /// Adds or replaces boundaries by code, all or nothing.
    func save(boundaries: [Boundary]) throws
    func grids() throws -> [Grid]
    /// Adds grids to the live layer, or replaces the layer when `replacing`; all or nothing.
    func save(grids: [Grid], replacing: Bool) throws
}
