import Cases
import Foundation
import Geo
import Grid
import Synchronization

/// Camera view areas already clipped to the county, kept across catalog rebuilds: a publish
/// changes the grids a camera looks at, not what it sees (thousands of GEOS clips otherwise).
final class ViewAreaCache: Sendable {
    struct Key: Hashable { var camera: String; var lon, lat: Double; var view: Camera.View; var county: Int }
    private let areas = Mutex<[Key: Geometry]>([:])
    static let shared = ViewAreaCache()

    func areas(_ cameras: [Camera], within county: [Polygon]?) throws -> [(camera: Camera, area: Geometry)] {
        let countyKey = county?.hashValue ?? 0
        func key(_ c: Camera) -> Key? {
            c.view.map { Key(camera: c.id, lon: c.position.lon, lat: c.position.lat, view: $0, county: countyKey) }
        }
        let known = areas.withLock { a in cameras.compactMap { c in key(c).flatMap { a[$0] }.map { (c, $0) } } }
        let knownIDs = Set(known.map(\.0.id))
        let fresh = try Camera.viewAreas(cameras.filter { !knownIDs.contains($0.id) }, within: county)
        areas.withLock { a in
            if a.count > 200_000 { a.removeAll() }
            for (c, g) in fresh { if let k = key(c) { a[k] = g } }
        }
        let byID = Dictionary((known + fresh).map { ($0.0.id, $0.1) }, uniquingKeysWith: { a, _ in a })
        return cameras.compactMap { c in byID[c.id].map { (c, $0) } }
    }
}

/// The map collections the server offers, with exactly these ids. All but `cases` are held in
/// memory and rebuilt when the grid layer is published; `cases` change by the second and are read
/// from the database per request.
struct MapCatalog: Sendable {
    static let ids = ["boundaries", "grids", "cameras", "camera_views", "cases", "households"]

    static let casesInfo = CollectionInfo(
        id: "cases", title: "Disputes and camera alerts (矛盾纠纷)",
        description: "Cases at their reported place: category, channel, status, level, grid and deadlines. No names, phones, ID numbers or descriptions.",
        queryables: ["status", "grid_id", "category", "channel", "overdue"], temporal: true, coverage: false)

    /// The properties of a case feature (`Case.mapFeature`) with their types, for documents that
    /// list them (a test keeps the two in step).
    static let caseFields: [(name: String, type: FieldType)] = [
        ("case_id", .integer), ("category", .string), ("channel", .string), ("priority", .string), ("status", .string),
        ("level", .string), ("grid_id", .string), ("unit", .string), ("overdue", .boolean), ("unlocated", .boolean),
        ("group_dispute", .boolean), ("alert_type", .string), ("camera_id", .string), ("reported_at", .string),
        ("due_at", .string), ("closed_at", .string)]

    /// Distinguishes one build from the next (ETags, caches).
    let generation: Int
    let layerVersion: Int
    let memory: [String: MemoryCollection]
    /// Names of the county, towns and villages by code.
    let names: [String: String]

    func info(_ id: String) -> CollectionInfo? { id == "cases" ? Self.casesInfo : memory[id]?.info }

    /// A collection's properties and their types.
    func fields(_ id: String) -> [(name: String, type: FieldType)] { memory[id]?.fieldTypes ?? Self.caseFields }

