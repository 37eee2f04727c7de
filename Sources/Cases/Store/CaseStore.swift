import Foundation
import Geo
import Grid

/// Where cases, their parties and their append-only events are kept. A backend implements it over
/// the same connection as its `GridStore` (a publish moves open cases in the same transaction).
public protocol CaseStore: AnyObject {
    /// Deadlines per category and priority, and the dispatch settings, read once per dispatcher.
    func rules() throws -> CaseRules

    /// Stores a new case with its parties and first events; returns it with its id and the ids of
    /// its events. A tracking code already in use is a `.conflict`.
    func insert(_ c: Case, parties: [StoredParty], events: [CaseEvent]) throws -> (Case, events: ClosedRange<Int64>)
    /// Saves a changed case with the events that record the change.
    func update(_ c: Case, events: [CaseEvent]) throws

    func find(id: Int64) throws -> Case?
    func find(ids: [Int64]) throws -> [Case]
    func find(code: String) throws -> Case?
    /// A case's parties in the order they were given, their numbers sealed.
    func parties(caseID: Int64) throws -> [StoredParty]
    /// Other cases in which a party of this case appears (the same ID or phone number, by its
    /// keyed hash), any grid: `party` is the party's place in `parties(caseID:)`.
    func partyMatches(caseID: Int64) throws -> [PartyMatch]
    /// Which of these external ids (a provincial system's) were imported already.
    func importedIDs(among ids: [String]) throws -> Set<String>
    /// Records the external id of an imported case (in the import's transaction).
    func remember(externalID: String, caseID: Int64) throws
    /// The id of the key the parties' numbers are sealed with, once recorded.
    /// A resident's photo of the case, as re-encoded (no metadata).
    func attach(_ photo: CasePhoto, caseID: Int64, at: Date) throws
    func photos(caseID: Int64) throws -> [CasePhoto]
    /// The digest of the one-time key with which the party rates the case once it is closed.
    func remember(ratingKeyDigest: String, caseID: Int64) throws
    func ratingKeyDigest(caseID: Int64) throws -> String?
    /// The committees and departments (`Unit`), and the routing rules they carry.
    func units() throws -> [HandlingUnit]
    /// Stores units (a unit already there by code is replaced), in one transaction.
    func save(units: [HandlingUnit]) throws
    /// The units called in to assist with a case, in the order they were.
    func assists(caseID: Int64) throws -> [CaseAssist]
    /// Records a unit called in (in the step's transaction); one already assisting is kept as it was.
    func add(_ assist: CaseAssist, caseID: Int64) throws
    func partyKeyID() throws -> String?
    func recordPartyKeyID(_ id: String) throws
    /// Party rows of an older database whose numbers are still plain (at most `limit`).
    func plainParties(limit: Int) throws -> [PlainParty]
    /// Replaces those rows' plain numbers by sealed ones, in one transaction.
    func seal(_ rows: [(row: Int64, phone: SealedNumber?, idNumber: SealedNumber?)]) throws
    /// Removes what the database may still hold of replaced plain numbers (old page images, dead
    /// row versions). Outside any transaction.
    func erasePlainRemains() throws
    /// Parties of a group of linked cases: the root and every case linked to it.
    func groupPartyCount(root: Int64) throws -> Int
    /// The case an intake's `Idempotency-Key` made, and the fingerprint of that request.
    func idempotentCase(key: String) throws -> (caseID: Int64, fingerprint: String)?
    /// Records the case an `Idempotency-Key` made (in the intake's transaction).
    func remember(key: String, fingerprint: String, caseID: Int64, at: Date) throws
    func events(caseID: Int64) throws -> [CaseEvent]
    /// One page of cases matching a query, with how many match in all (when asked).
    func page(_ q: CaseQuery, count: Bool) throws -> (cases: [Case], matched: Int)
    /// Case events after `id`, oldest first (the live feed's replay and its follower read these).
    func events(after id: Int64, limit: Int) throws -> [RecordedEvent]
    /// Every open case, as linking related cases needs it.
    func openCases() throws -> [OpenCase]
    /// The open alert case of a camera and type reported since `since`, if any.
    func openAlert(cameraID: String, type: String, since: Date) throws -> Case?
    /// Open cases past a deadline and not yet flagged.
    func newlyOverdue(now: Date) throws -> [Case]
    func count() throws -> Int
    /// Cases reported per grid and bin: `bins` are consecutive [start, end) intervals; only cases
    /// in a grid (of the category, when given; in grids whose code starts with `gridPrefix`).
    func binnedCounts(_ bins: [DateInterval], category: Case.Category?, gridPrefix: String?) throws -> [BinCount]
    /// Figures of the cases reported in [from, to) (those an area holds, when given), grouped.
    func figures(from: Date, to: Date, by grouping: CaseGrouping, area: Area?) throws -> [CaseFigures]
}

extension CaseStore {
    public func figures(from: Date, to: Date, by grouping: CaseGrouping) throws -> [CaseFigures] {
        try figures(from: from, to: to, by: grouping, area: nil)
    }
    public func list(status: Case.Status? = nil, gridCode: String? = nil, limit: Int = 100, offset: Int = 0) throws -> [Case] {
        var q = CaseQuery(limit: limit, offset: offset)
        q.statuses = status.map { [$0] } ?? []
        q.gridCodes = gridCode.map { [$0] }
        return try page(q, count: false).cases
    }
    public func page(_ q: CaseQuery) throws -> (cases: [Case], matched: Int) { try page(q, count: true) }
}

