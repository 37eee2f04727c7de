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
            if a.count > 50_000 { a.removeAll() }   // bounded: views are made again when asked
            for (c, g) in fresh { if let k = key(c) { a[k] = g } }
        }
        let byID = Dictionary((known + fresh).map { ($0.0.id, $0.1) }, uniquingKeysWith: { a, _ in a })
        return cameras.compactMap { c in byID[c.id].map { (c, $0) } }
    }
}

/// The map collections the server offers, with exactly these ids. Boundaries and grids are held in
/// memory (a few hundred polygons a county, which the locator and the shared-edge simplification
/// need whole) and rebuilt when the grid layer is published; `cases` (changing by the second),
/// `households` (46,000 address points a county), `cameras` and `camera_views` (8,800 a county) are
/// read from the database per request, so that a province's server does not hold them.
struct MapCatalog: Sendable {
    static let ids = ["boundaries", "grids", "microgrids", "cameras", "camera_views", "cases", "households"]

    static let casesInfo = CollectionInfo(
        id: "cases", title: "Disputes and camera alerts (矛盾纠纷)",
        description: "Cases at their reported place: category, channel, status, level, grid and deadlines. No names, phones, ID numbers or descriptions.",
        queryables: ["status", "grid_id", "category", "channel", "overdue", "county"], temporal: true, coverage: false)

    static let householdsInfo = CollectionInfo(
        id: "households", title: "Address points (门牌) with their households",
        description: "Address points with the households and people living there, their grid and county.",
        queryables: ["grid_id", "county"], temporal: false, coverage: false)

    static let householdFields: [(name: String, type: FieldType)] = [
        ("household_id", .integer), ("address", .string), ("households", .integer), ("population", .integer),
        ("grid_id", .string), ("county", .string)]

    static let camerasInfo = CollectionInfo(
        id: "cameras", title: "Cameras (天网/雪亮)", description: "Cameras of the county's networks by kind, with their pole's grid (grid_id), their view parameters (azimuth, fov, range_m) and the grid they look at (view_grid_id).",
        queryables: ["kind", "grid_id", "view_grid_id", "county"], temporal: false, coverage: false)

    static let cameraFields: [(name: String, type: FieldType)] = [
        ("camera_id", .string), ("kind", .string), ("name", .string), ("grid_id", .string), ("azimuth", .number), ("fov", .number),
        ("range_m", .number), ("view_grid_id", .string), ("county", .string)]

    static let viewsInfo = CollectionInfo(
        id: "camera_views", title: "Camera view areas (视域)",
        description: "What each camera with view parameters sees: the geodesic sector of its azimuth, fov and range_m, clipped to its county; grid_id is the grid holding most of it, where its alerts go.",
        queryables: ["camera_id", "kind", "grid_id", "county"], temporal: false, coverage: false)

    static let viewFields: [(name: String, type: FieldType)] = [
        ("camera_id", .string), ("kind", .string), ("grid_id", .string), ("pole_grid_id", .string), ("azimuth", .number),
        ("fov", .number), ("range_m", .number), ("county", .string)]

    /// Collections read from the database per request, by id.
    static let stored = ["cases": casesInfo, "households": householdsInfo, "cameras": camerasInfo, "camera_views": viewsInfo]
    static let storedFields = ["cases": caseFields, "households": householdFields, "cameras": cameraFields, "camera_views": viewFields]

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
    /// Each county's area, to which camera views are clipped.
    let countyAreas: [String: [Polygon]]

    func info(_ id: String) -> CollectionInfo? { Self.stored[id] ?? memory[id]?.info }

    /// A collection's properties and their types.
    func fields(_ id: String) -> [(name: String, type: FieldType)] {
        memory[id]?.fieldTypes ?? Self.storedFields[id] ?? []
    }

    /// What a CQL2 filter may name in a collection, typed: every property (times, `…_at`, as
    /// timestamps) and `geometry`.
    func filterTypes(_ id: String) -> [String: FilterType] {
        var types: [String: FilterType] = ["geometry": .geometry]
        for (name, type) in fields(id) {
            let t: FilterType = switch type {
            case .string: name.hasSuffix("_at") ? .timestamp : .string
            case .number, .integer: .number
            case .boolean: .boolean
            }
            types[name] = t
        }
        return types
    }