    static func load(_ r: Reader, generation: Int) throws -> MapCatalog {
        let boundaries = try r.grids.boundaries()
        let names = Dictionary(boundaries.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let levelOrder: [Boundary.Level] = [.county, .town, .village]
        let b = boundaries.sorted { (levelOrder.firstIndex(of: $0.level)!, $0.code) < (levelOrder.firstIndex(of: $1.level)!, $1.code) }
            .map { x in
                MapFeature(id: x.code, geometry: x.area.count == 1 ? .polygon(x.area[0]) : .multiPolygon(x.area), properties: JSONObject([
                    ("code", .string(x.code)), ("name", .string(x.name)), ("level", .string(x.level.rawValue)),
                    ("parent_code", x.parentCode.map { .string($0) } ?? .null)]))
            }
        let grids = gridFeatures(try r.grids.grids(), names: names)
        let cameraList = try r.grids.cameras()
        func viewProperties(_ c: Camera) -> [(String, JSONValue)] {
            [("azimuth", c.view.map { .number($0.azimuth) } ?? .null), ("fov", c.view.map { .number($0.fov) } ?? .null),
             ("range_m", c.view.map { .number($0.rangeM) } ?? .null)]
        }
        let cameras = cameraList.map { c in
            MapFeature(id: c.id, geometry: .point(c.position), properties: JSONObject([
                ("camera_id", .string(c.id)), ("kind", .string(c.kind.rawValue)), ("name", .string(c.name)),
                ("grid_id", c.gridCode.map { .string($0) } ?? .null)] + viewProperties(c)
                + [("view_grid_id", c.viewGridCode.map { .string($0) } ?? .null)]))
        }
        let county = boundaries.first { $0.level == .county }?.area
        let views = try ViewAreaCache.shared.areas(cameraList, within: county).map { v in
            MapFeature(id: v.camera.id, geometry: v.area, properties: JSONObject([
                ("camera_id", .string(v.camera.id)), ("kind", .string(v.camera.kind.rawValue)),
                ("grid_id", v.camera.viewGridCode.map { .string($0) } ?? .null),
                ("pole_grid_id", v.camera.gridCode.map { .string($0) } ?? .null)] + viewProperties(v.camera)))
        }
        let households = try r.grids.households().map { h in
            MapFeature(id: String(h.id), geometry: .point(h.position), properties: JSONObject([
                ("household_id", .integer(h.id)), ("address", .string(h.address)), ("households", .integer(Int64(h.households))),
                ("population", .integer(Int64(h.population))), ("grid_id", h.gridCode.map { .string($0) } ?? .null)]), numericID: true)
        }
        let memory = [
            MemoryCollection(info: CollectionInfo(
                id: "boundaries", title: "County, towns and villages (行政区划)",
                description: "The county, its towns and its villages/communities, with 6-, 9- and 12-digit codes.",
                queryables: ["code", "level", "parent_code", "name"], temporal: false, coverage: true), features: b),
            MemoryCollection(info: CollectionInfo(
                id: "grids", title: "Grids (网格)",
                description: "The published grid layer: grid_id (15-digit code), households (with overrides), band against 300–500, village and town. datetime gives the layer in force then.",
                queryables: ["grid_id", "kind", "band", "village_code", "town_code"], temporal: true, coverage: true), features: grids),
            MemoryCollection(info: CollectionInfo(
                id: "cameras", title: "Cameras (天网/雪亮)", description: "Cameras of the county's networks by kind, with their pole's grid (grid_id), their view parameters (azimuth, fov, range_m) and the grid they look at (view_grid_id).",
                queryables: ["kind", "grid_id", "view_grid_id"], temporal: false, coverage: false), features: cameras),
            MemoryCollection(info: CollectionInfo(
                id: "camera_views", title: "Camera view areas (视域)",
                description: "What each camera with view parameters sees: the geodesic sector of its azimuth, fov and range_m, clipped to the county; grid_id is the grid holding most of it, where its alerts go.",
                queryables: ["camera_id", "kind", "grid_id"], temporal: false, coverage: false), features: views),
            MemoryCollection(info: CollectionInfo(
                id: "households", title: "Address points (门牌) with their households",
                description: "Address points with the households and people living there, and their grid.",
                queryables: ["grid_id"], temporal: false, coverage: false), features: households),
        ]
        return MapCatalog(generation: generation, layerVersion: try r.grids.currentVersion(),
                          memory: Dictionary(uniqueKeysWithValues: memory.map { ($0.info.id, $0) }), names: names)
    }

    static func gridFeatures(_ grids: [Grid], names: [String: String]) -> [MapFeature] {
        grids.map { g in MapFeature(id: g.code, geometry: .polygon(g.polygon), properties: GridView(g, names: names).properties) }
    }
}

extension Case {
    /// The case as a map feature: where and how it stands, nothing that names or describes a person.
    var mapFeature: MapFeature {
        MapFeature(id: String(id), geometry: .point(position), properties: JSONObject([
            ("case_id", .integer(id)), ("category", .string(category.rawValue)), ("channel", .string(channel.rawValue)),
            ("priority", .string(priority.rawValue)), ("status", .string(status.rawValue)), ("level", .string(level.rawValue)),
            ("grid_id", gridCode.map { .string($0) } ?? .null), ("unit", .string(unit)),
            ("overdue", .bool(overdue)), ("unlocated", .bool(unlocated)), ("group_dispute", .bool(groupDispute)),
            ("alert_type", alertType.map { .string($0) } ?? .null), ("camera_id", cameraID.map { .string($0) } ?? .null),
            ("reported_at", .string(ChinaTime.text(reportedAt))), ("due_at", dueAt.map { .string(ChinaTime.text($0)) } ?? .null),
            ("closed_at", closedAt.map { .string(ChinaTime.text($0)) } ?? .null)]), time: reportedAt, numericID: true)
    }
}
