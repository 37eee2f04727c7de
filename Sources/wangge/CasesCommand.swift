import ArgumentParser
import Cases
import Foundation
import Geo
import Grid

/// `wangge cases …` and `wangge alerts …`: intake, lifecycle, lists, figures and public tracking,
/// all with JSON output.
struct CasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cases",
        abstract: "Disputes: intake by location, lifecycle, lists, statistics, public tracking.",
        subcommands: [CasesAdd.self, CasesImport.self, CasesShow.self, CasesTransition.self, CasesList.self, CasesStats.self, CasesTrack.self, CasesOverdue.self])
}

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "alerts", abstract: "Camera alerts.", subcommands: [AlertsAdd.self])
}

extension DatabaseOption {
    func dispatcher() throws -> Dispatcher { try Dispatcher(store: try connection()) }
}

struct CasesImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import",
        abstract: "Import past cases: GeoJSON Points with category, channel, reported_at (RFC 3339) and optionally status, closed_at, level, priority, rating, description, external_id. All or nothing; records imported before (by external_id) are skipped.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "CRS of the file's coordinates.") var crs: InputCRS = .wgs84
    @Option(help: "Who imports it (for the history).") var actor = "import"
    @Argument(help: "GeoJSON file.") var file: String

    func run() throws {
        do {
            let records = try CaseHistoryReader(crs: crs.crs).read(try readFile(file))
            let d = try database.dispatcher()
            let r = try d.importHistory(records, actor: Actor(actor, source: "import"))
            var line = "imported \(r.imported) cases from \(file)"
            if r.skipped > 0 { line += "; \(r.skipped) imported before, skipped" }
            if r.unlocated > 0 { line += "; \(r.unlocated) in no grid (the county's queue)" }
            printOut(line)
        } catch { throw fail("cases import: \(file)", error) }
    }
}

struct CasesAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add",
        abstract: "Report a dispute; it is assigned by location and gets a tracking code.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "labour, land, neighbour, family, property, consumer, traffic, debt, other") var category: String
    @Option(help: "window, qr, patrol, hotline, camera, referral, petition") var channel: String
    @Option(help: "normal or urgent") var priority = "normal"
    @Option(help: "What happened.") var description: String
    @Option var lon: Double?
    @Option var lat: Double?
    @Option(help: "CRS of --lon/--lat: wgs84 or gcj02.") var crs: InputCRS = .wgs84
    @Option(help: "A household (address) id instead of lon/lat.") var household: Int64?
    @Option(help: "A camera id instead of lon/lat.") var camera: String?
    @Option(help: "A party as name,phone,id_number (repeatable; personal data).") var party: [String] = []
    @Option(help: "Who reports it (for the history).") var actor = "cli"

    func run() throws {
        try reporting("cases add") {
            guard let cat = Case.Category(rawValue: category) else { throw ValidationError("unknown category \(category)") }
            guard let ch = Case.Channel(rawValue: channel) else { throw ValidationError("unknown channel \(channel)") }
            guard let pr = Case.Priority(rawValue: priority) else { throw ValidationError("unknown priority \(priority)") }
            let location: IntakeRequest.Location
            switch (lon, lat, household, camera) {
            case let (x?, y?, nil, nil): location = .point(Position(x, y), crs.crs)
            case (nil, nil, let h?, nil): location = .household(h)
            case (nil, nil, nil, let c?): location = .camera(c)
            default: throw ValidationError("give the location once: --lon and --lat, or --household, or --camera")
            }
            let parties = party.map { p -> Party in
                let f = p.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
                return Party(name: f[0], phone: f.count > 1 && !f[1].isEmpty ? f[1] : nil, idNumber: f.count > 2 && !f[2].isEmpty ? f[2] : nil)
            }
            let d = try database.dispatcher()
            let c = try d.intake(IntakeRequest(category: cat, channel: ch, priority: pr, description: description, location: location, parties: parties),
                                 actor: Actor(actor, source: "cli"))
            printOut(try json(CaseView(c, d.unitNames)))
        }
    }
}

struct CasesShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A case with its parties and full history.")
    @OptionGroup var database: DatabaseOption
    @Argument(help: "Case id or tracking code.") var idOrCode: String

    func run() throws {
        try reporting("cases show") {
            let d = try database.dispatcher()
            let found = try Int64(idOrCode).flatMap { try d.cases.find(id: $0) } ?? d.cases.find(code: TrackingCode.normalise(idOrCode))
            guard let c = found else { throw CaseError(.notFound, "unknown case \(idOrCode)") }
            let (parties, links) = try d.partyKey.parties(of: c, in: d.cases)
            printOut(try json(CaseView(c, d.unitNames, parties: parties, links: links, events: try d.cases.events(caseID: c.id))))
        }
    }
}

