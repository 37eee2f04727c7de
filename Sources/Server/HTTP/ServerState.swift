import Cases
import Foundation
import Geo
import Grid
import Logging
import Synchronization

/// How the server is run.
public struct ServerSettings: Sendable {
    /// Where the data is (chosen by `wangge` from `--db`).
    public var backend: any StoreBackend
    /// Where reads go, if not to `backend`: a streaming-replication standby of it (`--read-db`).
    /// Items, tiles, statistics, tracking and tokens are read there and go on answering while the
    /// primary is away; writes and the change feed stay on the primary.
    public var readBackend: (any StoreBackend)?
    public var host = "127.0.0.1"
    public var port = 8080
    /// Map collections anyone may read without a token (a setting, none by default).
    public var publicCollections: Set<String> = []
    /// Read connections (the writer is one more).
    public var readers = 2
    public var logLevel: Logger.Level = .info
    /// Where vector tiles are cached on disk (emptied once the server listens); nil keeps them in memory only.
    public var tileCacheDirectory: String?
    /// The `/map` page's basemap; none (a clean page that works offline) by default.
    public var basemap: Basemap?
    /// Where Debian's `libjs-leaflet` and `libjs-leaflet.markercluster` put their files.
    public var leafletDirectory = "/usr/share/javascript/leaflet"
    /// A connection in the middle of a request that stopped coming (a body shorter than its
    /// Content-Length) is closed after this long; between requests `headTimeout` applies.
    public var idleTimeout: Duration = .seconds(30)
    /// A connection whose request head has not arrived this long after it opened (or after the
    /// last response) is closed: slow clients (slowloris) do not hold connections.
    public var headTimeout: Duration = .seconds(10)
    /// Wrong tokens a client (by IP address) may send in a minute before it is answered 429 for
    /// the rest of that minute. Tokens cannot be guessed (256 bits); this bounds the work a
    /// guesser makes and tells an operator's logs who it is.
    public var failedAuthPerMinute = 60
    /// Residents' reports (no account) an address or a phone number may send an hour and a day.
    public var reportsPerHour = 5
    public var reportsPerDay = 20
    /// Connections one client address may hold open at once (a town centre behind one NAT address
    /// has tens of browsers, six connections each); more are closed as they open.
    public var connectionsPerClient = 256

    public init(backend: any StoreBackend) { self.backend = backend }
}

/// Everything the handlers share: the one writer, the readers, the change feed and what follows
/// it (the territory intake places cases in, the map catalog and its response cache, the tile
/// stamps, the token cache). Built once at start.
final class ServerState: Sendable {
    let settings: ServerSettings
    let desk: CaseDesk
    let readers: ReaderPool
    let feed: ChangeFeed
    let responses = ResponseCache()
    let tiles: TileCache
    let tokenCache = TokenCache()
    let failures: FailureLimiter
    let reportLimiter: ReportLimiter
    private let follower: any ChangeFollower
    private let territoryBox: Mutex<Territory>
    private let adjacencyBox = Mutex<(grids: [Grid], adjacency: GridAdjacency)?>(nil)
    private let catalogBox: Mutex<MapCatalog>
    /// The layer version every subscriber has taken in (the map, the locator, the collections).
    private let appliedLayer: Mutex<(version: Int, waiting: [(Int, CheckedContinuation<Void, Never>)])>
    private let subscription: FeedSubscription
    /// Opens the parties' numbers for those who may see them (the desk's dispatcher checked it).
    let partyKey: PartyKey
    private let logger: Logger

    init(settings: ServerSettings, logger: Logger) async throws {
        self.settings = settings
        self.logger = logger
        failures = FailureLimiter(perMinute: settings.failedAuthPerMinute)
        reportLimiter = ReportLimiter(perHour: settings.reportsPerHour, perDay: settings.reportsPerDay)
        let backend = settings.backend
        // The schema is checked here: an old or newer one stops the server with what to run.
        let writer = try backend.connect(.writer)
        let position = try writer.feedPosition()
        let feed = ChangeFeed(position: position)
        self.feed = feed
        follower = try backend.follow(into: feed, from: position)
        let territory = try Territory.load(writer)
        territoryBox = Mutex(territory)
        let dispatcher = try Dispatcher(store: writer, territory: territory, feed: feed)
        partyKey = dispatcher.partyKey
        desk = CaseDesk(dispatcher: dispatcher, feed: feed)
        readers = try ReaderPool(backend: settings.readBackend ?? backend, count: settings.readers)
        let catalog = try await readers.read { try MapCatalog.load($0, generation: 1) }
        catalogBox = Mutex(catalog)
        appliedLayer = Mutex((catalog.layerVersion, []))
        tiles = TileCache(directory: settings.tileCacheDirectory, layers: MapCatalog.ids, logger: logger)

        // The feed's handlers run on the follower's thread: quick ones here, a new layer on a task.
        let (layers, layerInput) = AsyncStream<Int>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let tokenCache = self.tokenCache
        subscription = feed.subscribe { changes in
            for change in changes {
                switch change {
                case .layer(let v): layerInput.yield(v)
                case .tokens: tokenCache.clear()
                // New committees or departments: their names and rules come with the territory,
                // read again with the layer.
                case .units: layerInput.yield(0)
                case .caseEvent, .plans, .positions: break
                }
            }
        }.0
        Task { [weak self] in
            for await v in layers {
                guard let self else { return }
                await self.takeLayer(v)
            }
        }
        // Track fixes older than 90 days go (staff's personal data): a minute after start, then daily.
        Task { [weak self] in
            try? await Task.sleep(for: .seconds(60))
            while true {
                // Held only while pruning: a stopped server is not kept alive by this task.
                do {
                    guard let state = self else { return }
                    await state.pruneTracks()
                }
                try? await Task.sleep(for: .seconds(86_400))
            }
        }
    }

