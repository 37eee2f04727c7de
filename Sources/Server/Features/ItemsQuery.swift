import Foundation
import Geo
import Grid

/// The query of `/collections/{id}/items` (OGC API – Features Part 1 and Part 2), checked: every
/// parameter is known, every value in range, else a 400 naming it.
struct ItemsQuery: Sendable, Hashable {
    static let defaultLimit = 100
    static let maxLimit = 10_000
    /// Paging further than this is refused (400), so that no sum of offset and limit can overflow.
    static let maxOffset = 1_000_000_000
    /// Output CRSs (Part 2), CRS84 first: the default and storage CRS.
    static let crsList: [CRS] = [.crs84, .epsg(4326), .epsg(4490), .epsg(3857), .gcj02]

    var limit = defaultLimit
    var offset = 0
    /// In WGS84 lon/lat, whatever `bbox-crs` it came in.
    var bbox: BoundingBox?
    var crs: CRS = .crs84
    var datetime: ClosedRange<Date>?
    var zoom: Int?
    /// `property=value` filters on the collection's queryables, in the order given.
    var filters: [(String, String)] = []
    /// The CQL2 `filter` (Part 3), checked against the queryables, its geometries in CRS84.
    var filter: Filter?
    /// Set by the server, never by the client: the caller's area (features outside are not there).
    var area: Area?

    static func == (a: ItemsQuery, b: ItemsQuery) -> Bool {
        a.limit == b.limit && a.offset == b.offset && a.bbox == b.bbox && a.crs == b.crs && a.datetime == b.datetime
            && a.zoom == b.zoom && a.filters.elementsEqual(b.filters, by: ==) && a.filter == b.filter && a.area == b.area
    }
    func hash(into h: inout Hasher) {
        h.combine(limit); h.combine(offset); h.combine(bbox); h.combine(crs); h.combine(datetime); h.combine(zoom)
        for (k, v) in filters { h.combine(k); h.combine(v) }
        h.combine(filter)
        h.combine(area)
    }

    /// Parses the query string's pairs for a collection with these `property=value` parameters
    /// and these CQL2 queryables.
    init(_ pairs: [(String, String)], queryables: [String], filterTypes: [String: FilterType] = [:], temporal: Bool) throws(Problem) {
        var bboxText: String?
        var bboxCRS: CRS = .crs84
        var filterText: String?, filterLang = "cql2-text", filterCRS: CRS = .crs84
        for (key, value) in pairs {
            switch key {
            case "limit":
                guard let n = Int(value), n >= 1 else { throw .badRequest("limit must be a whole number from 1 to \(Self.maxLimit), not \(value)", type: "bad-parameter") }
                limit = min(n, Self.maxLimit)
            case "offset":
                guard let n = Int(value), n >= 0, n <= Self.maxOffset else {
                    throw .badRequest("offset must be a whole number from 0 to \(Self.maxOffset), not \(value)", type: "bad-parameter")
                }
                offset = n
            case "bbox": bboxText = value
            case "filter": filterText = value
            case "filter-lang":
                guard ["cql2-text", "cql2-json"].contains(value) else {
                    throw .badRequest("filter-lang must be cql2-text or cql2-json, not \(value)", type: "bad-filter")
                }
                filterLang = value
            case "filter-crs": filterCRS = try Self.crs(value, parameter: "filter-crs")
            case "bbox-crs": bboxCRS = try Self.crs(value, parameter: "bbox-crs")
            case "crs": crs = try Self.crs(value, parameter: "crs")
            case "datetime":
                guard temporal else { throw .badRequest("datetime does not apply to this collection (its features have no time)", type: "bad-parameter") }
                datetime = try Self.interval(value)
            case "zoom":
                guard let z = Int(value), (0...22).contains(z) else { throw .badRequest("zoom must be a whole number from 0 to 22, not \(value)", type: "bad-parameter") }
                zoom = z
            case "f":
                guard ["json", "geojson", "html"].contains(value.lowercased()) else { throw .badRequest("f must be json, geojson or html, not \(value)", type: "bad-parameter") }
            default:
                guard queryables.contains(key) else {
                    let known = ["limit", "offset", "bbox", "bbox-crs", "crs", "zoom", "f", "filter", "filter-lang", "filter-crs"]
                        + (temporal ? ["datetime"] : []) + queryables
                    throw .badRequest("unknown parameter \(key); this collection takes \(known.joined(separator: ", "))", type: "bad-parameter")
                }
                filters.append((key, value))
            }
        }
        if let bboxText { bbox = try Self.box(bboxText, crs: bboxCRS) }
        else if pairs.contains(where: { $0.0 == "bbox-crs" }) { throw .badRequest("bbox-crs needs a bbox", type: "bad-parameter") }
        if let filterText { filter = try Self.filter(filterText, lang: filterLang, crs: filterCRS, types: filterTypes) }
        else if pairs.contains(where: { $0.0 == "filter-lang" || $0.0 == "filter-crs" }) {
            throw .badRequest("filter-lang and filter-crs need a filter", type: "bad-filter")
        }
    }

