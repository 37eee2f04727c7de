import CGEOS

/// A geometry held by GEOS, owned by this object and freed with it. Belongs to the `GEOSContext` that
/// made it (kept alive here) and follows its thread rule.
public final class Shape {
    private var ptr: OpaquePointer?
    public let context: GEOSContext

    init(_ ptr: OpaquePointer, _ context: GEOSContext) {
        self.ptr = ptr
        self.context = context
    }

    deinit { if let ptr { GEOSGeom_destroy_r(context.handle, ptr) } }

    var raw: OpaquePointer { ptr! }
    private var h: GEOSContextHandle_t { context.handle }

    /// Hands ownership to GEOS (a collection being built); this wrapper is spent afterwards.
    func release() -> OpaquePointer {
        defer { ptr = nil }
        return ptr!
    }

    /// Back to a Swift value.
    public var geometry: Geometry { context.geometry(raw) }

    public enum Validity: Equatable, Sendable {
        case valid
        /// GEOS's reason (e.g. "Self-intersection", "Ring Self-intersection", "Hole lies outside shell")
        /// and where it happens.
        case invalid(reason: String, location: Position?)
    }

    public var validity: Validity {
        var reason: UnsafeMutablePointer<CChar>?
        var location: OpaquePointer?
        let r = GEOSisValidDetail_r(h, raw, 0, &reason, &location)
        if r == 1 { return .valid }
        let text = reason.map { String(cString: $0) } ?? "invalid geometry"
        if let reason { GEOSFree_r(h, reason) }
        var pos: Position?
        if let location {
            if case .point(let p) = context.geometry(location) { pos = p }
            GEOSGeom_destroy_r(h, location)
        }
        return .invalid(reason: text, location: pos)
    }

    public func makeValid() throws(GEOSError) -> Shape { try context.wrap(GEOSMakeValid_r(h, raw), "makeValid") }
    public func union(_ o: Shape) throws(GEOSError) -> Shape { try context.wrap(GEOSUnion_r(h, raw, o.raw), "union") }
    public func intersection(_ o: Shape) throws(GEOSError) -> Shape {
        try context.wrap(GEOSIntersection_r(h, raw, o.raw), "intersection")
    }
    public func difference(_ o: Shape) throws(GEOSError) -> Shape {
        try context.wrap(GEOSDifference_r(h, raw, o.raw), "difference")
    }
    public func unaryUnion() throws(GEOSError) -> Shape { try context.wrap(GEOSUnaryUnion_r(h, raw), "unaryUnion") }
    public func symmetricDifference(_ o: Shape) throws(GEOSError) -> Shape {
        try context.wrap(GEOSSymDifference_r(h, raw, o.raw), "symDifference")
    }
    public func buffer(_ distance: Double, segments: Int32 = 8) throws(GEOSError) -> Shape {
        try context.wrap(GEOSBuffer_r(h, raw, distance, segments), "buffer")
    }
    /// The geometry snap-rounded to a grid of `gridSize` (GEOS's fixed precision model): vertices
    /// shared by two pieces become identical and zero-width spikes left by rounding collapse.
    public func snapped(to gridSize: Double = Precision.gridSize) throws(GEOSError) -> Shape {
        try context.wrap(GEOSGeom_setPrecision_r(h, raw, gridSize, 0), "setPrecision")
    }

    /// A point guaranteed to lie inside (for labels and for "which grid is this in").
    public func pointOnSurface() throws(GEOSError) -> Shape { try context.wrap(GEOSPointOnSurface_r(h, raw), "pointOnSurface") }
    public func boundary() throws(GEOSError) -> Shape { try context.wrap(GEOSBoundary_r(h, raw), "boundary") }
    /// Extra vertices so that no segment is longer than `step` (in the coordinates' units).
    public func densified(_ step: Double) throws(GEOSError) -> Shape { try context.wrap(GEOSDensify_r(h, raw, step), "densify") }

    /// Voronoi cells of this geometry's vertices, clipped to at least `envelope`.
    public func voronoiCells(envelope: Shape?) throws(GEOSError) -> Shape {
        try context.wrap(GEOSVoronoiDiagram_r(h, raw, envelope?.raw, 0, 0), "voronoiDiagram")
    }

    /// Area in the coordinates' own units (square degrees for lon/lat): use `Geodesy.area` for m².
    public var planarArea: Double { var a = 0.0; GEOSArea_r(h, raw, &a); return a }
    public var planarLength: Double { var l = 0.0; GEOSLength_r(h, raw, &l); return l }
    public var isEmpty: Bool { GEOSisEmpty_r(h, raw) == 1 }
    public var partCount: Int { Int(GEOSGetNumGeometries_r(h, raw)) }

    public var envelope: BoundingBox? {
        var x0 = 0.0, y0 = 0.0, x1 = 0.0, y1 = 0.0
        guard !isEmpty, GEOSGeom_getExtent_r(h, raw, &x0, &y0, &x1, &y1) == 1 else { return nil }
        return BoundingBox(minLon: x0, minLat: y0, maxLon: x1, maxLat: y1)
    }

    /// Planar distance in the coordinates' units (0 when they meet).
    public func distance(to o: Shape) -> Double { var d = 0.0; GEOSDistance_r(h, raw, o.raw, &d); return d }

