import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@_exported import TestSupport
@_exported import SpatiaLiteStore
import Geo
@testable import Cases
@testable import Grid
@testable import Server

/// A small demo county (a tenth of the households, 6 towns), built once.
let tinyDemo = tinyDemoCounty(seed: 5, towns: 6)

/// A real server on a free loopback port over a fresh database with the tiny county and a few
/// disputes, with one token per role.
final class TestServer: @unchecked Sendable {
    let dir = TempDir()
    let db: String
    var port = 0
    var tokens: [Role: String] = [:]
    /// A worker with grids, and their token.
    var workerID: Int64 = 0
    private var task: Task<Void, Error>?

    let kind: StoreKind
    private let idleTimeout: Duration
    private var failedAuthPerMinute = 1000
    private var connectionsPerClient = 256
    private var reportsPerHour = 1000

    /// Where the server reads, if not from `db` (a hot standby).
    private var readLocation: String?

    init(kind: StoreKind = .spatialite, at location: String? = nil, readingFrom standby: String? = nil,
         publicCollections: Set<String> = [], basemap: Basemap? = nil,
         demo: (counties: [Boundary], result: DemoCounty.Result) = ([tinyDemo.county], tinyDemo.result),
         idleTimeout: Duration = .seconds(60), failedAuthPerMinute: Int = 1000, connectionsPerClient: Int = 256,
         reportsPerHour: Int = 1000) async throws {
        self.reportsPerHour = reportsPerHour
        self.idleTimeout = idleTimeout
        self.failedAuthPerMinute = failedAuthPerMinute
        self.connectionsPerClient = connectionsPerClient
        self.kind = kind
        readLocation = standby
        db = location ?? kind.newLocation(in: dir, "server.sqlite")
        // The database is made on a Dispatch thread: a two-county install takes many seconds, and on
        // one of Swift's two cooperative threads it stalled every other server of the run.
        let location = db
        let made = try await offPool { () throws -> ([Role: String], Int64) in
            let connection = try newDatabase(location)
            let store = connection.grids
            _ = try GridPlanning(store: store).install(demo.result, counties: demo.counties, note: "tiny")
            let d = try Dispatcher(store: connection)
            // A few disputes at household places.
            let hs = try store.households()
            for k in 0..<30 {
                _ = try d.intake(IntakeRequest(category: Case.Category.allCases[k % 9], channel: .window, description: "dispute \(k)",
                                               location: .household(hs[k * 37 % hs.count].id), parties: [Party(name: "当事人\(k)", phone: "1390000\(1000 + k)")]),
                                 actor: Actor("seed", source: "test"))
            }
            var tokens: [Role: String] = [:]
            for role in [Role.planner, .dispatcher, .viewer, .open311] { tokens[role] = try Tokens.create(in: connection, name: "test \(role)", role: role).token }
            guard let leader = try scalar("SELECT worker_id FROM grid_posts WHERE role = 'leader' ORDER BY grid_id LIMIT 1", on: connection).flatMap({ Int64($0) }) else {
                throw StoreError("the demo has no grid leader")
            }
            tokens[.worker] = try Tokens.create(in: connection, name: "test worker", role: .worker, workerID: leader).token
            return (tokens, leader)
        }
        (tokens, workerID) = made

        try await start(publicCollections: publicCollections, basemap: basemap)
    }

    /// A second server on another's database (a prefecture's servers on one PostGIS database).
    init(joining other: TestServer) async throws {
        kind = other.kind
        idleTimeout = other.idleTimeout
        db = other.db
        tokens = other.tokens
        workerID = other.workerID
        try await start(publicCollections: [], basemap: nil)
    }

    private func start(publicCollections: Set<String>, basemap: Basemap?) async throws {
        var settings = ServerSettings(backend: backend(db))
        settings.readBackend = readLocation.map(backend)
        settings.port = 0
        settings.publicCollections = publicCollections
        settings.tileCacheDirectory = dir.path("tiles")
        settings.basemap = basemap
        settings.logLevel = .warning
        settings.idleTimeout = idleTimeout
        settings.headTimeout = idleTimeout
        settings.failedAuthPerMinute = failedAuthPerMinute
        settings.connectionsPerClient = connectionsPerClient
        settings.reportsPerHour = reportsPerHour
        settings.reportsPerDay = max(reportsPerHour, 20)
        let started = PortBox()
        let app = try await WanggeServer.application(settings) { port in started.set(port) }
        task = Task { try await app.runService(gracefulShutdownSignals: []) }
        port = try await started.wait()
    }