struct CasesTransition: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transition",
        abstract: "Move a case on: assigned, accepted, mediating, resolved, escalated, closed, rated.")
    @OptionGroup var database: DatabaseOption
    @Argument(help: "Case id.") var id: Int64
    @Option(help: "The new state.") var to: String
    @Option var note: String?
    @Option(help: "Escalation: village, town, county, arbitration, court. Assignment: worker:ID or a level.") var target: String?
    @Option(help: "1–5, with --to rated.") var rating: Int?
    @Option(help: "Who acts (for the history).") var actor = "cli"

    func run() throws {
        try reporting("cases transition") {
            guard let state = Case.Status(rawValue: to) else {
                throw ValidationError("unknown state \(to); states: \(Case.Status.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let d = try database.dispatcher()
            let c = try d.transition(caseID: id, TransitionRequest(to: state, note: note, target: target, rating: rating), actor: Actor(actor, source: "cli"))
            printOut(try json(CaseView(c, d.unitNames)))
        }
    }
}

struct CasesList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Cases, newest first (no personal data).")
    @OptionGroup var database: DatabaseOption
    @Option var status: String?
    @Option var gridId: String?
    @Option var limit = 100

    func run() throws {
        try reporting("cases list") {
            let st = try status.map { s -> Case.Status in
                guard let x = Case.Status(rawValue: s) else { throw ValidationError("unknown status \(s)") }
                return x
            }
            let d = try database.dispatcher()
            printOut(try json(try d.cases.list(status: st, gridCode: gridId, limit: limit).map { CaseView($0, d.unitNames) }))
        }
    }
}

struct CasesStats: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats",
        abstract: "Received, resolved, closed, success, closure and on-time rates, median time to close, load, satisfaction.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "Period start (ISO 8601); a year ago when omitted.") var from: String?
    @Option(help: "Period end (ISO 8601, exclusive); now when omitted.") var to: String?
    @Option(help: "county, town, village, grid, category, channel") var by = "county"

    func run() throws {
        try reporting("cases stats") {
            guard let grouping = CaseGrouping(rawValue: by) else { throw ValidationError("unknown grouping \(by)") }
            let end = try time(to, option: "--to") ?? Date()
            let start = try time(from, option: "--from") ?? end - 365 * 86400
            let connection = try database.connection()
            let residents = Residents(try connection.grids.grids())
            printOut(try json(try connection.cases.figures(from: start, to: end, by: grouping).map { FiguresView($0, residents: residents.of($0.key, by: grouping)) }))
        }
    }
}

struct CasesTrack: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "track", abstract: "The public view of a case by its tracking code.")
    @OptionGroup var database: DatabaseOption
    @Argument(help: "Tracking code.") var code: String

    func run() throws {
        try reporting("cases track") {
            let d = try database.dispatcher()
            let (c, events, assists) = try d.cases.track(code: code)
            printOut(try json(TrackView(c, events, d.unitNames, assists: assists)))
        }
    }
}

struct CasesOverdue: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "overdue",
        abstract: "Flag cases past their deadlines; escalate those whose rule says so.")
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try reporting("cases overdue") {
            let d = try database.dispatcher()
            printOut(try json(try d.checkOverdue().map { CaseView($0, d.unitNames) }))
        }
    }
}

struct AlertsAdd: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add",
        abstract: "A camera alert: opens a case at the camera, or joins the open one of the same camera and type.")
    @OptionGroup var database: DatabaseOption
    @Option var camera: String
    @Option(help: "crowd_gathering, fight, fire_smoke, flood_level, intrusion, traffic_accident, other") var type: String
    @Option(help: "When (ISO 8601); now when omitted.") var at: String?
    @Option var snapshot: String?
    @Option(help: "Where a PTZ camera pointed (degrees clockwise from north): turns its view for this alert.") var bearing: Double?

    func run() throws {
        try reporting("alerts add") {
            let d = try database.dispatcher()
            let (c, merged) = try d.alert(AlertRequest(cameraID: camera, type: type, at: try time(at, option: "--at") ?? Date(),
                                                       snapshotURL: snapshot, bearing: bearing),
                                          actor: Actor("camera \(camera)", source: "camera"))
            printOut(try json(AlertView(merged: merged, case: CaseView(c, d.unitNames))))
        }
    }
}
