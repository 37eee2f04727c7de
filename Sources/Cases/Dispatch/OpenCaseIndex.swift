import Foundation
import Geo

/// The open cases by category and place, in memory, for linking a new dispute to an open one
/// nearby (related cases). Asking the database instead cost a quarter of an intake: in a busy town
/// the search box holds hundreds of open cases of a category.
///
/// Kept in step with the database through `case_events`, the append-only record of every change:
/// before each lookup it reads the events it has not seen (another process, the CLI, may have
/// added or closed cases) and refreshes the cases they name. Its owner's own intakes go in directly,
/// and move the mark past their events when nothing else was written in between. Owned by one
/// `Dispatcher`; not thread-safe.
final class OpenCaseIndex {
    struct Entry {
        let id: Int64
        let relatedTo: Int64?
        let position: Position
        let reportedAt: Date
    }
    private struct Cell: Hashable {
        let category: Case.Category
        let x: Int32, y: Int32
    }
    /// ~1 km: a related-case search (300 m by default) looks in one to four cells.
    private static let cellDegrees = 0.01

    private var cells: [Cell: [Entry]] = [:]
    private var cellOf: [Int64: Cell] = [:]
    private var seenEventID: Int64

    init(store: SpatiaLiteCaseStore) throws {
        seenEventID = try store.lastEventID()
        for c in try store.openCases() { put(c.id, c.category, c.relatedTo, c.position, c.reportedAt) }
    }

    var count: Int { cellOf.count }

    private static func cell(_ category: Case.Category, _ lon: Double, _ lat: Double) -> Cell {
        Cell(category: category, x: Int32((lon / cellDegrees).rounded(.down)), y: Int32((lat / cellDegrees).rounded(.down)))
    }

    private func put(_ id: Int64, _ category: Case.Category, _ relatedTo: Int64?, _ position: Position, _ reportedAt: Date) {
        remove(id)
        let k = Self.cell(category, position.lon, position.lat)
        cells[k, default: []].append(Entry(id: id, relatedTo: relatedTo, position: position, reportedAt: reportedAt))
        cellOf[id] = k
    }

    private func remove(_ id: Int64) {
        guard let k = cellOf.removeValue(forKey: id) else { return }
        cells[k]?.removeAll { $0.id == id }
        if cells[k]?.isEmpty == true { cells[k] = nil }
    }

    /// A case this index's owner has just stored, with the ids of the events stored with it.
    func added(_ c: Case, events: ClosedRange<Int64>) {
        if c.status.isOpen { put(c.id, c.category, c.relatedTo, c.position, c.reportedAt) }
        // Only when nothing else was written since the mark; if something was, the next catch-up
        // reads it, and this case again (which changes nothing).
        if events.lowerBound == seenEventID + 1 { seenEventID = events.upperBound }
    }

    /// Applies what the database recorded since the last look.
    func catchUp(_ store: SpatiaLiteCaseStore) throws {
        let changes = try store.eventCaseIDs(after: seenEventID)
        guard !changes.isEmpty else { return }
        seenEventID = changes.last!.event
        for id in Set(changes.map(\.caseID)) {
            if let c = try store.openCase(id: id) { put(c.id, c.category, c.relatedTo, c.position, c.reportedAt) } else { remove(id) }
        }
    }

    /// Open cases of a category reported since `since`, within `metres` of `p`, oldest first.
    func near(_ p: Position, category: Case.Category, since: Date, metres: Double) -> [Entry] {
        let d = metres / 100_000 * 1.5   // degrees, generous in longitude at China's latitudes; the exact test follows
        let lo = Self.cell(category, p.lon - d, p.lat - d), hi = Self.cell(category, p.lon + d, p.lat + d)
        var out: [Entry] = []
        for x in lo.x...hi.x {
            for y in lo.y...hi.y {
                for e in cells[Cell(category: category, x: x, y: y)] ?? [] where e.reportedAt >= since && Geodesy.distance(e.position, p) <= metres {
                    out.append(e)
                }
            }
        }
        return out.sorted { $0.id < $1.id }
    }
}
