import Foundation
import Geo
import Grid

/// The point layers read from the database per request, never held whole: address points (46,000
/// a county), cameras (8,800 a county) and the cameras' view areas, made from their view parameters
/// as they are asked for (and kept a while by `ViewAreaCache`). A prefecture's or a province's
/// server holds none of them.
struct StoredPoints: Sendable {
    let readers: ReaderPool
    let catalog: MapCatalog

    static let ids: Set<String> = ["households", "cameras", "camera_views"]
    /// The farthest a camera sees (the table's check on `range_m`): a box query for view areas
    /// reads the cameras this far around it.
    static let maxRangeM = 2000.0

    /// A page of a layer's features meeting `q` (its bbox tested on the features' own geometry).
    /// Everything, views included, is made on a reader's thread: never on Swift's few cooperative
    /// threads, which every request of the server shares.
    func page(_ id: String, _ q: ItemsQuery, types: [String: FilterType]) async throws -> FeaturePage {
        var pq = try Self.query(id, q.filters)
        pq.area = q.area
        pq.limit = q.limit
        pq.offset = q.offset
        // Every match lies in the filter's box, where it has one: the spatial index reads only those.
        let box = q.filter?.requiredBox.map { b in q.bbox.map { $0.intersection(b) } ?? b } ?? q.bbox
        let (offset, limit, filter) = (q.offset, q.limit, q.filter)
        if id != "camera_views" { pq.bbox = box; pq.filter = filter }
        let query = pq
        return try await readers.read { r in
            switch id {
            case "households":
                let page = try r.grids.households(query)
                return FeaturePage(features: page.rows.map { MapCatalog.householdFeature($0.household, county: $0.county) }, matched: page.matched)
            case "cameras":
                let page = try r.grids.cameras(query)
                return FeaturePage(features: page.rows.map { MapCatalog.cameraFeature($0.camera, county: $0.county) }, matched: page.matched)
            default:
                guard box != nil || filter != nil else {
                    let page = try r.grids.cameras(query)
                    return FeaturePage(features: try views(page.rows), matched: page.matched)
                }
                // Views reach past their poles: the cameras around the box, each view tested on the
                // box; a filter is on the views (their area, their grid), so it is tested on them.
                var meeting = try box.map { try views(meeting: $0, query, r) } ?? views(everything: query, r)
                if let filter {
                    let e = try FilterEvaluator(filter, types: types)
                    meeting = meeting.filter { e.matches($0.properties, geometry: $0.geometry, bbox: $0.bbox) }
                }
                let start = min(offset, meeting.count), end = min(start + limit, meeting.count)
                return FeaturePage(features: Array(meeting[start..<end]), matched: meeting.count)
            }
        }
    }

    /// One feature by id (within an area, when given), or nil.
    func feature(_ id: String, _ fid: String, within area: Area?) async throws -> MapFeature? {
        var q = PointQuery(limit: 1, count: false)
        q.id = fid
        q.area = area
        q.withView = id == "camera_views"
        let query = q
        return try await readers.read { r -> MapFeature? in
            switch id {
            case "households": return try r.grids.households(query).rows.first.map { MapCatalog.householdFeature($0.household, county: $0.county) }
            case "cameras": return try r.grids.cameras(query).rows.first.map { MapCatalog.cameraFeature($0.camera, county: $0.county) }
            default: return try views(r.grids.cameras(query).rows).first
            }
        }
    }

    /// Every feature of a layer that meets a tile's area (and is in `within`, when given).
    func features(_ id: String, meeting area: BoundingBox, within: Area?) async throws -> [MapFeature] {
        var q = PointQuery(limit: 1_000_000, count: false)
        q.area = within
        q.withView = id == "camera_views"
        if id != "camera_views" { q.bbox = area }
        let query = q
        return try await readers.read { r in
            switch id {
            case "households": return try r.grids.households(query).rows.map { MapCatalog.householdFeature($0.household, county: $0.county) }
            case "cameras": return try r.grids.cameras(query).rows.map { MapCatalog.cameraFeature($0.camera, county: $0.county) }
            default: return try views(meeting: area, query, r)
            }
        }
    }

    /// The view areas of the cameras within reach of a box that meet it, by camera id.
    private func views(meeting box: BoundingBox, _ q: PointQuery, _ r: Reader) throws -> [MapFeature] {
        var q = q
        let dLat = Self.maxRangeM / 111_000, dLon = dLat / max(cos(max(abs(box.minLat), abs(box.maxLat)) * .pi / 180), 0.01)
        q.bbox = BoundingBox(minLon: box.minLon - dLon, minLat: box.minLat - dLat, maxLon: box.maxLon + dLon, maxLat: box.maxLat + dLat)
        q.limit = 1_000_000
        q.offset = 0
        q.count = false
        return try views(r.grids.cameras(q).rows).filter { $0.intersects(box) }
    }

    /// Every view area the query's cameras have.
    private func views(everything q: PointQuery, _ r: Reader) throws -> [MapFeature] {
        var q = q
        (q.limit, q.offset, q.count) = (1_000_000, 0, false)
        return try views(r.grids.cameras(q).rows)
    }

    /// View-area features of cameras, each clipped to its own county.
    private func views(_ rows: [(camera: Camera, county: String?)]) throws -> [MapFeature] {
        let byCounty = Dictionary(grouping: rows) { $0.county ?? "" }
        var out: [MapFeature] = []
        for code in byCounty.keys.sorted() {
            let group = byCounty[code]!
            for v in try ViewAreaCache.shared.areas(group.map(\.camera), within: catalog.countyAreas[code]) {
                out.append(MapCatalog.viewFeature(v.camera, area: v.area, county: code.isEmpty ? nil : code))
            }
        }
        return out.sorted { $0.id < $1.id }
    }

    /// The store query for a layer's `property=value` filters.
    private static func query(_ id: String, _ filters: [(String, String)]) throws -> PointQuery {
        var q = PointQuery()
        q.withView = id == "camera_views"
        for (key, value) in filters {
            switch (id, key) {
            case (_, "county"): q.county = value
            case ("camera_views", "grid_id"), ("cameras", "view_grid_id"): q.viewGridCode = value
            case ("camera_views", "pole_grid_id"), (_, "grid_id"): q.gridCode = value
            case ("camera_views", "camera_id"): q.id = value
            case (_, "kind"): q.kind = value
            default: break
            }
        }
        return q
    }
}
