import Foundation
import Geo
import Synchronization

/// An address point (门牌) with the households living there: one for a farmhouse, dozens for an
/// apartment block. Grids count their households from these by location.
public struct Household: Hashable, Sendable {
    public var id: Int64
    public var address: String
    public var households: Int
    public var population: Int
    public var position: Position
    /// The grid it lies in, kept up to date on publish.
    public var gridCode: String?

    public init(id: Int64, address: String, households: Int, population: Int, position: Position, gridCode: String? = nil) {
        self.id = id
        self.address = address
        self.households = households
        self.population = population
        self.position = position
        self.gridCode = gridCode
    }
}

/// A camera of the county's networks, located in a grid so its alerts land on that grid's worker.
public struct Camera: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// 天网: city public-security cameras.
        case tianwang
        /// 雪亮: the rural "sharp eyes" network.
        case xueliang
        case faceRecognition = "face_recognition"
        case hospital, school
        case forestFire = "forest_fire"
        case shipping
        case floodLevel = "flood_level"
        /// Cameras of businesses and estates connected to the platform.
        case social
    }

    public var id: String
    public var kind: Kind
    public var name: String
    public var position: Position
    /// The pole's grid.
    public var gridCode: String?
    /// What the camera sees; nil for a camera known only by its pole.
    public var view: View?
    /// The grid its alerts go to: the one it sees most of (`GridLayer.viewedGrid`), else the pole's.
    public var viewGridCode: String?

    public init(id: String, kind: Kind, name: String, position: Position, gridCode: String? = nil, view: View? = nil, viewGridCode: String? = nil) {
        self.id = id
        self.kind = kind
        self.name = name
        self.position = position
        self.gridCode = gridCode
        self.view = view
        self.viewGridCode = viewGridCode
    }

    /// A camera's view (视域) parameters.
    public struct View: Hashable, Sendable {
        /// Degrees clockwise from north, [0, 360).
        public var azimuth: Double
        /// Horizontal field of view in degrees, (0, 360]; 360 for a dome.
        public var fov: Double
        /// How far it sees, metres, (0, 2000].
        public var rangeM: Double

        /// Refuses values out of range, saying which.
        public init(azimuth: Double, fov: Double, rangeM: Double) throws(ViewError) {
            if let p = ViewSector.problem(azimuth: azimuth, fov: fov, range: rangeM) { throw ViewError(reason: p) }
            self.azimuth = azimuth
            self.fov = fov
            self.rangeM = rangeM
        }

        public func sector(at pole: Position) -> ViewSector {
            ViewSector(apex: pole, azimuth: azimuth, fov: fov, range: rangeM)
        }
    }

    public struct ViewError: Error, CustomStringConvertible, Sendable {
        public let reason: String
        public var description: String { reason }
    }
}

extension Camera {
    /// Each camera's view area: its sector clipped to the county (`area`: the county's polygons; nil
    /// leaves the sectors whole). Cameras without a view have none.
    public static func viewAreas(_ cameras: [Camera], within area: [Polygon]?) throws -> [(camera: Camera, area: Geometry)] {
        // A prefecture's 60,000 cameras took most of a server's start on one core: in chunks, one
        // per core, each with its own GEOS context (a context is used by one thread at a time).
        let cores = max(1, min(ProcessInfo.processInfo.activeProcessorCount, cameras.count / 2_000))
        let size = (cameras.count + cores - 1) / max(cores, 1)
        let results = Mutex<[Int: Result<[(Camera, Geometry)], GEOSError>]>([:])
        DispatchQueue.concurrentPerform(iterations: cores) { k in
            let chunk = cameras[min(k * size, cameras.count)..<min((k + 1) * size, cameras.count)]
            let r = Result { () throws(GEOSError) in try viewAreas(of: chunk, within: area) }
            results.withLock { $0[k] = r }
        }
        return try results.withLock { r in try (0..<cores).flatMap { try r[$0]!.get() } }
    }

    private static func viewAreas(of cameras: ArraySlice<Camera>, within area: [Polygon]?) throws(GEOSError) -> [(Camera, Geometry)] {
        let ctx = GEOSContext()
        let county = try area.map { a throws(GEOSError) in try ctx.shape(a.count == 1 ? .polygon(a[0]) : .multiPolygon(a)).prepared() }
        var out: [(Camera, Geometry)] = []
        for c in cameras {
            guard let sector = c.view?.sector(at: c.position) else { continue }
            let polygon = Geometry.polygon(sector.polygon)
            guard let county else { out.append((c, polygon)); continue }
            let s = try ctx.shape(polygon)
            // Most views lie inside: only those across the county's edge are cut.
            if county.covers(s) { out.append((c, polygon)); continue }
            let cut = try county.base.intersection(s)
            if !cut.isEmpty { out.append((c, cut.geometry)) }
        }
        return out
    }
}