    static let trackDays = 90.0

    func pruneTracks() async {
        do {
            let gone = try await desk.perform { try $0.store.field.prune(before: Date() - Self.trackDays * 86400) }
            if gone > 0 { logger.info("deleted \(gone) track fixes older than \(Int(Self.trackDays)) days") }
        } catch {
            logger.error("could not delete old track fixes: \(error)")
        }
    }

    /// A new live layer: the locator intake places cases with, the map collections (items, tiles,
    /// ETags) and cached responses. A failed read (the database busy) is tried again a few times;
    /// whoever waits for the layer (`layerServed`) is answered in any case, never left hanging.
    private func takeLayer(_ version: Int) async {
        for attempt in 1...5 {
            if await tryToTakeLayer(version) { return }
            logger.error("could not take grid layer version \(version) (attempt \(attempt) of 5)")
            try? await Task.sleep(for: .seconds(1))
        }
        release(upTo: version)
    }

    private func tryToTakeLayer(_ version: Int) async -> Bool {
        do {
            // Everything read first, then swapped together: no request sees the locator of one
            // layer and the collections of another for longer than the swap.
            let next = catalog.generation + 1
            let (territory, fresh) = try await readers.read { r in (try Territory.load(r), try MapCatalog.load(r, generation: next)) }
            try await desk.perform { $0.use(territory) }
            territoryBox.withLock { $0 = territory }
            catalogBox.withLock { $0 = fresh }
            responses.clear()
            appliedLayer.withLock { $0.version = max($0.version, fresh.layerVersion) }
            release(upTo: fresh.layerVersion)
            logger.info("serving grid layer version \(fresh.layerVersion)")
            return true
        } catch {
            logger.error("reading grid layer version \(version) failed: \(error)")
            return false
        }
    }

    /// Answers those waiting for a layer up to `version`.
    private func release(upTo version: Int) {
        let ready = appliedLayer.withLock { a -> [CheckedContinuation<Void, Never>] in
            let now = a.waiting.filter { $0.0 <= version }.map(\.1)
            a.waiting.removeAll { $0.0 <= version }
            return now
        }
        for c in ready { c.resume() }
    }

    /// Returns once the server serves layer `version` (or a later one): after a publish through
    /// this server, so that its answer and whatever the client asks next agree.
    func layerServed(_ version: Int) async {
        await withCheckedContinuation { c in
            let now = appliedLayer.withLock { a -> Bool in
                if a.version >= version { return true }
                a.waiting.append((version, c))
                return false
            }
            if now { c.resume() }
        }
    }

    /// What case tiles are cached under: the feed's count of batches that changed cases.
    var casesStamp: String { "c\(feed.caseStamp)" }

    var territory: Territory { territoryBox.withLock { $0 } }

    /// The live layer's grids and which of them are neighbours (for hot spots), made once per layer.
    func adjacency() throws -> (grids: [Grid], adjacency: GridAdjacency) {
        let grids = territory.layer.grids
        if let cached = adjacencyBox.withLock({ $0 }), cached.grids == grids { return cached }
        let made = (grids, try GridAdjacency(grids))
        adjacencyBox.withLock { $0 = made }
        return made
    }
    var unitNames: UnitNames { territory.unitNames }

    /// Who may read a map collection or its tiles, and what of it: any token holder (within their
    /// scope), or anyone when the operator made the collection public.
    func access(_ collection: String, _ context: WanggeContext) async throws -> Scope {
        if context.identity == nil && settings.publicCollections.contains(collection) { return .everything }
        let who = try context.require(.viewer, .dispatcher, .planner, .worker)
        // A worker's grids bound the cases they see (read only then); the map layers only by area.
        return collection == "cases" ? try await scope(who) : Scope(area: who.area)
    }

    var catalog: MapCatalog { catalogBox.withLock { $0 } }

    /// What a caller sees: a worker the cases of the grids they are posted to, a token with an
    /// area what is in it; others everything.
    func scope(_ who: Identity) async throws -> Scope {
        var scope = Scope(area: who.area, unit: who.role == .unit ? who.unit ?? "" : nil)
        if who.role == .worker, let w = who.workerID {
            scope.grids = Set(try await readers.read { try $0.grids.grids(ofWorker: w) })
        }
        return scope
    }
}
