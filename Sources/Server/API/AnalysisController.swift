import Cases
import Foundation
import Grid
import Hummingbird

/// Analysis for leaders' screens (一屏观城乡): emerging hot spots and early warnings (预测预警).
struct AnalysisController {
    let state: ServerState

    func register(on router: Router<WanggeContext>) {
        router.get("/api/hotspots") { request, context in try await hotspots(request, context) }
        router.get("/api/warnings") { request, context in try await warnings(request, context) }
        router.get("/api/reports/{name}") { request, context in try await report(request, context) }
    }

    /// A request's from, to, bin and category; every other parameter refused.
    static func hotSpotRequest(_ pairs: [(String, String)]) throws -> HotSpotRequest {
        var from: Date?, to: Date?, bin: TimeBin?, category: Case.Category?
        for (key, value) in pairs {
            switch key {
            case "from", "to":
                let d = try Parameters.time(key, value)
                if key == "from" { from = d } else { to = d }
            case "bin":
                guard let b = TimeBin(rawValue: value) else {
                    throw Problem.badRequest("bin must be one of \(TimeBin.allCases.map(\.rawValue).joined(separator: ", ")), not \(value)", type: "bad-parameter")
                }
                bin = b
            case "category":
                guard let c = Case.Category(rawValue: value) else {
                    throw Problem.badRequest("unknown category \(value); one of \(Case.Category.allCases.map(\.rawValue).joined(separator: ", "))", type: "bad-parameter")
                }
                category = c
            default: throw Problem.badRequest("unknown parameter \(key); use from, to, bin, category", type: "bad-parameter")
            }
        }
        guard let from, let to else { throw Problem.badRequest("from and to are required", type: "bad-parameter") }
        let r = HotSpotRequest(from: from, to: to, bin: bin ?? .week, category: category)
        do { _ = try r.bins() } catch let e as CaseError { throw Problem.badRequest(e.reason, type: "bad-parameter") }
        return r
    }

    private func hotspots(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.viewer, .dispatcher, .planner)
        let r = try Self.hotSpotRequest(request.queryPairs)
        let (grids, adjacency) = try state.adjacency()
        let prefix = who.area?.code
        let analysis = try await state.readers.read { try EmergingHotSpots.read(r, grids: grids, adjacency: adjacency, gridPrefix: prefix, from: $0.cases) }
        let body = try HotSpotsView(analysis, request: r).geoJSON()
        return Response(status: .ok, headers: [.contentType: "application/geo+json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func warnings(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.viewer, .dispatcher, .planner)
        if let key = request.queryPairs.first?.0 { throw Problem.badRequest("unknown parameter \(key); /api/warnings takes none", type: "bad-parameter") }
        let (grids, adjacency) = try state.adjacency()
        let area = who.area
        let w = try await state.readers.read { r -> (EarlyWarnings, Int) in
            let threshold = try r.cases.rules().groupPartyThreshold
            return (try EarlyWarnings.read(now: Date(), grids: grids, adjacency: adjacency, gridPrefix: area?.code, area: area,
                                           groupThreshold: threshold, from: r.cases), threshold)
        }
        return try JSONResponse.make(WarningsView(w.0, groupThreshold: w.1))
    }

    /// The month of a report's name (`2026-11.pdf`, `2026-11.html`) and whether it is the PDF.
    static let printing = DispatchQueue(label: "wangge.reports.print")

    static func reportName(_ name: String) throws -> (ReportMonth, pdf: Bool) {
        let pdf = name.hasSuffix(".pdf")
        guard pdf || name.hasSuffix(".html") else { throw Problem.notFound("no report \(name): ask for YYYY-MM.pdf or YYYY-MM.html") }
        let text = String(name.dropLast(pdf ? 4 : 5))
        guard let month = ReportMonth(text) else {
            throw Problem.badRequest("\(text) is not a month: write it as 2026-11 (a year from 2000 to 2100, a month from 01 to 12)", type: "bad-parameter")
        }
        return (month, pdf)
    }

    private func report(_ request: Request, _ context: WanggeContext) async throws -> Response {
        let who = try context.require(.viewer, .dispatcher, .planner)
        let (month, pdf) = try Self.reportName(try context.parameters.require("name"))
        if let key = request.queryPairs.first?.0 { throw Problem.badRequest("unknown parameter \(key); a report takes none", type: "bad-parameter") }
        if let area = who.area, area.code.utf8.count != 6 {
            throw Problem(.forbidden, "forbidden", "the monthly report covers a county; this token is limited to \(area.code)")
        }
        let (grids, adjacency) = try state.adjacency()
        let county = who.area?.code
        let html: String
        do {
            html = try await state.readers.read { r in
                try ReportHTML(try MonthlyReport.read(month, county: county, grids: grids, adjacency: adjacency,
                                                      boundaries: try r.grids.boundaries(), from: r.cases)).html()
            }
        } catch let e as CaseError where e.kind == .invalid {
            throw Problem.badRequest(e.reason, type: "bad-parameter")
        }
        guard pdf else {
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        // One Chromium at a time (each takes a few hundred MB): more requests wait their turn.
        let bytes = try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8], Error>) in
            Self.printing.async { c.resume(with: Result { try PDFPrinter.pdf(html: html) }) }
        }
        var headers: HTTPFields = [.contentType: "application/pdf"]
        headers[.contentDisposition] = "inline; filename=\"wangge-report-\(month).pdf\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
