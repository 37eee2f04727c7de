import Foundation
import Geo
import Grid

// The shapes of cases, figures and the public tracking view, written once for the CLI and the
// API; the OpenAPI document's schemas are inferred from their examples (`DocumentedShape`).

/// A case as those who handle it see it. `personal: false` (viewers) leaves out the free text
/// (the description, event notes and actors) along with the parties.
public struct CaseView: DocumentedShape, Sendable {
    public struct Assignee: Encodable, Sendable {
        var unit: String
        var unit_name: String
        var worker_id: Int64?
    }
    var id: Int64
    var code: String
    var category: String
    var channel: String
    var priority: String
    var status: String
    /// The steps allowed from this status (`POST …/transitions` with one of them as `to`).
    var next: [String]
    var grid_id: String?
    var level: String
    var assignee: Assignee
    /// Units called in beside the assignee (departments, committees), in a case's own view.
    @OmitIfNil var assisting: [Assignee]?
    var location: [Double]
    var reported_at: String
    var due_at: String?
    var flags: [String]
    var related_to: Int64?
    @OmitIfNil var alert_type: String?
    @OmitIfNil var alert_count: Int?
    @OmitIfNil var camera_id: String?
    /// A camera's case: the grid of its pole (`grid_id` is the grid it looks at).
    @OmitIfNil var pole_grid_id: String?
    /// The micro-grid (微网格) of its grid where it happened.
    @OmitIfNil var microgrid_id: String?
    /// An intake's answer: the micro-grid leader (微网格长), the first to the place; the assignee
    /// stays the grid worker on duty. No phone: the answer may go to a resident.
    @OmitIfNil var first_responder: Responder?
    @OmitIfNil var rating: Int?
    @OmitIfNil var description: String?
    @OmitIfNil var parties: [PartyView]?
    /// 案事件人员关联: the other cases of this case's parties (any grid), for those who see parties.
    @OmitIfNil var linked_cases: [LinkedCaseView]?
    @OmitIfNil var events: [EventView]?

    public struct Responder: Encodable, Sendable {
        var worker_id: Int64
        var name: String
        var role: String
    }

    public init(_ c: Case, _ names: UnitNames, personal: Bool = true, parties: [Party]? = nil, links: PartyLinks? = nil, events: [CaseEvent]? = nil,
                assists: [CaseAssist]? = nil, firstResponder: Worker? = nil) {
        microgrid_id = c.microgridCode
        first_responder = firstResponder.map { Responder(worker_id: $0.id, name: $0.name, role: $0.role.rawValue) }
        assisting = assists.map { $0.map { Assignee(unit: $0.unit, unit_name: names.name($0.unit), worker_id: nil) } }
        id = c.id
        code = c.code
        category = c.category.rawValue
        channel = c.channel.rawValue
        priority = c.priority.rawValue
        status = c.status.rawValue
        next = c.status.next.map(\.rawValue)
        grid_id = c.gridCode
        level = c.level.rawValue
        assignee = Assignee(unit: c.unit, unit_name: names.name(c.unit), worker_id: c.workerID)
        location = [c.position.lon, c.position.lat]
        reported_at = ChinaTime.text(c.reportedAt)
        due_at = c.dueAt.map(ChinaTime.text)
        flags = [c.unlocated ? "unlocated" : nil, c.overdue ? "overdue" : nil, c.groupDispute ? "group_dispute" : nil].compactMap { $0 }
        related_to = c.relatedTo
        alert_type = c.alertType
        alert_count = c.alertType == nil ? nil : c.alertCount
        camera_id = c.cameraID
        pole_grid_id = c.cameraID == nil ? nil : c.poleGridCode
        rating = c.rating
        description = personal ? c.description : nil
        self.parties = personal ? parties?.enumerated().map { k, p in
            PartyView(p, other_cases: links.map { $0.cases[k].count }, repeat_party: links.map { $0.repeatParty[k] })
        } : nil
        linked_cases = personal ? links?.linked.map { LinkedCaseView($0.case, parties: $0.parties) } : nil
        self.events = events?.map { EventView($0, personal: personal) }
    }

    public static var examples: [CaseView] {
        let names = UnitNames(boundaries: [])
        let event = CaseEvent(at: Date(timeIntervalSince1970: 0), actor: "clerk", source: "api", action: "transition", from: .reported,
                              to: .assigned, unit: "grid:511725001001001", note: "note")
        var other = Case.example
        other.id = 4
        let links = PartyLinks(of: .example, parties: 2, matches: [PartyMatch(party: 0, caseID: 4)], found: [other])
        return [CaseView(.example, names, parties: [Party(name: "王伟", phone: "13900000000", idNumber: "510000199001011234"), Party(name: "李娜")],
                         links: links, events: [event, CaseEvent(at: event.at, actor: "system", source: "dispatch", action: "reported")],
                         assists: [CaseAssist(unit: "department:511725:hrss", at: event.at)],
                         firstResponder: Worker(id: 9, name: "张敏", role: .microgridLeader, phone: "")),
                CaseView(.unlocatedExample, names, personal: false, events: [event]),
                CaseView(.example, names)]   // as lists show it: no parties, no events
    }
}

