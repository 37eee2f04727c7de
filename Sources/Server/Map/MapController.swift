import Foundation
import Geo
import HTTPTypes
import Hummingbird

/// A basemap under the `/map` page: a tile URL template (`{z}`, `{x}`, `{y}`, optionally `{s}`) and
/// the datum of its tiles. Chinese basemaps (Amap, Tencent) are drawn in GCJ-02: the page then asks
/// the server for every layer in GCJ-02, so that the data lines up with the streets.
public struct Basemap: Sendable {
    public enum Datum: String, Sendable, CaseIterable { case wgs84, gcj02 }
    public var url: String
    public var datum: Datum
    public var attribution: String
    public var maxZoom: Int

    public init(url: String, datum: Datum, attribution: String = "", maxZoom: Int = 18) {
        self.url = url; self.datum = datum; self.attribution = attribution; self.maxZoom = maxZoom
    }
}

/// The one-screen map (一屏观城乡): the page and its script and styles (kept with the server's
/// resources), its settings, and Leaflet as Debian's `libjs-leaflet` installs it.
struct MapController {
    let state: ServerState
    /// The page's own files, read once.
    private let assets: [String: CachedBody]

    /// Leaflet's and the marker-cluster plugin's files that the page uses (nothing else of the
    /// directory is served).
    static let vendorFiles: [String: String] = [
        "leaflet.min.js": "text/javascript; charset=utf-8", "leaflet.css": "text/css; charset=utf-8",
        "leaflet.markercluster.min.js": "text/javascript; charset=utf-8",
        "MarkerCluster.css": "text/css; charset=utf-8", "MarkerCluster.Default.css": "text/css; charset=utf-8",
        "images/layers.png": "image/png", "images/layers-2x.png": "image/png",
        "images/marker-icon.png": "image/png", "images/marker-icon-2x.png": "image/png", "images/marker-shadow.png": "image/png",
    ]
    private let vendor: [String: CachedBody]

    init(state: ServerState) throws {
        self.state = state
        var assets: [String: CachedBody] = [:]
        for (name, type) in [("map.html", "text/html; charset=utf-8"), ("map.js", "text/javascript; charset=utf-8"),
                             ("map.css", "text/css; charset=utf-8"), ("items.js", "text/javascript; charset=utf-8"),
                             ("pages.css", "text/css; charset=utf-8"), ("m.html", "text/html; charset=utf-8"),
                             ("m.js", "text/javascript; charset=utf-8"), ("m.css", "text/css; charset=utf-8"),
                             ("m-sw.js", "text/javascript; charset=utf-8"), ("report.html", "text/html; charset=utf-8"),
                             ("report.js", "text/javascript; charset=utf-8"), ("report.css", "text/css; charset=utf-8"),
                             ("plan-editor.js", "text/javascript; charset=utf-8")] {
            guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Assets"),
                  let data = FileManager.default.contents(atPath: url.path) else {
                throw ServerSetupError("the map page's file \(name) is missing from the server's resources")
            }
            assets[name] = CachedBody([UInt8](data), contentType: type)
        }
        self.assets = assets
        var vendor: [String: CachedBody] = [:]
        for (name, type) in Self.vendorFiles {
            if let data = FileManager.default.contents(atPath: state.settings.leafletDirectory + "/" + name) {
                vendor[name] = CachedBody([UInt8](data), contentType: type)
            }
        }
        self.vendor = vendor
    }

    var leafletMissing: Bool { vendor["leaflet.min.js"] == nil }

    func register(on router: Router<WanggeContext>) {
        router.get("/map") { request, _ in page("map.html", request) }
        // The grid worker's phone (网格通).
        router.get("/m") { request, _ in page("m.html", request) }
        router.get("/report") { request, _ in page("report.html", request) }
        router.get("/report/report.js") { request, _ in assets["report.js"]!.response(to: request) }
        router.get("/report/report.css") { request, _ in assets["report.css"]!.response(to: request) }
        router.get("/m/m.js") { request, _ in assets["m.js"]!.response(to: request) }
        router.get("/m/m.css") { request, _ in assets["m.css"]!.response(to: request) }
        // At the root, so that its scope can be `/m` itself; always checked for a newer one.
        router.get("/m-sw.js") { request, _ in
            var r = assets["m-sw.js"]!.response(to: request)
            r.headers[.cacheControl] = "no-cache"
            return r
        }
        router.get("/map/map.js") { request, _ in assets["map.js"]!.response(to: request) }
        router.get("/map/plan-editor.js") { request, _ in assets["plan-editor.js"]!.response(to: request) }
        router.get("/map/map.css") { request, _ in assets["map.css"]!.response(to: request) }
        // The OGC API pages' script and styles (`HTMLPage`).
        router.get("/map/items.js") { request, _ in assets["items.js"]!.response(to: request) }
        router.get("/map/pages.css") { request, _ in assets["pages.css"]!.response(to: request) }
        router.get("/map/config.json") { _, _ in JSONResponse.make(config) }
        router.get("/vendor/leaflet/{file}") { request, context in try vendorFile(try context.parameters.require("file"), request) }
        router.get("/vendor/leaflet/images/{file}") { request, context in
            try vendorFile("images/" + (try context.parameters.require("file")), request)
        }
    }

    /// A page: only our own scripts and styles; basemap tiles may come from elsewhere; never in a frame.
    private func page(_ name: String, _ request: Request) -> Response {
        var r = assets[name]!.response(to: request)
        r.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data: blob: http: https:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        r.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        r.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return r
    }

    private func vendorFile(_ name: String, _ request: Request) throws -> Response {
        guard let body = vendor[name] else {
            throw Problem.notFound(Self.vendorFiles[name] == nil
                ? "no file \(name) here"
                : "\(name) is not installed: install Debian's libjs-leaflet and libjs-leaflet.markercluster (scripts/setup.sh does)")
        }
        return body.response(to: request)
    }

    /// What the page needs to know before it draws: the basemap (or none), the CRS to ask layers in,
    /// the county's extent and the household band of a grid.
    private var config: JSONValue {
        let catalog = state.catalog
        let basemap = state.settings.basemap
        let crs: CRS = basemap?.datum == .gcj02 ? .gcj02 : .crs84
        let counties = (catalog.memory["boundaries"]?.features ?? []).filter { $0.properties["level"]?.stringValue == "county" }
            .compactMap { $0.properties["name"]?.stringValue }
        // A prefecture's database: "渠县等7县".
        let county = counties.count > 1 ? "\(counties[0])等\(counties.count)县" : counties.first
        var o = JSONObject([
            ("basemap", basemap.map { b in .object(JSONObject([("url", .string(b.url)), ("datum", .string(b.datum.rawValue)),
                                                               ("attribution", .string(b.attribution)), ("max_zoom", .integer(Int64(b.maxZoom)))])) } ?? .null),
            ("crs", .string(crs.uri)),
            ("county", county.map { .string($0) } ?? .null),
            ("household_band", .array([.integer(300), .integer(500)])),
        ])
        if let e = catalog.memory["boundaries"]?.extent {
            // The page fits this box; in GCJ-02 it is shifted like everything else it draws.
            let corners = [Position(e.minLon, e.minLat), Position(e.maxLon, e.maxLat)].map { p in
                crs == .gcj02 ? ((try? ChinaOffset.wgs84ToGCJ02(p)) ?? p) : p
            }
            o["bounds"] = .array(corners.map { .array([.number($0.lon), .number($0.lat)]) })
        }
        return .object(o)
    }
}

struct ServerSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
