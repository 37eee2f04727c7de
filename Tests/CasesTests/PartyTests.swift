import Foundation
import Geo
import Testing
@testable import Cases
@testable import Grid

/// The parties' ID and phone numbers: sealed at rest (opened here by another AES-GCM
/// implementation), matched across cases by keyed hash, older plain numbers sealed and erased, and
/// a lost or wrong key an error.
@Suite struct PartyTests {
    static let python = repoRoot.appendingPathComponent(".build/venv-test/bin/python").path
    static let oracle = repoRoot.appendingPathComponent("Tests/Fixtures/party_oracle.py").path

    func household(_ k: Int) -> Int64 { tinyDemo.result.households[k * 97 % tinyDemo.result.households.count].id }

    func dispute(_ k: Int, _ parties: [Party]) -> IntakeRequest {
        IntakeRequest(category: .debt, channel: .window, description: "借款纠纷", location: .household(household(k)), parties: parties)
    }

    /// The sealed columns of every party, as hex, in insertion order.
    func sealedRows(_ d: Dispatcher, _ kind: StoreKind) throws -> [[String?]] {
        let hex = kind == .postgis ? { (c: String) in "encode(\(c), 'hex')" } : { (c: String) in "nullif(hex(\(c)), '')" }
        return try rows("SELECT phone, id_number, \(hex("phone_sealed")), \(hex("phone_match")), \(hex("id_sealed")), \(hex("id_match")) FROM case_parties ORDER BY \(kind == .postgis ? "id" : "rowid")", on: d.store)
    }