extension Case {
    /// A case with every optional field set, for the shapes' examples.
    static let example = Case(
        id: 7, code: "7QE8-YJ65-MXBZ", category: .neighbour, channel: .camera, priority: .urgent, description: "邻里噪音",
        position: Position(106.97, 30.84), householdID: 3, cameraID: "C1", alertType: "fight", alertCount: 2, snapshotURL: nil,
        gridCode: "511725001001001", level: .grid, unit: "grid:511725001001001", workerID: 17, status: .rated, unlocated: false,
        overdue: true, groupDispute: true, relatedTo: 5, reportedAt: Date(timeIntervalSince1970: 0), acceptBy: nil, arriveBy: nil,
        dueAt: Date(timeIntervalSince1970: 86400), acceptedAt: nil, resolvedAt: nil, closedAt: nil, rating: 5, poleGridCode: "511725001001002",
        microgridCode: "511725001001001003")
    /// And one with none: in no grid, in the county's queue.
    static let unlocatedExample: Case = {
        var c = example
        c.gridCode = nil; c.workerID = nil; c.dueAt = nil; c.relatedTo = nil; c.alertType = nil; c.cameraID = nil; c.rating = nil; c.microgridCode = nil
        c.unlocated = true; c.level = .county; c.unit = "county:511725"; c.status = .reported
        return c
    }()
}

public struct PartyView: Encodable, Sendable {
    var name: String
    var phone: String?
    var id_number: String?
    /// How many other cases hold this party (its ID or phone number).
    @OmitIfNil var other_cases: Int?
    /// In 3 or more cases within one span of 12 months, this one among them.
    @OmitIfNil var repeat_party: Bool?
    init(_ p: Party, other_cases: Int? = nil, repeat_party: Bool? = nil) {
        name = p.name
        phone = p.phone
        id_number = p.idNumber
        self.other_cases = other_cases
        self.repeat_party = repeat_party
    }
}

/// Another case of a case's parties: what a dispatcher needs to open it.
public struct LinkedCaseView: Encodable, Sendable {
    var id: Int64
    var code: String
    var category: String
    var status: String
    var grid_id: String?
    var reported_at: String
    /// Which of this case's parties (their places in `parties`) appear in it.
    var parties: [Int]
    init(_ c: Case, parties: [Int]) {
        id = c.id
        code = c.code
        category = c.category.rawValue
        status = c.status.rawValue
        grid_id = c.gridCode
        reported_at = ChinaTime.text(c.reportedAt)
        self.parties = parties
    }
}

/// One entry of a case's history; without the actor and the note for those who may not see
/// personal data (a note is free text).
public struct EventView: Encodable, Sendable {
    var at: String
    var actor: String?
    var source: String
    var action: String
    var from: String?
    var to: String?
    var unit: String?
    var note: String?
    init(_ e: CaseEvent, personal: Bool) {
        at = ChinaTime.text(e.at)
        actor = personal ? e.actor : nil
        source = e.source
        action = e.action
        from = e.from?.rawValue
        to = e.to?.rawValue
        unit = e.unit
        // A move's note is the system's own words (grids and version), shown to everyone.
        note = personal || e.action == "moved" ? e.note : nil
    }
}

/// A page of cases.
public struct CaseListView: DocumentedShape, Sendable {
    var number_matched: Int
    var cases: [CaseView]
    public init(matched: Int, cases: [CaseView]) { number_matched = matched; self.cases = cases }
    public static var examples: [CaseListView] { [CaseListView(matched: 2, cases: CaseView.examples)] }
}

/// A camera alert's answer: the case it opened or joined.
public struct AlertView: DocumentedShape, Sendable {
    var merged: Bool
    var `case`: CaseView
    public init(merged: Bool, case c: CaseView) { self.merged = merged; self.case = c }
    public static var examples: [AlertView] { CaseView.examples.map { AlertView(merged: true, case: $0) } }
}

/// The centre's figures for one group, rates to three decimals.
public struct FiguresView: DocumentedShape, Sendable {
    var key: String
    /// The unit's name, when grouped by unit.
    var name: String?
    var received: Int
    var resolved: Int
    var closed: Int
    var open: Int
    var success_rate: Double?
    var closure_rate: Double?
    var on_time_rate: Double?
    var median_hours_to_close: Double?
    var open_load_per_worker: Double?
    var satisfaction: Double?
    var petitions: Int
    var court: Int
    /// Accepted by the time to accept, of those received.
    var accepted_on_time_rate: Double?
    var urgent: Int
    /// 3必到: urgent cases accepted by the time to arrive, of the urgent.
    var urgent_arrival_rate: Double?
    var reopened: Int
    var reopened_share: Double?
    /// Residents of the unit (from its grids), when the grouping is a place.
    var residents: Int?
    /// 万人诉讼率: cases that went to court per 10,000 residents.
    var court_per_10k: Double?
    /// 万人信访率: petitions per 10,000 residents.
    var petitions_per_10k: Double?

