import Foundation
import Geo
import Synchronization

/// The open cases by category and place, in memory, for linking a new dispute to an open one
/// nearby (related cases). Asking the database instead cost a quarter of an intake: in a busy town
/// the search box holds hundreds of open cases of a category.
///
/// Its owner's own intakes go in directly; every other change (transitions, another process's
/// intakes) comes from the change feed through `Updates`, applied before each lookup. Owned by one
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

    init(_ open: [OpenCase]) {
        for c in open { put(c) }
    }

    var count: Int { cellOf.count }

    private static func cell(_ category: Case.Category, _ lon: Double, _ lat: Double) -> Cell {
        Cell(category: category, x: Int32((lon / cellDegrees).rounded(.down)), y: Int32((lat / cellDegrees).rounded(.down)))
    }

    private func put(_ c: OpenCase) {
        remove(c.id)
        let k = Self.cell(c.category, c.position.lon, c.position.lat)
        cells[k, default: []].append(Entry(id: c.id, relatedTo: c.relatedTo, position: c.position, reportedAt: c.reportedAt))
        cellOf[c.id] = k
    }

    private func remove(_ id: Int64) {
        guard let k = cellOf.removeValue(forKey: id) else { return }
        cells[k]?.removeAll { $0.id == id }
        if cells[k]?.isEmpty == true { cells[k] = nil }
    }

    /// A case as it now stands: in the index while open, out of it otherwise.
    func added(_ c: Case) {
        if c.status.isOpen { put(OpenCase(c)) } else { remove(c.id) }
    }

    /// Changes to cases from the feed, kept until the owner's next lookup applies them (the feed
    /// publishes on its own thread; the index is the owner's).
    final class Updates: Sendable {
        private final class Pending: Sendable { let cases = Mutex<[Int64: Case]>([:]) }
        private let pending: Pending
        private let subscription: FeedSubscription

        init(feed: ChangeFeed) {
            let pending = Pending()
            self.pending = pending
            subscription = feed.subscribe { changes in
                pending.cases.withLock { p in
                    for case .caseEvent(_, let c) in changes { p[c.id] = c }
                }
            }.0
        }

        func apply(to index: OpenCaseIndex) {
            for c in pending.cases.withLock({ p -> [Case] in defer { p = [:] }; return Array(p.values) }) { index.added(c) }
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