    public func intersects(_ o: Shape) -> Bool { GEOSIntersects_r(h, raw, o.raw) == 1 }
    public func contains(_ o: Shape) -> Bool { GEOSContains_r(h, raw, o.raw) == 1 }
    public func covers(_ o: Shape) -> Bool { GEOSCovers_r(h, raw, o.raw) == 1 }
    /// A spatial function of CQL2 (OGC Simple Features' predicates), this shape first.
    public func relates(_ r: Filter.SpatialRelation, _ o: Shape) -> Bool {
        switch r {
        case .intersects: GEOSIntersects_r(h, raw, o.raw) == 1
        case .disjoint: GEOSDisjoint_r(h, raw, o.raw) == 1
        case .equals: GEOSEquals_r(h, raw, o.raw) == 1
        case .touches: GEOSTouches_r(h, raw, o.raw) == 1
        case .within: GEOSWithin_r(h, raw, o.raw) == 1
        case .contains: GEOSContains_r(h, raw, o.raw) == 1
        case .overlaps: GEOSOverlaps_r(h, raw, o.raw) == 1
        case .crosses: GEOSCrosses_r(h, raw, o.raw) == 1
        }
    }
    /// True when the boundaries meet along a line (DE-9IM `****1****`): two grids that are neighbours,
    /// not merely touching at a corner.
    public func sharesEdge(with o: Shape) -> Bool { GEOSRelatePattern_r(h, raw, o.raw, "****1****") == 1 }
    /// True when the interiors share an area (DE-9IM `2********`): two grids that overlap rather than
    /// merely touch along an edge.
    public func overlapsInArea(_ o: Shape) -> Bool { GEOSRelatePattern_r(h, raw, o.raw, "2********") == 1 }

    public func prepared() throws(GEOSError) -> PreparedShape { try PreparedShape(self) }

    /// Of `candidates` (nil entries skipped), the index of the one sharing the longest stretch of
    /// boundary with this shape; nil when none shares more than a point. Where a sliver or a small
    /// area should go when it is merged away.
    public func neighbourSharingMostEdge(among candidates: [Shape?]) throws(GEOSError) -> Int? {
        var best: (Int, Double)?
        for (k, c) in candidates.enumerated() {
            guard let c, c.intersects(self) else { continue }
            let shared = try c.intersection(self).planarLength
            if shared > (best?.1 ?? 0) { best = (k, shared) }
        }
        return best?.0
    }
}

/// The precision Wangge keeps coordinates at when it makes geometry: 1e-9° (about 0.1 mm).
public enum Precision {
    public static let gridSize = 1e-9
}

/// A GEOS prepared geometry: fast repeated predicates against one geometry. Keeps its base alive
/// (GEOS's prepared geometry refers to it) and builds internal indexes lazily, so it is used from
/// one thread only, like its context.
public final class PreparedShape {
    public let base: Shape
    private let ptr: OpaquePointer

    init(_ base: Shape) throws(GEOSError) {
        guard let p = GEOSPrepare_r(base.context.handle, base.raw) else { throw base.context.error("prepare") }
        self.base = base
        self.ptr = p
    }

    deinit { GEOSPreparedGeom_destroy_r(base.context.handle, ptr) }

    public func contains(_ o: Shape) -> Bool { GEOSPreparedContains_r(base.context.handle, ptr, o.raw) == 1 }
    public func covers(_ o: Shape) -> Bool { GEOSPreparedCovers_r(base.context.handle, ptr, o.raw) == 1 }
    public func intersects(_ o: Shape) -> Bool { GEOSPreparedIntersects_r(base.context.handle, ptr, o.raw) == 1 }
}

/// GEOS's STRtree over bounding boxes, returning the integer ids given at insertion.
/// The tree does not own its items, so the envelopes are kept here for the tree's lifetime.
public final class STRtree {
    private let context: GEOSContext
    private let tree: OpaquePointer
    private var envelopes: [Shape] = []

    public init(context: GEOSContext, nodeCapacity: Int = 10) throws(GEOSError) {
        guard let t = GEOSSTRtree_create_r(context.handle, nodeCapacity) else { throw context.error("STRtree_create") }
        self.context = context
        self.tree = t
    }

    deinit { GEOSSTRtree_destroy_r(context.handle, tree) }

    public func insert(_ box: BoundingBox, id: Int) throws(GEOSError) {
        let env = try context.rectangle(box)
        envelopes.append(env)
        // Items are opaque pointers: carry the id in the pointer's bits (+1, as nil is not allowed).
        GEOSSTRtree_insert_r(context.handle, tree, env.raw, UnsafeMutableRawPointer(bitPattern: id + 1))
    }

    /// Ids whose boxes intersect `box`, in no particular order.
    public func query(_ box: BoundingBox) throws(GEOSError) -> [Int] {
        let env = try context.rectangle(box)
        final class Hits { var ids: [Int] = [] }
        let hits = Hits()
        withExtendedLifetime(hits) {
            GEOSSTRtree_query_r(context.handle, tree, env.raw, { item, userdata in
                guard let item, let userdata else { return }
                Unmanaged<Hits>.fromOpaque(userdata).takeUnretainedValue().ids.append(Int(bitPattern: item) - 1)
            }, Unmanaged.passUnretained(hits).toOpaque())
        }
        return hits.ids
    }
}
