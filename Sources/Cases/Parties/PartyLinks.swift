import Foundation
import Grid

/// 案事件人员关联: the other cases in which a case's parties appear (the same ID or phone number,
/// found by keyed hash), in any grid, and who keeps coming back.
public struct PartyLinks: Sendable {
    /// A party in this many cases within one span of 12 months, this case among them, is a
    /// repeat party (`repeat_party`).
    public static let repeatCases = 3
    public static let span: TimeInterval = 365 * 86_400

    /// For each party of the case (in order): the other cases it appears in.
    public var cases: [[Case]]
    /// For each party: whether it is a repeat party.
    public var repeatParty: [Bool]
    /// Every other case of the parties, newest first, with the parties (by place) found in it.
    public var linked: [(case: Case, parties: [Int])]

    public init(of c: Case, parties: Int, matches: [PartyMatch], found: [Case]) {
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var perParty = Array(repeating: [Case](), count: parties)
        var partiesOf: [Int64: [Int]] = [:]
        for m in matches where m.party < parties {
            guard let other = byID[m.caseID] else { continue }
            if !perParty[m.party].contains(where: { $0.id == other.id }) { perParty[m.party].append(other) }
            partiesOf[other.id, default: []].append(m.party)
        }
        cases = perParty.map { $0.sorted { ($0.reportedAt, $0.id) > ($1.reportedAt, $1.id) } }
        repeatParty = perParty.map { Self.isRepeat(at: c.reportedAt, others: $0.map(\.reportedAt)) }
        linked = partiesOf.compactMap { id, ps in byID[id].map { ($0, Array(Set(ps)).sorted()) } }
            .sorted { ($0.0.reportedAt, $0.0.id) > ($1.0.reportedAt, $1.0.id) }
    }

    /// Whether a 12-month span holds `at` and at least two of `others`.
    static func isRepeat(at: Date, others: [Date]) -> Bool {
        let near = others.filter { abs($0.timeIntervalSince(at)) <= span }.sorted()
        guard near.count + 1 >= repeatCases else { return false }
        let times = (near + [at]).sorted()
        // Spans starting at each time up to `at`: the one holding most cases has one at its start.
        for start in times where start <= at {
            let end = start + span
            guard end >= at else { continue }
            if times.filter({ $0 >= start && $0 <= end }).count >= repeatCases { return true }
        }
        return false
    }

    /// Reads the links of a case from the store.
    public static func read(_ c: Case, parties: Int, from store: any CaseStore) throws -> PartyLinks {
        let matches = parties == 0 ? [] : try store.partyMatches(caseID: c.id)
        let found = try store.find(ids: Array(Set(matches.map(\.caseID))).sorted())
        return PartyLinks(of: c, parties: parties, matches: matches, found: found)
    }
}

extension PartyKey {
    /// The key of this database's parties, checked against the id the database recorded: a
    /// missing or different file is an error saying so. A database that never had a key gets
    /// the file's (made when there is none). Plain numbers left by an older version are sealed
    /// here, then erased.
    public static func forDatabase(_ store: any StoreConnection, path: String = PartyKey.defaultPath) throws -> PartyKey {
        try opening(store, path: path).key
    }

    /// The same, saying how many parties' plain numbers it sealed.
    public static func opening(_ store: any StoreConnection, path: String = PartyKey.defaultPath) throws -> (key: PartyKey, sealed: Int) {
        let recorded = try store.cases.partyKeyID()
        let key: PartyKey
        do {
            key = try load(path: path, create: recorded == nil)
        } catch let e as StoreError where recorded != nil && !FileManager.default.fileExists(atPath: path) {
            throw StoreError(e.kind, "the parties' key \(path) is missing: this database's ID and phone numbers are sealed with key \(recorded!) and cannot be read without it; restore that file (or set WANGGE_KEY_FILE to where it is)")
        }
        if let recorded, recorded != key.id {
            throw StoreError(.schema, "the parties' key \(path) is key \(key.id), but this database's numbers are sealed with key \(recorded): give the right file (WANGGE_KEY_FILE)")
        }
        if recorded == nil { try store.cases.recordPartyKeyID(key.id) }
        return (key, try key.sealPlainNumbers(store.cases))
    }

    /// A case's parties, opened, and their other cases.
    public func parties(of c: Case, in store: any CaseStore) throws -> (parties: [Party], links: PartyLinks) {
        let parties = try store.parties(caseID: c.id).map(open)
        return (parties, try PartyLinks.read(c, parties: parties.count, from: store))
    }

    /// Seals every plain number an older database holds, a batch per transaction.
    func sealPlainNumbers(_ cases: any CaseStore) throws -> Int {
        var sealed = 0
        while true {
            let rows = try cases.plainParties(limit: 1_000)
            if rows.isEmpty { break }
            try cases.seal(try rows.map { r in
                (r.row, try r.phone.map { try seal($0, .phone) }, try r.idNumber.map { try seal($0, .idNumber) })
            })
            sealed += rows.count
        }
        if sealed > 0 { try cases.erasePlainRemains() }
        return sealed
    }
}