    static func load(_ r: Reader, generation: Int) throws -> MapCatalog {
        let boundaries = try r.grids.boundaries()
        let names = Dictionary(boundaries.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        let levelOrder: [Boundary.Level] = [.county, .town, .village]
        let b = boundaries.sorted { (levelOrder.firstIndex(of: $0.level)!, $0.code) < (levelOrder.firstIndex(of: $1.level)!, $1.code) }
            .map { x in
                MapFeature(id: x.code, geometry: x.area.count == 1 ? .polygon(x.area[0]) : .multiPolygon(x.area), properties: JSONObject([
                    ("code", .string(x.code)), ("name", .string(x.name)), ("level", .string(x.level.rawValue)),
                    ("parent_code", x.parentCode.map { .string($0) } ?? .null), ("county", .string(String(x.code.prefix(6))))]))
            }
        let grids = gridFeatures(try r.grids.grids(), names: names)
        let countyAreas = Dictionary(boundaries.filter { $0.level == .county }.map { ($0.code, $0.area) }, uniquingKeysWith: { a, _ in a })
        let memory = [
            MemoryCollection(info: CollectionInfo(
                id: "boundaries", title: "County, towns and villages (行政区划)",
                description: "The county, its towns and its villages/communities, with 6-, 9- and 12-digit codes.",
                queryables: ["code", "level", "parent_code", "name", "county"], temporal: false, coverage: true), features: b),
            MemoryCollection(info: CollectionInfo(
                id: "grids", title: "Grids (网格)",
                description: "The published grid layer: grid_id (15-digit code), households (with overrides), band against 300–500, village and town. datetime gives the layer in force then.",
                queryables: ["grid_id", "kind", "band", "village_code", "town_code", "county"], temporal: true, coverage: true), features: grids),
            MemoryCollection(info: CollectionInfo(
                id: "microgrids", title: "Micro-grids (微网格)",
                description: "A building or a few neighbouring households inside a grid: microgrid_id (the grid's code and three digits), its grid, households, and whether it has a leader (微网格长; who, only to dispatch).",
                queryables: ["microgrid_id", "grid_id", "village_code", "town_code", "county"], temporal: false, coverage: true),
                features: microgridFeatures(try r.grids.microgrids())),
        ]
        return MapCatalog(generation: generation, layerVersion: try r.grids.currentVersion(),
                          memory: Dictionary(uniqueKeysWithValues: memory.map { ($0.info.id, $0) }), names: names, countyAreas: countyAreas)
    }

    static func gridFeatures(_ grids: [Grid], names: [String: String]) -> [MapFeature] {
        grids.map { g in
            var p = GridView(g, names: names).properties
            p["county"] = .string(String(g.code.prefix(6)))
            return MapFeature(id: g.code, geometry: .polygon(g.polygon), properties: p)
        }
    }

    /// Micro-grids as map features: no leader's name or phone (viewers read this collection).
    static func microgridFeatures(_ microgrids: [MicroGrid]) -> [MapFeature] {
        microgrids.map { m in
            MapFeature(id: m.code, geometry: .polygon(m.polygon), properties: JSONObject([
                ("microgrid_id", .string(m.code)), ("name", .string(m.name)), ("grid_id", .string(m.gridCode)),
                ("households", .integer(Int64(m.households))), ("has_leader", .bool(m.leaderID != nil)),
                ("village_code", .string(String(m.code.prefix(12)))), ("town_code", .string(String(m.code.prefix(9)))),
                ("county", .string(String(m.code.prefix(6))))]))
        }
    }

    private static func viewProperties(_ c: Camera) -> [(String, JSONValue)] {
        [("azimuth", c.view.map { .number($0.azimuth) } ?? .null), ("fov", c.view.map { .number($0.fov) } ?? .null),
         ("range_m", c.view.map { .number($0.rangeM) } ?? .null)]
    }

    /// A camera as a map feature, at its pole.
    static func cameraFeature(_ c: Camera, county: String?) -> MapFeature {
        MapFeature(id: c.id, geometry: .point(c.position), properties: JSONObject([
            ("camera_id", .string(c.id)), ("kind", .string(c.kind.rawValue)), ("name", .string(c.name)),
            ("grid_id", c.gridCode.map { .string($0) } ?? .null)] + viewProperties(c)
            + [("view_grid_id", c.viewGridCode.map { .string($0) } ?? .null), ("county", county.map { .string($0) } ?? .null)]))
    }

    /// What a camera sees as a map feature; `grid_id` is the grid it looks into.
    static func viewFeature(_ c: Camera, area: Geometry, county: String?) -> MapFeature {
        MapFeature(id: c.id, geometry: area, properties: JSONObject([
            ("camera_id", .string(c.id)), ("kind", .string(c.kind.rawValue)),
            ("grid_id", c.viewGridCode.map { .string($0) } ?? .null),
            ("pole_grid_id", c.gridCode.map { .string($0) } ?? .null)] + viewProperties(c) + [("county", county.map { .string($0) } ?? .null)]))
    }

    /// An address point as a map feature.
    static func householdFeature(_ h: Household, county: String?) -> MapFeature {
        MapFeature(id: String(h.id), geometry: .point(h.position), properties: JSONObject([
            ("household_id", .integer(h.id)), ("address", .string(h.address)), ("households", .integer(Int64(h.households))),
            ("population", .integer(Int64(h.population))), ("grid_id", h.gridCode.map { .string($0) } ?? .null),
            ("county", county.map { .string($0) } ?? .null)]), numericID: true)
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
