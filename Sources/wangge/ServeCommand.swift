import ArgumentParser
import Cases
import Foundation
import Geo
import Grid
import Hummingbird
import Logging
import PostGISStore
import Server
import SpatiaLiteStore

/// `wangge serve`: the HTTP server.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve OGC API – Features, the dispatch and planning API, and the live feed.",
        discussion: "Stops gracefully on SIGTERM or SIGINT. Tokens: `wangge token create`.")
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String
    @Option(help: "Reads from here instead: a hot standby of a PostGIS --db (postgresql://…).") var readDb: String?
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one and prints it).") var port = 8080
    @Option(help: "Map collections anyone may read without a token, comma-separated (none by default).") var publicCollections = ""
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"
    @Option(help: "Vector tile cache directory (emptied at start); `none` keeps tiles in memory only.") var tileCache = "tiles"
    @Option(help: "Basemap tile URL template for /map, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png (none by default: a clean page that works offline).")
    var basemap: String?
    @Option(help: "Datum of the basemap's tiles: wgs84 (OpenStreetMap, Tianditu w) or gcj02 (Amap, Tencent).") var basemapDatum = "wgs84"
    @Option(help: "Attribution shown for the basemap.") var basemapAttribution = ""
    @Option(help: "Where Leaflet is, if not where Debian's libjs-leaflet puts it (/usr/share/javascript/leaflet).") var leafletDir: String?
    @Option(help: "Residents' reports (/report, no account) one address or phone number may send an hour.") var reportsPerHour = 5
    @Option(help: "… and a day.") var reportsPerDay = 20

    func run() async throws {
        var settings: ServerSettings
        do { settings = ServerSettings(backend: try backend(db)) } catch { throw fail("serve", error) }
        if let readDb {
            guard PostGISBackend.accepts(db) && PostGISBackend.accepts(readDb) else {
                throw fail("serve", "--read-db is a PostGIS standby (postgresql://…) of a PostGIS --db")
            }
            settings.readBackend = PostGISBackend(url: readDb)
        }
        settings.host = host
        settings.port = port
        settings.publicCollections = Set(publicCollections.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        for c in settings.publicCollections where !["boundaries", "grids", "microgrids", "cameras", "cases", "households"].contains(c) {
            throw fail("serve", "unknown collection \(c) in --public-collections")
        }
        guard let level = Logger.Level(rawValue: logLevel) else { throw fail("serve", "unknown log level \(logLevel)") }
        settings.logLevel = level
        settings.tileCacheDirectory = tileCache == "none" ? nil : tileCache
        if let leafletDir { settings.leafletDirectory = leafletDir }
        guard (1...1_000_000).contains(reportsPerHour), (1...1_000_000).contains(reportsPerDay) else {
            throw fail("serve", "--reports-per-hour and --reports-per-day are 1 to 1000000")
        }
        (settings.reportsPerHour, settings.reportsPerDay) = (reportsPerHour, reportsPerDay)
        if let basemap {
            guard let datum = Basemap.Datum(rawValue: basemapDatum) else {
                throw fail("serve", "unknown --basemap-datum \(basemapDatum); use wgs84 or gcj02")
            }
            guard basemap.hasPrefix("http://") || basemap.hasPrefix("https://") || basemap.hasPrefix("/"),
                  basemap.contains("{z}"), basemap.contains("{x}"), basemap.contains("{y}") else {
                throw fail("serve", "--basemap must be an http(s) URL template with {z}, {x} and {y}, not \(basemap)")
            }
            settings.basemap = Basemap(url: basemap, datum: datum, attribution: basemapAttribution)
        }
        let app: any ApplicationProtocol
        let (path, address) = (db, host)
        do {
            app = try await WanggeServer.application(settings) { port in
                printOut("wangge serving \(path) on http://\(address):\(port)/ (the map: http://\(address):\(port)/map)")
            }
        } catch { throw fail("serve", error) }
        try await app.runService()
    }
}

/// `wangge token …`: bearer tokens for the API.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "API tokens: create, list, revoke.",
                                                    subcommands: [TokenCreate.self, TokenList.self, TokenRevoke.self])
}

struct TokenCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create",
        abstract: "Create a token; it is printed once, alone on the last line, and stored only as a digest.")
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String
    @Option(help: "planner, dispatcher, worker, viewer, open311 (another system's api_key) or unit (a committee's or department's desk).") var role: String
    @Option(help: "Who holds it.") var name: String
    @Option(help: "For a worker token: the worker's id (they see their own grids' cases).") var worker: Int64?
    @Option(help: "A county, town or village code: the token reads and writes only there (a town or village centre's desk). None: the whole database.") var area: String?
    @Option(help: "For a unit token: the committee's or department's code, e.g. committee:511725:labour (wangge units list).") var unit: String?

    func run() throws {
        try reporting("token create") {
            guard let r = Role(rawValue: role) else {
                throw ValidationError("unknown role \(role); one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let (id, token) = try Tokens.create(in: try connect(db), name: name, role: r, workerID: worker, area: area, unit: unit)
            printOut("token \(id) for \(name) (\(r.rawValue)\(area.map { ", area \($0)" } ?? "")\(unit.map { " \($0)" } ?? "")); keep it, it is not shown again:")
            printOut(token)
        }
    }
}

struct TokenList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).")
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String

    func run() throws {
        try reporting("token list") {
            for t in try connect(db).tokens.list() {
                printOut("\(t.id)\t\(t.role.rawValue)\t\(t.name)\(t.workerID.map { "\tworker \($0)" } ?? "")\(t.area.map { "\tarea \($0)" } ?? "")\(t.unit.map { "\tunit \($0)" } ?? "")\tcreated \(t.createdAt)\(t.revokedAt.map { "\trevoked \($0)" } ?? "")")
            }
        }
    }
}

struct TokenRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id (a running server stops accepting it as soon as its change feed sees it).")
    @Option(help: "Database: a SpatiaLite file path, or postgresql://user@host:port/name (PostGIS).") var db: String
    @Argument(help: "Token id (from `wangge token list`).") var id: Int64

    func run() throws {
        try reporting("token revoke") {
            guard try connect(db).tokens.revoke(id: id) else { throw ValidationError("no live token \(id)") }
            printOut("revoked token \(id)")
        }
    }
}
