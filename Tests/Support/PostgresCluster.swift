import Foundation
import PostGISStore
import Synchronization

/// A throwaway PostgreSQL 15 cluster with PostGIS for the test process: `initdb` into a temporary
/// folder, a free loopback port, stopped and removed when the process exits. As root it runs as
/// the `postgres` user (PostgreSQL refuses root). Each test gets its own database, made from a
/// template that has the extension.
public final class PostgresCluster: @unchecked Sendable {
    public let port: Int
    let folder: String
    static let bin = "/usr/lib/postgresql/15/bin"

    /// Started on first use, once per process.
    public static let shared: PostgresCluster = {
        do { return try PostgresCluster(name: "wangge-pg-\(getpid())") } catch { fatalError("cannot start a PostgreSQL cluster for the tests: \(error)") }
    }()

    /// A cluster of the caller's own, for tests that stop and start its server.
    public static func own() throws -> PostgresCluster {
        _ = shared   // stale clusters are cleared first, and exit stops both
        return try PostgresCluster(name: "wangge-pg-\(getpid())-\(counter.next())")
    }

    private let options: String

    /// A hot standby of this cluster (`pg_basebackup -R`, streaming replication), of the caller's own.
    public func standby() throws -> PostgresCluster {
        try PostgresCluster(name: "wangge-pg-\(getpid())-\(Self.counter.next())", primary: self)
    }

    private init(name: String, primary: PostgresCluster? = nil) throws {
        if name == "wangge-pg-\(getpid())" { Self.removeStale() }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        if getuid() == 0 { _ = try Self.run("/bin/chown", ["postgres", folder]) }
        if let primary {
            let copy = try Self.run(Self.bin + "/pg_basebackup", ["-h", "127.0.0.1", "-p", "\(primary.port)", "-U", "wangge", "-D", folder + "/data",
                                                                  "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"])
            guard copy.status == 0 else { throw ClusterError("pg_basebackup failed: \(copy.err)") }
        } else {
            let initdb = try Self.run(Self.bin + "/initdb", ["-D", folder + "/data", "-A", "trust", "-U", "wangge", "-E", "UTF8", "--locale=C", "--no-sync"])
            guard initdb.status == 0 else { throw ClusterError("initdb failed: \(initdb.err)") }
        }
        var started: Int?
        var lastError = ""
        for _ in 0..<5 {
            let p = Self.freePort()
            let r = try Self.run(Self.bin + "/pg_ctl", ["-D", folder + "/data", "-l", folder + "/log", "-w", "-t", "30", "-o",
                                                      Self.options(port: p, folder: folder), "start"])
            if r.status == 0 { started = p; break }
            lastError = r.err + r.out
        }
        guard let started else { throw ClusterError("pg_ctl start failed: \(lastError)") }
        port = started
        options = Self.options(port: started, folder: folder)
        Self.all.withLock { $0.append(self) }
        if Self.all.withLock({ $0.count }) == 1 { atexit { PostgresCluster.all.withLock { $0 }.reversed().forEach { $0.stop() } } }
        guard primary == nil else { return }
        let psql = try Self.run("/usr/bin/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "wangge", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
                                                   "-c", "CREATE DATABASE wangge_template",
                                                   "-c", "\\c wangge_template", "-c", "CREATE EXTENSION postgis"])
        guard psql.status == 0 else { throw ClusterError("cannot make the template database: \(psql.err)") }
    }

    static let all = Mutex<[PostgresCluster]>([])

    // fsync off: a test cluster never outlives a machine crash; commits stay synchronous.
    private static func options(port: Int, folder: String) -> String {
        "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 -c shared_buffers=64MB"
    }

    public func stop() {
        _ = try? Self.run(Self.bin + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The server goes away as in a crash (clients' connections are cut), the data stays.
    public func crash() throws {
        let r = try Self.run(Self.bin + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"])
        guard r.status == 0 else { throw ClusterError("pg_ctl stop failed: \(r.err)") }
    }

    /// Starts the server again on the same port.
    public func restart() throws {
        let r = try Self.run(Self.bin + "/pg_ctl", ["-D", folder + "/data", "-l", folder + "/log", "-w", "-t", "30", "-o", options, "start"])
        guard r.status == 0 else { throw ClusterError("pg_ctl start failed: \(r.err)") }
    }

    private static let counter = Counter()
    /// A new, empty database with PostGIS: its URL.
    public func newDatabase() -> String {
        let name = "t\(Self.counter.next())"
        let r = try? Self.run("/usr/bin/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "wangge", "-d", "postgres", "-q",
                                                 "-c", "CREATE DATABASE \(name) TEMPLATE wangge_template"])
        precondition(r?.status == 0, "cannot create database \(name): \(r?.err ?? "")")
        return url(name)
    }

    /// The URL of a database in this cluster (it may not exist yet).
    public func url(_ name: String) -> String { "postgresql://wangge@127.0.0.1:\(port)/\(name)" }

    /// Clusters left by test processes that were killed: stopped and removed.
    private static func removeStale() {
        let tmp = FileManager.default.temporaryDirectory.path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where name.hasPrefix("wangge-pg-") {
            guard let pid = Int32(name.dropFirst("wangge-pg-".count)), kill(pid, 0) != 0 else { continue }
            let folder = tmp + "/" + name
            _ = try? run(bin + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"])
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    private static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Runs a PostgreSQL program, as `postgres` when this process is root. posix_spawn and waitpid
    /// rather than `Process`: the server that `pg_ctl` leaves running inherits what the program
    /// had, and nothing here may wait on it.
    static func run(_ program: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        // From /tmp: the postgres user may not be allowed into the current folder.
        let argv = (getuid() == 0 && program.hasPrefix(bin) ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : [])
            + ["/bin/sh", "-c", "cd /tmp && exec \"$0\" \"$@\"", program] + args
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("wangge-pg-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base + ".out"); try? FileManager.default.removeItem(atPath: base + ".err") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw ClusterError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let o = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let e = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        // Exit status as the shell shows it (WEXITSTATUS), or 128 + the signal.
        let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (code, o, e)
    }

    struct ClusterError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    public final class Counter: @unchecked Sendable {
        private var n = 0
        private let lock = NSLock()
        func next() -> Int { lock.withLock { n += 1; return n } }
    }
}