    func stop() { task?.cancel() }
    deinit { task?.cancel() }

    var base: String { "http://127.0.0.1:\(port)" }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: JSONValue? { try? JSONParser.parse(Array(body)) }
        var text: String { String(decoding: body, as: UTF8.self) }
        var object: JSONObject { json?.objectValue ?? JSONObject() }
    }

    /// One HTTP request with URLSession; `role` adds that role's bearer token.
    func call(_ path: String, role: Role? = nil, headers: [String: String] = [:]) async throws -> Reply {
        try await call("GET", path, role: role, headers: headers)
    }

    func call(_ method: String, _ path: String, role: Role? = nil, json: String? = nil, body: Data? = nil,
              headers: [String: String] = [:]) async throws -> Reply {
        var r = URLRequest(url: URL(string: path.hasPrefix("http") ? path : base + path)!)
        // The servers share this process's two cooperative threads with the CPU-heavy tests that
        // run beside them: a request may wait that long behind them, which is not a server fault.
        r.timeoutInterval = 300
        r.httpMethod = method
        if let role { r.setValue("Bearer \(tokens[role]!)", forHTTPHeaderField: "Authorization") }
        if let json { r.httpBody = Data(json.utf8); r.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let body { r.httpBody = body }
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: r)
        let http = response as! HTTPURLResponse
        var h: [String: String] = [:]
        for (k, v) in http.allHeaderFields { h[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, headers: h, body: data)
    }
}

/// The port the server reports once it listens.
final class PortBox: @unchecked Sendable {
    private var port: Int?
    private let lock = NSLock()
    func set(_ p: Int) { lock.lock(); port = p; lock.unlock() }
    func wait() async throws -> Int {
        for _ in 0..<500 {
            if let p = lock.withLock({ port }) { return p }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw StoreError("the server did not start")
    }
}

/// One server shared by the read-mostly tests (started once, however many ask at the same time).
actor SharedServer {
    static let instance = SharedServer()
    private var servers: [StoreKind: Task<TestServer, Error>] = [:]
    func get(_ kind: StoreKind) async throws -> TestServer {
        if let server = servers[kind] { return try await server.value }
        let t = Task { try await TestServer(kind: kind) }
        servers[kind] = t
        return try await t.value
    }
}

extension TestServer {
    /// A store connection to the server's database (another connection, as a tool has).
    func store() throws -> any StoreConnection { try connect(db) }

    /// Rows in a table, counted by the database.
    func count(_ table: String, where condition: String = "true") throws -> Int {
        Int(try scalar("SELECT count(*) FROM \(table) WHERE \(condition)", on: try store()) ?? "") ?? -1
    }

    /// Ids of a table's rows whose geometry meets a box, by the database's own spatial test
    /// (SpatiaLite's or PostGIS's): the oracle for bbox queries and tiles.
    func ids(_ table: String, _ id: String, meeting box: BoundingBox, extra: String = "") throws -> Set<String> {
        let envelope = kind == .spatialite
            ? "BuildMbr(\(box.minLon), \(box.minLat), \(box.maxLon), \(box.maxLat), 4326)"
            : "ST_MakeEnvelope(\(box.minLon), \(box.minLat), \(box.maxLon), \(box.maxLat), 4326)"
        return Set(try rows("SELECT \(id) FROM \(table) WHERE ST_Intersects(geom, \(envelope)) \(extra)", on: try store()).compactMap { $0[0] })
    }
}

/// Heavy test-side work (GEOS over thousands of features, megabyte bodies) off Swift's cooperative
/// threads: on this 2-core machine there are two, and the in-process servers' requests run on them.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in DispatchQueue.global().async { c.resume(with: Result { try body() }) } }
}

/// `sh` off Swift's cooperative threads: the server under test runs on them, and a test that
/// blocked them waiting for curl or GDAL would stall the very server they are calling.
func run(_ executable: String, _ args: [String]) async throws -> (status: Int32, out: String, err: String) {
    try await withCheckedThrowingContinuation { c in
        DispatchQueue.global().async { c.resume(with: Result { try sh(executable, args) }) }
    }
}

