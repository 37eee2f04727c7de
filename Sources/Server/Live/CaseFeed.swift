import Cases
import Foundation
import Geo
import HTTPTypes
import Hummingbird
import Logging

/// The dispatch screen's live feed: Server-Sent Events of what the change feed publishes. A case
/// event is one row of the append-only `case_events` and carries its id, so a client that
/// reconnects with `Last-Event-ID` gets exactly what it missed (read from the database, across
/// restarts too), then the live events; a new grid layer is an `event: layer` without an id.
/// No stream reads the database while it follows: the process's one follower does.
struct CaseFeed: Sendable {
    let readers: ReaderPool
    let feed: ChangeFeed
    /// Returns once the server serves a layer version: a client told of a new layer and asking
    /// for it at once must get it.
    let layerServed: @Sendable (Int) async -> Void
    static let keepAlive: Duration = .seconds(15)

    private enum Item: Sendable { case changes([Change]), tick }

    /// `scope`: only the cases the caller sees (a worker's grids, a token's area); `positionsOf`:
    /// the workers whose positions it is sent (`event: position`; nil for none).
    func stream(after lastEventID: Int64?, scope: Scope, positionsOf: Set<Int64>? = nil) async throws -> ResponseBody {
        // Subscribe first, then replay up to where the subscription began: nothing falls between.
        // A client too slow for its buffer is not given a gap: its stream ends, and it reconnects
        // with Last-Event-ID and gets the rest from the database.
        let (items, input) = AsyncStream<Item>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let (subscription, position) = feed.subscribe { changes in
            if case .dropped = input.yield(.changes(changes)) { input.finish() }
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.keepAlive)
                input.yield(.tick)
            }
        }
        input.onTermination = { _ in ticker.cancel(); subscription.cancel() }
        let start = lastEventID ?? position.caseEvent
        let readers = self.readers
        return ResponseBody { writer in
            defer { input.finish() }
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            var cursor = start
            while cursor < position.caseEvent {
                let from = cursor
                let page = try await readers.read { r -> [(RecordedEvent, Case)] in
                    let events = try r.cases.events(after: from, limit: 500).filter { $0.id <= position.caseEvent }
                    let cases = Dictionary(try r.cases.find(ids: Array(Set(events.map(\.caseID)))).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                    return events.compactMap { e in cases[e.caseID].map { (e, $0) } }
                }
                guard let last = page.last else { break }
                cursor = last.0.id
                let text = page.filter { scope.allows($0.1) }.map { Self.frame($0.0, $0.1) }.joined()
                if !text.isEmpty { try await writer.write(ByteBuffer(string: text)) }
            }
            cursor = max(cursor, position.caseEvent)
            for await item in items {
                var text = ""
                switch item {
                case .tick: text = ": keep-alive\n\n"
                case .changes(let changes):
                    for change in changes {
                        switch change {
                        case .caseEvent(let e, let c):
                            guard e.id > cursor else { continue }
                            cursor = e.id
                            if scope.allows(c) { text += Self.frame(e, c) }
                        case .layer(let v):
                            await layerServed(v)
                            text += "event: layer\ndata: {\"layer_version\":\(v)}\n\n"
                        case .positions(let ps):
                            guard let positionsOf else { continue }
                            for p in ps where positionsOf.contains(p.workerID) { text += Self.frame(p) }
                        case .plans, .tokens, .units: break
                        }
                    }
                }
                if !text.isEmpty { try await writer.write(ByteBuffer(string: text)) }
            }
            try await writer.finish(nil)
        }
    }

    static func frame(_ p: WorkerPosition) -> String {
        var w = JSONWriter()
        w.value(PositionView(p).json)
        return "event: position\ndata: \(w.text)\n\n"
    }

    static func frame(_ e: RecordedEvent, _ c: Case) -> String {
        "id: \(e.id)\nevent: case\ndata: \(payload(e.id, e.event, c))\n\n"
    }

    /// One event: what happened, and the case as the map shows it (no personal data).
    static func payload(_ id: Int64, _ e: CaseEvent, _ c: Case) -> String {
        var props = c.mapFeature.properties
        props["location"] = .array([.number(c.position.lon), .number(c.position.lat)])
        var w = JSONWriter()
        w.value(.object(JSONObject([
            ("event_id", .integer(id)), ("action", .string(e.action)), ("at", .string(ChinaTime.text(e.at))),
            ("from", e.from.map { .string($0.rawValue) } ?? .null), ("to", e.to.map { .string($0.rawValue) } ?? .null),
            ("unit", e.unit.json), ("note", e.action == "moved" ? e.note.json : .null), ("case", .object(props))])))
        return w.text
    }
}