/// One row of the append-only event record: its id (the feed's position), its case, the event.
public struct RecordedEvent: Sendable {
    public var id: Int64
    public var caseID: Int64
    public var event: CaseEvent
    public init(id: Int64, caseID: Int64, event: CaseEvent) {
        self.id = id
        self.caseID = caseID
        self.event = event
    }
}

/// How many cases one grid had in one bin.
public struct BinCount: Sendable, Hashable {
    public var grid: String
    public var bin: Int
    public var count: Int
    public init(grid: String, bin: Int, count: Int) {
        self.grid = grid
        self.bin = bin
        self.count = count
    }
}

/// A party of a case found in another case.
public struct PartyMatch: Sendable, Hashable {
    public var party: Int
    public var caseID: Int64
    public init(party: Int, caseID: Int64) {
        self.party = party
        self.caseID = caseID
    }
}

/// What linking related cases needs of an open case.
public struct OpenCase: Sendable {
    public let id: Int64
    public let category: Case.Category
    public let relatedTo: Int64?
    public let position: Position
    public let reportedAt: Date
    public init(id: Int64, category: Case.Category, relatedTo: Int64?, position: Position, reportedAt: Date) {
        self.id = id
        self.category = category
        self.relatedTo = relatedTo
        self.position = position
        self.reportedAt = reportedAt
    }
    public init(_ c: Case) { self.init(id: c.id, category: c.category, relatedTo: c.relatedTo, position: c.position, reportedAt: c.reportedAt) }
}

/// `unit`: the unit that has the case now (a grid, a centre, a committee or department).
public enum CaseGrouping: String, Sendable, CaseIterable { case county, town, village, grid, category, channel, unit }

/// What to list: every field optional; `gridCodes` nil means any grid (empty means none).
/// A photo kept with a case: an image re-encoded by the server, never the bytes a phone sent.
public struct CasePhoto: Sendable, Hashable {
    public var contentType: String
    public var width: Int
    public var height: Int
    public var bytes: [UInt8]
    public init(contentType: String, width: Int, height: Int, bytes: [UInt8]) {
        self.contentType = contentType
        self.width = width
        self.height = height
        self.bytes = bytes
    }
}

public struct CaseQuery: Sendable {
    public var statuses: [Case.Status] = []
    public var gridCodes: [String]?
    public var category: Case.Category?
    /// Any of these (none: any).
    public var categories: [Case.Category] = []
    public var channel: Case.Channel?
    public var workerID: Int64?
    public var overdue: Bool?
    public var reportedFrom: Date?
    public var reportedTo: Date?
    public var bbox: BoundingBox?
    /// Cases of one county (a prefecture's database holds several).
    public var county: String?
    /// Cases the units of an area have (`Area.holds`).
    public var area: Area?
    /// Cases a unit leads or assists with (a committee's or department's token).
    public var unit: String?
    /// A checked CQL2 filter on the case features' properties (the cases collection's queryables) and `geometry`.
    public var filter: Filter?
    /// Newest first (lists for people); oldest first pages stably while cases arrive (map clients).
    public var newestFirst = true
    public var limit: Int
    public var offset: Int
    public init(limit: Int = 100, offset: Int = 0) { self.limit = limit; self.offset = offset }
}

/// The rules a dispatcher applies, as the database holds them: time to accept, to arrive and to
/// resolve per category and priority, and the dispatch settings. A value: read once, shared.
public struct CaseRules: Sendable {
    public struct Deadline: Sendable, Hashable {
        public var accept: TimeInterval
        public var arrive: TimeInterval?
        public var resolve: TimeInterval
        public var autoEscalate: Bool
        public init(accept: TimeInterval, arrive: TimeInterval?, resolve: TimeInterval, autoEscalate: Bool) {
            self.accept = accept
            self.arrive = arrive
            self.resolve = resolve
            self.autoEscalate = autoEscalate
        }
    }
    public var deadlines: [String: Deadline]
    /// Metres and hours within which a new dispute is related to an open one.
    public var relatedDistance: Double
    public var relatedWindowHours: Double
    /// Parties in a group of related disputes from which it is a group dispute (群体性).
    public var groupPartyThreshold: Int
    public var alertDedupeMinutes: Double

    public init(deadlines: [String: Deadline], relatedDistance: Double = 300, relatedWindowHours: Double = 72,
                groupPartyThreshold: Int = 5, alertDedupeMinutes: Double = 30) {
        self.deadlines = deadlines
        self.relatedDistance = relatedDistance
        self.relatedWindowHours = relatedWindowHours
        self.groupPartyThreshold = groupPartyThreshold
        self.alertDedupeMinutes = alertDedupeMinutes
    }

    /// The rules from the `case_settings` table's keys (a missing key keeps its default).
    public init(deadlines: [String: Deadline], settings: [String: Double]) {
        self.init(deadlines: deadlines)
        if let v = settings["related_distance_m"] { relatedDistance = v }
        if let v = settings["related_window_hours"] { relatedWindowHours = v }
        if let v = settings["group_party_threshold"] { groupPartyThreshold = Int(v) }
        if let v = settings["alert_dedupe_minutes"] { alertDedupeMinutes = v }
    }

    public static func key(_ c: Case.Category, _ p: Case.Priority) -> String { "\(c.rawValue)/\(p.rawValue)" }

    public func deadline(_ c: Case.Category, _ p: Case.Priority) throws -> Deadline {
        guard let d = deadlines[Self.key(c, p)] else { throw CaseError(.invalid, "no deadline rule for \(c.rawValue)/\(p.rawValue)") }
        return d
    }
}
