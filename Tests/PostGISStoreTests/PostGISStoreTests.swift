import Foundation
import Geo
import Testing
@_exported import TestSupport
@testable import Cases
@testable import Grid
import PostGISStore

/// What only the PostGIS backend has: a database server to lose, a schema others may have
/// migrated, monthly partitions, county codes on every row, and writers in several processes whose
/// event ids must reach the feed in order.
@Suite struct PostGISStoreTests {
    let tiny = tinyDemoCounty(seed: 3, towns: 3)

    @Test func anUnreachableDatabaseNamesHostAndPortNeverThePassword() throws {
        let r = try sh(wanggePath, ["grids", "validate", "--db", "postgresql://wangge:s3cret@127.0.0.1:1/nowhere"])
        #expect(r.status != 0)
        #expect(r.err.contains("127.0.0.1") && r.err.contains(":1/nowhere") && !r.err.contains("s3cret"), "\(r.err)")
        // `serve` refuses to start the same way.
        let s = try sh(wanggePath, ["serve", "--db", "postgresql://wangge:s3cret@127.0.0.1:1/nowhere", "--port", "0"])
        #expect(s.status != 0 && s.err.contains("127.0.0.1") && !s.err.contains("s3cret"), "\(s.err)")
    }

    @Test func aSchemaOfAnotherVersionIsRefusedNamingMigrate() throws {
        let url = PostgresCluster.shared.newDatabase()
        // An empty database: `wangge migrate` makes it, step by step.
        do { _ = try connect(url); Issue.record("an empty database was accepted") } catch let e as StoreError {
            #expect(e.kind == .schema && e.reason.contains("wangge init --db"), "\(e)")
        }
        let migrated = try sh(wanggePath, ["migrate", "--db", url])
        #expect(migrated.status == 0 && migrated.out.contains("feed 1"), "\(migrated.out) \(migrated.err)")
        let c = try connect(url)
        try execute("DELETE FROM schema_migrations WHERE module = 'feed'", on: c)
        do { _ = try connect(url); Issue.record("an older schema was accepted") } catch let e as StoreError {
            #expect(e.kind == .schema && e.reason.contains("wangge migrate --db"), "\(e)")
        }
        try execute("INSERT INTO schema_migrations(module, number) VALUES ('feed', 1), ('grid', 99)", on: c)
        do { _ = try connect(url); Issue.record("a newer schema was accepted") } catch let e as StoreError {
            #expect(e.kind == .schema && e.reason.contains("newer wangge"), "\(e)")
        }
        // `wangge init` creates a database that does not exist yet.
        let fresh = PostgresCluster.shared.url("made_by_init")
        let made = try sh(wanggePath, ["init", "--db", fresh])
        #expect(made.status == 0, "\(made.err)")
        #expect(try connect(fresh).grids.currentVersion() == 0)
    }

    @Test func casesArePartitionedByMonthAndEveryRowCarriesItsCounty() throws {
        let dir = TempDir()
        let d = try countyDesk(tiny, in: dir, .postgis)
        let h = try d.grids.households()[0]
        for month in ["2026-09-15T10:00:00+08:00", "2026-10-31T23:30:00+08:00", "2026-11-01T00:30:00+08:00"] {
            _ = try d.intake(IntakeRequest(category: .debt, channel: .window, description: "month", location: .household(h.id)),
                             actor: clerk, now: ChinaTime.date(month)!)
        }
        // China time decides the month: 23:30 on 31 October is October, 00:30 on 1 November is November.
        let parts = try rows("""
            SELECT c.relname, (SELECT count(*) FROM cases x WHERE x.tableoid = c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'cases'::regclass ORDER BY c.relname
            """, on: d.store).map { "\($0[0]!)=\($0[1]!)" }
        #expect(parts == ["cases_2026_09=1", "cases_2026_10=1", "cases_2026_11=1"], "\(parts)")
        for table in ["grids", "microgrids", "households", "cameras", "cases", "workers"] {
            let counties = try rows("SELECT DISTINCT county FROM \(table)", on: d.store).map { $0[0] }
            #expect(counties == [tiny.county.code], "\(table): \(counties)")
        }
        // A tracking code is unique across months, and events stay append-only.
        let c = try #require(try d.cases.list(limit: 1).first)
        #expect(throws: StoreError.self) { try execute("INSERT INTO case_codes(code) VALUES ('\(c.code)')", on: d.store) }
        #expect(throws: StoreError.self) { try execute("TRUNCATE case_events", on: d.store) }
    }

    /// Two writers on two connections: the follower of a third publishes every event exactly once
    /// and in id order, though a later id may commit before an earlier one would have without the
    /// commit-order lock.
    @Test func aFollowerMissesNoEventOfConcurrentWriters() async throws {
        let dir = TempDir()
        let url = PostgresCluster.shared.newDatabase()
        _ = try countyDesk(tiny, at: url)
        let feed = ChangeFeed(position: try connect(url).feedPosition())
        let seen = Seen()
        let (subscription, _) = feed.subscribe { changes in
            for case .caseEvent(let e, _) in changes { seen.add(e.id) }
        }
        defer { subscription.cancel() }
        let follower = try backend(url).follow(into: feed, from: feed.position)
        defer { withExtendedLifetime(follower) {} }
        let households = try connect(url).grids.households()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<2 {
                group.addTask {
                    let d = try Dispatcher(store: try connect(url))
                    for k in 0..<40 {
                        _ = try d.intake(IntakeRequest(category: .consumer, channel: .qr, description: "w\(w) \(k)",
                                                       location: .household(households[(w * 40 + k) % households.count].id)), actor: clerk)
                    }
                }
            }
            try await group.waitForAll()
        }
        let all = try rows("SELECT id FROM case_events ORDER BY id", on: try connect(url)).compactMap { $0[0].flatMap { Int64($0) } }
        // Notified at commit: within a few seconds even on a loaded machine.
        for _ in 0..<100 where seen.ids.count < all.count { try await Task.sleep(for: .milliseconds(100)) }
        #expect(seen.ids == all, "\(seen.ids.count) of \(all.count) events published")
        _ = dir
    }

    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [Int64] = []
        func add(_ id: Int64) { lock.withLock { list.append(id) } }
        var ids: [Int64] { lock.withLock { list } }
    }
}
