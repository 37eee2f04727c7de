import Geo

/// The live grid layer in memory with its point locator: "which grid is this place in?"
/// Immutable once built; share it freely.
public struct GridLayer: Sendable {
    public let grids: [Grid]
    public let locator: PointLocator
    /// Each grid's bounding box, for finding the few grids a camera's view may reach.
    let boxes: [BoundingBox]

    public init(grids: [Grid]) {
        self.grids = grids
        self.locator = PointLocator(polygons: grids.map(\.polygon))
        boxes = grids.map { Self.box($0.polygon) }
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

    /// The camera with its pole's grid and the grid it looks at, in this layer.
    public func located(_ camera: Camera) -> Camera {
        var c = camera
        c.gridCode = grid(at: c.position)?.code
        c.viewGridCode = viewedGrid(of: c)?.code
        return c
    }

    /// Cameras placed by the layer `previous`, placed by this one: the pole's grid of each, and the
    /// grid it looks at measured again only where its view reaches a grid that changed (a publish
    /// changes a few grids of hundreds; the rest look where they did).
    public func relocated(_ cameras: [Camera], placedBy previous: [Grid]) -> [Camera] {
        let before = Dictionary(previous.map { ($0.code, $0.polygon) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(grids.map { ($0.code, $0.polygon) }, uniquingKeysWith: { a, _ in a })
        var changed: [BoundingBox] = []
        for code in Set(before.keys).union(after.keys) where before[code] != after[code] {
            changed += [before[code], after[code]].compactMap { $0.map(Self.box) }
        }
        return cameras.map { c in
            guard let reach = c.view?.sector(at: c.position).boundingBox, !changed.contains(where: { $0.intersects(reach) }) else {
                return located(c)
            }
            var moved = c
            moved.gridCode = grid(at: c.position)?.code
            return moved
        }
    }

    /// A polygon's bounding box (an empty one for no points).
    public static func box(_ p: Polygon) -> BoundingBox {
        Geometry.polygon(p).boundingBox ?? BoundingBox(minLon: 0, minLat: 0, maxLon: -1, maxLat: -1)
    }

    /// The grid a camera looks at: the one holding the largest part of its view area (ties, or a
    /// view over no grid: the pole's grid); a camera without view parameters, its pole's grid.
    /// `bearing` turns a PTZ camera's view for one alert.
    public func viewedGrid(of camera: Camera, bearing: Double? = nil) -> Grid? {
        let pole = locator.locate(camera.position.lon, camera.position.lat)
        guard var view = camera.view?.sector(at: camera.position) else { return pole.map { grids[$0] } }
        if let bearing { view.azimuth = bearing }
        var best: Int?, bestArea = 0.0, poleArea = 0.0
        let reach = view.boundingBox, seen = ConvexClip.Seen(view)
        for k in grids.indices where boxes[k].intersects(reach) {
            let a = seen.area(of: grids[k].polygon)
            if k == pole { poleArea = a }
            if a > bestArea { best = k; bestArea = a }
        }
        // Equal to a part in a billion (areas of one piece measured twice): the pole's grid wins.
        guard let best, bestArea > 0, poleArea < bestArea * (1 - 1e-9) else { return pole.map { grids[$0] } }
        return grids[best]
    }
}
