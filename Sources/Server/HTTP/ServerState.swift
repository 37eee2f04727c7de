import Cases
import Foundation
import Geo
import Grid
import Logging
import Synchronization

/// How the server is run.
public struct ServerSettings: Sendable {
    public var databasePath: String
    public var host = "127.0.0.1"
    public var port = 8080
    /// Map collections anyone may read without a token (a setting, none by default).
    public var publicCollections: Set<String> = []
    /// Read connections (the writer is one more).
    public var readers = 2
    public var logLevel: Logger.Level = .info
    /// Where vector tiles are cached on disk (emptied at start); nil keeps them in memory only.
    public var tileCacheDirectory: String?
    /// The `/map` page's basemap; none (a clean page that works offline) by default.
    public var basemap: Basemap?
    /// Where Debian's `libjs-leaflet` and `libjs-leaflet.markercluster` put their files.
    public var leafletDirectory = "/usr/share/javascript/leaflet"

    public init(databasePath: String) { self.databasePath = databasePath }
}

/// Everything the handlers share: the one writer, the readers, the map catalog and its response
/// cache, and the live feed. Built once at start.
final class ServerState: Sendable {
    let settings: ServerSettings
    let desk: CaseDesk
    let readers: ReaderPool
    let feed: CaseFeed
    let responses = ResponseCache()
    let unitNames: UnitNames
    let tiles: TileCache
    /// Changes to cases made by other processes (the CLI), seen by a poll of the event table.
    private let externalCaseChanges = Atomic<Int>(0)
    private let catalogBox: Mutex<MapCatalog>
    private let checkpointer: Checkpointer

    init(settings: ServerSettings, logger: Logger) async throws {
        self.settings = settings
        // Migrations (auth included) run once, on the writer's connection, before anything reads.
        let store = try SpatiaLiteGridStore.open(path: settings.databasePath)
        _ = try TokenStore(database: store.database)
        // The checkpointer copies the log beside the writer; the writer's own checkpoint (its
        // threshold is the desk's, see `WALFlusher`) then has little left to do and restarts the log.
        try store.database.execute("PRAGMA journal_size_limit=\(64 << 20)")   // the log file shrinks back when it restarts
        let dispatcher = try Dispatcher(gridStore: store)
        unitNames = dispatcher.unitNames
        let desk = try CaseDesk(dispatcher: dispatcher)
        self.desk = desk
        checkpointer = try Checkpointer(path: settings.databasePath)
        readers = try ReaderPool(path: settings.databasePath, count: settings.readers)
        let catalog = try await readers.read { try MapCatalog.load($0, generation: 1) }
        catalogBox = Mutex(catalog)
        feed = CaseFeed(readers: readers, logger: logger)
        tiles = TileCache(directory: settings.tileCacheDirectory, layers: MapCatalog.ids, logger: logger)
        watchCases(from: try await readers.read { try $0.cases.lastEventID() })
    }

    /// What case tiles are cached under: this server's writes through the desk (intake, alerts,
    /// transitions, publish) at once, other processes' within half a second.
    var casesStamp: String { "c\(desk.changeCount).\(externalCaseChanges.load(ordering: .acquiring))" }

    /// Notices cases changed by another process (the CLI) within half a second; this server's own
    /// writes are seen here too, an extra change of stamp at most. Ends with the state.
    private func watchCases(from start: Int64) {
        Task { [weak self] in
            var last = start
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(500))
                guard let self else { return }
                guard let now = try? await self.readers.read({ try $0.cases.lastEventID() }) else { continue }
                if now != last { last = now; self.externalCaseChanges.add(1, ordering: .releasing) }
            }
        }
    }

    /// Who may read a map collection or its tiles: any token holder, or anyone when the operator
    /// made it public. Workers read cases of their own grids only (those grids returned).
    func access(_ collection: String, _ context: WanggeContext) async throws -> Set<String>? {
        if context.identity == nil && settings.publicCollections.contains(collection) { return nil }
        let who = try context.require(.viewer, .dispatcher, .planner, .worker)
        return collection == "cases" ? try await workerGrids(who) : nil
    }

    var catalog: MapCatalog { catalogBox.withLock { $0 } }

    /// The grids a worker may see (those they are posted to); nil, meaning all, for other roles.
    func workerGrids(_ who: Identity) async throws -> Set<String>? {
        guard who.role == .worker, let w = who.workerID else { return nil }
        return Set(try await readers.read { try $0.grids.grids(ofWorker: w) })
    }

    /// After a publish or rollback: readers reload the layer, the map collections are rebuilt and
    /// cached responses dropped.
    func layerChanged() async throws {
        readers.layerChanged()
        let next = catalog.generation + 1
        let fresh = try await readers.read { try MapCatalog.load($0, generation: next) }
        catalogBox.withLock { $0 = fresh }
        responses.clear()
    }
}

extension Optional where Wrapped == Set<String> {
    /// Whether a case is within these grids (nil: no restriction).
    func allows(_ c: Case) -> Bool { map { g in c.gridCode.map(g.contains) ?? false } ?? true }
}