    public init(_ f: CaseFigures, residents: Int? = nil, name: String? = nil) {
        func rate(_ x: Double?) -> Double? { x.map { ($0 * 1000).rounded() / 1000 } }
        key = f.key
        self.name = name
        received = f.received
        resolved = f.resolved
        closed = f.closed
        open = f.open
        success_rate = rate(f.successRate)
        closure_rate = rate(f.closureRate)
        on_time_rate = rate(f.onTimeRate)
        median_hours_to_close = f.medianHoursToClose.map { ($0 * 10).rounded() / 10 }
        open_load_per_worker = rate(f.openLoadPerWorker)
        satisfaction = rate(f.satisfaction)
        petitions = f.petitions
        court = f.court
        accepted_on_time_rate = rate(f.acceptedOnTimeRate)
        urgent = f.urgent
        urgent_arrival_rate = rate(f.urgentArrivalRate)
        reopened = f.reopened
        reopened_share = rate(f.reopenedShare)
        self.residents = residents
        let per10k = { (n: Int) -> Double? in residents.flatMap { $0 > 0 ? (Double(n) * 10_000 / Double($0) * 1000).rounded() / 1000 : nil } }
        court_per_10k = per10k(f.court)
        petitions_per_10k = per10k(f.petitions)
    }

    public static var examples: [FiguresView] {
        [FiguresView(CaseFigures(key: "511725", received: 4, resolved: 2, closed: 3, finished: 3, onTime: 3, open: 1, workersWithOpenCases: 1,
                                 medianHoursToClose: 3.25, satisfaction: 4.5), residents: 1000),
         FiguresView(CaseFigures(key: "committee:511725:labour", received: 2), name: "渠县劳动争议人民调解委员会")]
    }
}

/// Figures for a period.
public struct StatsView: DocumentedShape, Sendable {
    var from: String
    var to: String
    var by: String
    var figures: [FiguresView]
    public init(from: Date, to: Date, by: CaseGrouping, figures: [CaseFigures], residents: Residents? = nil, names: UnitNames? = nil) {
        self.from = ChinaTime.text(from)
        self.to = ChinaTime.text(to)
        self.by = by.rawValue
        self.figures = figures.map { FiguresView($0, residents: residents?.of($0.key, by: by), name: by == .unit ? names?.name($0.key) : nil) }
    }
    public static var examples: [StatsView] {
        [StatsView(from: Date(timeIntervalSince1970: 0), to: Date(timeIntervalSince1970: 86400), by: .county,
                   figures: [CaseFigures(key: "511725", received: 1), CaseFigures(key: "none")])]
    }
}

/// The public view by tracking code: no names, phones, IDs, actors or notes.
public struct TrackView: DocumentedShape, Sendable {
    struct Step: Encodable, Sendable {
        var at: String
        var action: String
        var status: String?
        var unit: String
    }
    var code: String
    var status: String
    var category: String
    var reported_at: String
    var handling_unit: String
    /// Units called in beside the one that handles it (departments, committees).
    var assisting_units: [String]
    /// The party's rating (1–5), once given.
    var rating: Int?
    var timeline: [Step]

    public init(_ c: Case, _ events: [CaseEvent], _ names: UnitNames, assists: [CaseAssist] = []) {
        code = c.code
        status = c.status.rawValue
        category = c.category.rawValue
        reported_at = ChinaTime.text(c.reportedAt)
        handling_unit = names.name(c.unit)
        assisting_units = assists.map { names.name($0.unit) }
        rating = c.rating
        timeline = events.map { Step(at: ChinaTime.text($0.at), action: $0.action, status: $0.to?.rawValue, unit: $0.unit.map(names.name) ?? "") }
    }

    public static var examples: [TrackView] {
        let e = [CaseEvent(at: Date(timeIntervalSince1970: 0), actor: "a", source: "s", action: "reported", to: .reported, unit: "county:511725"),
                 CaseEvent(at: Date(timeIntervalSince1970: 0), actor: "a", source: "s", action: "alert merged")]
        return [TrackView(.unlocatedExample, e, UnitNames(boundaries: []))]
    }
}

/// A committee or department as listed: what it takes, and what new cases go to it by rule.
public struct UnitView: DocumentedShape, Sendable {
    var code: String
    var kind: String
    var area: String
    var name: String
    var level: String
    var categories: [String]
    var routes: [String]
    public init(_ u: HandlingUnit) {
        code = u.code
        kind = u.kind.rawValue
        area = u.area
        name = u.name
        level = u.level.rawValue
        categories = u.categories.map(\.rawValue)
        routes = u.routes.map(\.rawValue)
    }
    public static var examples: [UnitView] {
        [UnitView(HandlingUnit(kind: .committee, area: "511725", key: "labour", name: "渠县劳动争议人民调解委员会", categories: [.labour], routes: [.labour]))]
    }
}

public struct UnitListView: DocumentedShape, Sendable {
    var units: [UnitView]
    public init(_ units: [HandlingUnit]) { self.units = units.map(UnitView.init) }
    public static var examples: [UnitListView] { [UnitListView([])] + [UnitListView([HandlingUnit(kind: .department, area: "511725", key: "hrss", name: "渠县人力资源和社会保障局", categories: [.labour])])] }
}