    /// Opens sealed numbers with pyca/cryptography and the key file's bytes.
    func openWithOracle(_ items: [(sealed: String, match: String, kind: String, normalised: String)]) throws -> [(plain: String, matchOK: Bool)] {
        let key = try String(contentsOfFile: repoRoot.appendingPathComponent(PartyKey.defaultPath).path, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let doc: JSONValue = .object(JSONObject([("key", .string(key)), ("rows", .array(items.map {
            .object(JSONObject([("sealed", .string($0.sealed)), ("match", .string($0.match)), ("kind", .string($0.kind)), ("normalised", .string($0.normalised))]))
        }))]))
        var w = JSONWriter()
        w.value(doc)
        let r = try sh(Self.python, [Self.oracle], stdin: w.text)
        guard r.status == 0, case .array(let out) = try JSONParser.parse(r.out) else {
            Issue.record("oracle failed: \(r.err)")
            return []
        }
        return out.map { ($0.objectValue?["plain"]?.stringValue ?? "", $0.objectValue?["match_ok"] == JSONValue.bool(true)) }
    }

    @Test(arguments: StoreKind.allCases) func numbersAreSealedAtRestAndOpenOnlyWithTheKey(_ kind: StoreKind) throws {
        let dir = TempDir()
        let location = kind.newLocation(in: dir)
        let d = try countyDesk(tinyDemo, at: location)
        let c = try d.intake(dispute(1, [Party(name: "王伟", phone: "+86 139-1357-2468", idNumber: "51172519800101123x"), Party(name: "李娜")]), actor: clerk, now: monday(10))
        let stored = try sealedRows(d, kind)
        #expect(stored.count == 2)
        // No plain column holds a number; the second party has none at all.
        #expect(stored.allSatisfy { $0[0] == nil && $0[1] == nil })
        #expect(stored[1][2] == nil && stored[1][4] == nil)
        let opened = try openWithOracle([(stored[0][2]!, stored[0][3]!, "phone", "13913572468"),
                                         (stored[0][4]!, stored[0][5]!, "id", "51172519800101123X")])
        #expect(opened.map(\.plain) == ["+86 139-1357-2468", "51172519800101123x"])
        #expect(opened.allSatisfy { $0.matchOK })
        // Two seals of one number differ (a fresh nonce), their matching hashes do not.
        let again = try d.intake(dispute(2, [Party(name: "王伟", phone: "13913572468")]), actor: clerk, now: monday(11))
        let second = try sealedRows(d, kind)[2]
        #expect(second[2] != stored[0][2] && second[3] == stored[0][3])
        // Those who handle the case read the numbers as given.
        let (parties, links) = try d.partyKey.parties(of: c, in: d.cases)
        #expect(parties == [Party(name: "王伟", phone: "+86 139-1357-2468", idNumber: "51172519800101123x"), Party(name: "李娜")])
        #expect(links.cases[0].map(\.id) == [again.id] && links.cases[1].isEmpty)
        // Nowhere in the database as text: the SQLite file and its log, every PostgreSQL column.
        switch kind {
        case .spatialite:
            try sqlite(d).execute("PRAGMA wal_checkpoint(TRUNCATE)")
            let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: location))) ?? Data())
                + [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: location + "-wal"))) ?? Data())
            #expect(bytes.count > 100_000)
            for number in ["1357-2468", "13913572468", "5117251980010112"] { #expect(!contains(bytes, number)) }
        case .postgis:
            #expect(try scalar("SELECT count(*) FROM case_parties t WHERE t::text LIKE '%2468%' OR t::text LIKE '%19800101%'", on: d.store) == "0")
        }
        // The database refuses a plain number, whoever writes it.
        #expect(throws: (any Error).self) {
            try execute("INSERT INTO case_parties(case_id, name, phone) VALUES (\(c.id), '张三', '13800000000')", on: d.store)
        }
    }

    func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard haystack.count >= n.count else { return false }
        for k in 0...(haystack.count - n.count) where haystack[k] == n[0] && Array(haystack[k..<(k + n.count)]) == n { return true }
        return false
    }

    @Test(arguments: StoreKind.allCases) func aPartyInThreeCasesWithinTwelveMonthsIsARepeatParty(_ kind: StoreKind) throws {
        let (_, _, d) = try countyDesk(kind)
        let t0 = monday(10)
        let day = 86_400.0
        // One person, the phone written three ways, then only the ID number; in different grids.
        let first = try d.intake(dispute(1, [Party(name: "赵建", phone: "+86 158 0021 4078"), Party(name: "冯平", phone: "18147304685")]), actor: clerk, now: t0)
        let second = try d.intake(dispute(2, [Party(name: "赵建", phone: "15800214078", idNumber: "511725196209044591")]), actor: clerk, now: t0 + 100 * day)
        let third = try d.intake(dispute(3, [Party(name: "赵 建", phone: "86-158-0021-4078")]), actor: clerk, now: t0 + 200 * day)
        let late = try d.intake(dispute(4, [Party(name: "赵建", idNumber: "511725196209044591")]), actor: clerk, now: t0 + 600 * day)
        let stranger = try d.intake(dispute(5, [Party(name: "冯平", phone: "18147304686")]), actor: clerk, now: t0 + 10 * day)
        #expect(Set([first, second, third, late].compactMap(\.gridCode)).count > 1)
        func links(_ c: Case) throws -> PartyLinks { try d.partyKey.parties(of: c, in: d.cases).links }
        // Three cases within 200 days: the first is flagged too (they fall in one 12-month span).
        #expect(try links(first).repeatParty == [true, false])
        #expect(try links(first).cases[0].map(\.id) == [third.id, second.id])
        #expect(try links(third).repeatParty == [true])
        // The second shares the phone with the first three and the ID number with the last.
        #expect(try links(second).cases[0].map(\.id) == [late.id, third.id, first.id])
        // 400 days after the third, 500 after the second: no 12-month span holds three.
        #expect(try links(late).repeatParty == [false] && links(late).cases[0].map(\.id) == [second.id])
        // A number one digit off is another person.
        #expect(try links(stranger).cases == [[]])
        #expect(try links(first).linked.map(\.parties) == [[0], [0]])
    }

    @Test func theTwelveMonthSpan() {
        let t = Date(timeIntervalSince1970: 1_700_000_000)
        let d = 86_400.0
        #expect(PartyLinks.isRepeat(at: t, others: [t - 364 * d, t - 1 * d]))
        #expect(!PartyLinks.isRepeat(at: t, others: [t - 366 * d, t - 1 * d]))
        #expect(PartyLinks.isRepeat(at: t, others: [t - 200 * d, t + 160 * d]))
        #expect(!PartyLinks.isRepeat(at: t, others: [t - 200 * d, t + 170 * d]))
        #expect(!PartyLinks.isRepeat(at: t, others: [t - 1 * d]))
    }

    @Test(arguments: StoreKind.allCases) func plainNumbersOfAnOlderDatabaseAreSealedThenErased(_ kind: StoreKind) throws {
        let dir = TempDir()
        let location = kind.newLocation(in: dir)
        let d = try countyDesk(tinyDemo, at: location)
        let c = try d.intake(dispute(1, [Party(name: "王伟")]), actor: clerk, now: monday(10))
        // As an older version wrote them: plain, past the guard an older schema did not have.
        try execute(kind == .postgis ? "DROP TRIGGER case_parties_sealed ON case_parties" : "DROP TRIGGER case_parties_sealed_i", on: d.store)
        try execute("INSERT INTO case_parties(case_id, name, phone, id_number) VALUES (\(c.id), '李娜', '13700001111', '511725199001012222')", on: d.store)
        try execute("INSERT INTO case_parties(case_id, name, phone) VALUES (\(c.id), '张三', '13700003333')", on: d.store)
        // The next writer to open it seals them.
        let (key, sealed) = try PartyKey.opening(try connect(location))
        #expect(sealed == 2)
        let after = try sealedRows(d, kind)
        #expect(after.allSatisfy { $0[0] == nil && $0[1] == nil })
        #expect(try key.parties(of: c, in: d.cases).parties == [Party(name: "王伟"), Party(name: "李娜", phone: "13700001111", idNumber: "511725199001012222"),
                                                                  Party(name: "张三", phone: "13700003333")])
        #expect(try PartyKey.opening(try connect(location)).sealed == 0)
        if kind == .spatialite {
            let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: location))) ?? Data())
                + [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: location + "-wal"))) ?? Data())
            #expect(!contains(bytes, "13700001111") && !contains(bytes, "13700003333") && !contains(bytes, "511725199001012222"))
        }
    }

    @Test func aMissingWrongOrOpenKeyIsAClearErrorNeverANewKey() throws {
        let dir = TempDir()
        let d = try countyDesk(tinyDemo, at: dir.path("k.sqlite"))
        let recorded = try #require(try d.cases.partyKeyID())
        #expect(recorded == d.partyKey.id)
        func failure(_ path: String) -> String {
            do { _ = try PartyKey.forDatabase(d.store, path: path); return "" } catch { return "\(error)" }
        }
        let missing = dir.path("keys/none.key")
        #expect(failure(missing).contains("is missing") && failure(missing).contains(recorded))
        #expect(!FileManager.default.fileExists(atPath: missing))
        let other = dir.path("other.key")
        _ = try PartyKey.load(path: other, create: true)
        #expect(failure(other).contains("sealed with key \(recorded)"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: other)
        #expect(failure(other).contains("chmod 600"))
        let garbage = dir.path("garbage.key")
        FileManager.default.createFile(atPath: garbage, contents: Data("not a key\n".utf8), attributes: [.posixPermissions: 0o600])
        #expect(failure(garbage).contains("64 hex digits"))
        // A new key file is private.
        let fresh = dir.path("fresh/parties.key")
        _ = try PartyKey.load(path: fresh, create: true)
        #expect(try FileManager.default.attributesOfItem(atPath: fresh)[.posixPermissions] as? Int == 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: dir.path("fresh"))[.posixPermissions] as? Int == 0o700)
    }
}
