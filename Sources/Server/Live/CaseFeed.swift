import Cases
import Foundation
import Geo
import HTTPTypes
import Hummingbird
import Logging

/// The dispatch screen's live feed: Server-Sent Events of case changes. Each event is one row of the
/// append-only `case_events` table and carries its id, so a client that reconnects with
/// `Last-Event-ID` gets exactly what it missed — across server restarts too, and including changes
/// made by the CLI in another process. Each stream follows the table from its own cursor.
struct CaseFeed: Sendable {
    let readers: ReaderPool
    let logger: Logger
    static let pollInterval: Duration = .milliseconds(200)
    static let keepAlive: Duration = .seconds(15)

    /// `grids`: only cases in these grids (a worker's view); nil for all.
    func stream(after lastEventID: Int64?, grids: Set<String>?) async throws -> ResponseBody {
        let start: Int64
        if let lastEventID { start = lastEventID } else { start = try await readers.read { try $0.cases.lastEventID() } }
        let readers = self.readers
        return ResponseBody { writer in
            var cursor = start
            var quiet: Duration = .zero
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            while !Task.isCancelled {
                let from = cursor
                let batch = try await readers.read { r -> [(Int64, CaseEvent, Case)] in
                    let events = try r.cases.events(after: from, limit: 500)
                    var cases: [Int64: Case] = [:]
                    for e in events where cases[e.caseID] == nil { cases[e.caseID] = try r.cases.find(id: e.caseID) }
                    return events.compactMap { e in cases[e.caseID].map { (e.id, e.event, $0) } }
                }
                var out = ""
                for (id, event, c) in batch {
                    cursor = max(cursor, id)
                    if !grids.allows(c) { continue }
                    out += "id: \(id)\nevent: case\ndata: \(Self.payload(id, event, c))\n\n"
                }
                if let last = batch.last { cursor = max(cursor, last.0) }
                if !out.isEmpty {
                    try await writer.write(ByteBuffer(string: out))
                    quiet = .zero
                } else if quiet >= Self.keepAlive {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    quiet = .zero
                }
                try await Task.sleep(for: Self.pollInterval)
                quiet += Self.pollInterval
            }
            try await writer.finish(nil)
        }
    }

    /// One event: what happened, and the case as the map shows it (no personal data).
    static func payload(_ id: Int64, _ e: CaseEvent, _ c: Case) -> String {
        var props = c.mapFeature.properties
        props["location"] = .array([.number(c.position.lon), .number(c.position.lat)])
        var w = JSONWriter()
        w.value(.object(JSONObject([
            ("event_id", .integer(id)), ("action", .string(e.action)), ("at", .string(SpatiaLiteCaseStore.text(e.at))),
            ("from", e.from.map { .string($0.rawValue) } ?? .null), ("to", e.to.map { .string($0.rawValue) } ?? .null),
            ("unit", e.unit.json), ("case", .object(props))])))
        return w.text
    }
}