/// With the `wangge` binary, as a planner at a terminal does while the server runs: a plan that
/// merges grid `old` into a neighbour of its village (its households figure set to stay in the
/// band), published as version 2. Returns the neighbour's code.
func mergeFromTheCLI(_ s: TestServer, _ old: String) async throws -> String {
    let made = try await run(wanggePath, ["grids", "plan", "--db", s.db, "--name", "merge"])
    let plan = try #require(made.out.split(separator: " ").dropFirst().first.map(String.init), "\(made.out) \(made.err)")
    var merged: String?
    for g in try connect(s.db).grids.grids() where g.code != old && g.code.prefix(12) == old.prefix(12) {
        if try await run(wanggePath, ["grids", "merge", "--db", s.db, "--plan", plan, g.code, old]).status == 0 { merged = g.code; break }
    }
    let into = try #require(merged, "no neighbour of \(old) to merge with")
    _ = try await run(wanggePath, ["grids", "override", "--db", s.db, "--plan", plan, into, "450"])
    let published = try await run(wanggePath, ["grids", "publish", "--db", s.db, "--plan", plan])
    #expect(published.status == 0, "\(published.out) \(published.err)")
    return into
}

/// A server's live feed (`/api/events`) read by curl into a file, as a browser's EventSource
/// would hold it open. `until` waits for what a test expects — not for a fixed time: under a full
/// run on two cores a change may take many seconds to arrive, and a stream with a short
/// `--max-time` closed before it did.
final class EventStream: @unchecked Sendable {
    private let process = Process()
    private let file: URL

    init(_ s: TestServer, role: Role = .viewer, lastEventID: String? = nil, token: String? = nil) throws {
        file = s.dir.url.appendingPathComponent("events-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: file.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-N", "--max-time", "600", "-H", "Authorization: Bearer \(token ?? s.tokens[role]!)"]
            + (lastEventID.map { ["-H", "Last-Event-ID: \($0)"] } ?? []) + ["\(s.base)/api/events"]
        process.standardOutput = try FileHandle(forWritingTo: file)
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// What has arrived so far.
    var text: String { (try? String(contentsOf: file, encoding: .utf8)) ?? "" }

    /// Waits until what arrived satisfies `holds`, up to `seconds`; answers the text either way.
    @discardableResult
    func until(_ seconds: Double = 120, _ holds: (String) -> Bool) async throws -> String {
        let start = Date()
        var seen = text
        while !holds(seen) && Date().timeIntervalSince(start) < seconds {
            try await Task.sleep(for: .milliseconds(100))
            seen = text
        }
        return seen
    }

    func stop() { if process.isRunning { process.terminate() } }
    deinit { stop() }
}

extension TestServer {
    /// Signs in as `role` as the map page does (with curl: URLSession would keep the cookie and
    /// send it to every other test's server); answers the `Cookie` header the browser then sends.
    func signIn(_ role: Role) async throws -> String {
        let r = try await run("/usr/bin/curl", ["-s", "-D", "-", "-o", "/dev/null", "-H", "Content-Type: application/json",
                                                "--data", #"{"token":"\#(tokens[role]!)"}"#, "\(base)/api/session"])
        guard let line = r.out.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("set-cookie:") }),
              let pair = line.dropFirst("set-cookie:".count).split(separator: ";").first else {
            throw StoreError("signing in as \(role) set no cookie: \(r.out)")
        }
        return pair.trimmingCharacters(in: .whitespaces)
    }
}

/// Field figures (passes, coverage, visits, the day's track) are per China day. A test that sends
/// the last `span` of a worker's fixes needs all of them in today: just after China midnight
/// (16:00 UTC) it waits until the day is that old, rather than fail on the boundary.
enum ChinaDay {
    static func room(for span: TimeInterval) async throws {
        let age = Date().timeIntervalSince(ChinaTime.startOfDay(Date()))
        let wait = span + 60 - age
        guard wait > 0 else { return }
        print("waiting \(Int(wait)) s: the China day is \(Int(age)) s old, the test's fixes span \(Int(span)) s")
        try await Task.sleep(for: .seconds(wait))
    }
}
