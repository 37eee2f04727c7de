import Cases
import Foundation
import Hummingbird
import Media

/// What residents use without an account, and what the centres print for them: the report codes
/// of villages, communities and grids.
struct ResidentsController {
    let state: ServerState

    func register(on router: Router<WanggeContext>) {
        router.get("/api/qr/{file}") { request, context in try qr(request, context) }
    }

    /// `/api/qr/511725001001.svg` (or `.png`): the unit's card, its link to this server's report page.
    private func qr(_ request: Request, _ context: WanggeContext) throws -> Response {
        _ = try context.require(.viewer, .dispatcher, .planner)
        let file = try context.parameters.require("file")
        let (code, kind) = (file.split(separator: ".").first.map(String.init) ?? "", file.split(separator: ".").dropFirst().joined(separator: "."))
        guard kind == "svg" || kind == "png" else { throw Problem.notFound("\(file): a code is CODE.svg or CODE.png") }
        guard let unit = ReportUnit(code: code, in: state.territory) else {
            throw Problem.notFound("no village, community or grid \(code) (a 12- or 15-digit code of this database)")
        }
        let card = try ReportCodeCard(url: unit.reportURL(base: request.baseURL), title: unit.title, subtitle: unit.subtitle)
        let bytes = kind == "svg" ? Array(card.svg.utf8) : try card.png()
        return Response(status: .ok, headers: [.contentType: kind == "svg" ? "image/svg+xml" : "image/png", .cacheControl: "private, max-age=3600"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