    /// A CQL2 filter parsed, checked against the collection's queryables and its geometries
    /// brought to CRS84 and checked as GEOS would test them; every fault a 400 saying what.
    static func filter(_ text: String, lang: String, crs: CRS, types: [String: FilterType]) throws(Problem) -> Filter {
        do throws(FilterError) {
            var f = lang == "cql2-json" ? try CQL2JSON.parse(text) : try CQL2Text.parse(text)
            try f.check(types)
            if crs != .crs84 {
                let convert: CoordinateConverter
                do { convert = try CoordinateConverter(from: crs.storageEquivalent, to: .crs84) } catch { throw FilterError("filter-crs \(crs.uri): \(error)") }
                do {
                    f = try f.mapGeometries { g in
                        try g.mapPositions { p in
                            if crs == .epsg(3857), abs(p.lon) > 20_037_508.342_789_244 || abs(p.lat) > 20_037_508.342_789_244 {
                                throw FilterError("\(p.lon) \(p.lat) is outside Web Mercator's ±20,037,508.34 m")
                            }
                            return try convert.convert(crs.isLatLonOrder ? Position(p.lat, p.lon) : p)
                        }
                    }
                } catch { throw FilterError("a geometry of the filter is outside \(crs.uri): \(error)") }
            }
            try FilterEvaluator.validate(f)
            return f
        } catch {
            throw .badRequest("filter: \(error.reason)", type: "bad-filter")
        }
    }

    static func crs(_ text: String, parameter: String) throws(Problem) -> CRS {
        guard let c = CRS(text), crsList.contains(c) else {
            throw .badRequest("\(parameter) \(text) is not supported; use one of \(crsList.map(\.uri).joined(separator: ", "))", type: "bad-crs")
        }
        return c
    }

    /// A bbox of 4 numbers (or 6, with heights, which are ignored) in `crs` axis order, as WGS84.
    static func box(_ text: String, crs: CRS) throws(Problem) -> BoundingBox {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4 || parts.count == 6, parts.allSatisfy({ $0 != nil && $0!.isFinite }) else {
            throw .badRequest("bbox must be 4 numbers (min x, min y, max x, max y), not \(text)", type: "bad-bbox")
        }
        let v = parts.map { $0! }
        let half = v.count / 2
        var (x0, y0, x1, y1) = (v[0], v[1], v[half], v[half + 1])
        if crs.isLatLonOrder { (x0, y0, x1, y1) = (y0, x0, y1, x1) }
        guard x0 <= x1, y0 <= y1 else { throw .badRequest("bbox corners are in the wrong order: \(text) (lower-left first)", type: "bad-bbox") }
        // PROJ wraps longitudes: a Web Mercator box of ±1e20 m would become a world-wide one.
        if crs == .epsg(3857), [x0, y0, x1, y1].contains(where: { abs($0) > 20_037_508.342_789_244 }) {
            throw .badRequest("bbox \(text) is outside Web Mercator's ±20,037,508.34 m", type: "bad-bbox")
        }
        let corners: [Position]
        do {
            let convert = try CoordinateConverter(from: crs.storageEquivalent, to: .crs84)
            corners = try [Position(x0, y0), Position(x1, y0), Position(x0, y1), Position(x1, y1)].map { try convert.convert($0) }
        } catch { throw .badRequest("bbox \(text) is outside \(crs): \(error)", type: "bad-bbox") }
        var b = BoundingBox(minLon: corners[0].lon, minLat: corners[0].lat, maxLon: corners[0].lon, maxLat: corners[0].lat)
        for c in corners { b.extend(c) }
        guard b.minLon >= -180, b.maxLon <= 180, b.minLat >= -90, b.maxLat <= 90 else {
            throw .badRequest("bbox \(text) is outside the world's longitudes and latitudes", type: "bad-bbox")
        }
        return b
    }

    /// RFC 3339 instant or interval (`a/b`, `../b`, `a/..`).
    static func interval(_ text: String) throws(Problem) -> ClosedRange<Date> {
        func instant(_ s: Substring) throws(Problem) -> Date? {
            if s == ".." || s.isEmpty { return nil }
            if let d = Parameters.time(String(s)) { return d }
            throw .badRequest("datetime \(text) is not an RFC 3339 instant or interval", type: "bad-parameter")
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw .badRequest("datetime \(text) is not an RFC 3339 instant or interval", type: "bad-parameter") }
        let a = try instant(parts[0]) ?? .distantPast
        let b = parts.count == 2 ? (try instant(parts[1]) ?? .distantFuture) : a
        guard parts.count == 2 || parts[0] != ".." else { throw .badRequest("datetime .. needs an interval", type: "bad-parameter") }
        guard a <= b else { throw .badRequest("datetime \(text) ends before it starts", type: "bad-parameter") }
        return a...b
    }
}

extension CRS {
    /// EPSG:4326 and EPSG:4490 are latitude first in OGC API – Features Part 2; CRS84 and the
    /// projected and Chinese-offset ones are x (east) first.
    var isLatLonOrder: Bool { self == .epsg(4326) || self == .epsg(4490) }
    /// The same CRS with x/y order, which is how `CoordinateConverter` works.
    var storageEquivalent: CRS { isLatLonOrder ? .crs84 : self }
}
