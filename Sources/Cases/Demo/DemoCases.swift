import Foundation
import Geo
import Grid

/// A year of disputes for the demo county, reported where people live and taken through their
/// lifecycle by the real dispatcher: most closed and rated, some escalated, the recent ones open.
public struct DemoCases {
    public var count = 9_000
    public var seed: UInt64 = 1
    public var end: Date
    /// The county code that begins the parties' (invented) ID numbers.
    public var county = "511725"

    public init(end: Date = Date()) { self.end = end }

    static let categories: [(Case.Category, Int)] = [(.neighbour, 25), (.family, 15), (.land, 12), (.labour, 10), (.property, 10),
                                                     (.consumer, 8), (.traffic, 8), (.debt, 7), (.other, 5)]
    static let channels: [(Case.Channel, Int)] = [(.window, 30), (.patrol, 25), (.qr, 20), (.hotline, 15), (.referral, 5), (.camera, 5)]
    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹")
    static let given = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国文")

    /// Runs the year through the dispatcher in one transaction; returns how many cases were made.
    public func install(_ d: Dispatcher, households: [Household], cameras: [Camera]) throws -> Int {
        var rng = SeededRandom(seed: seed &+ 0xCA5E)
        func pick<T>(_ weighted: [(T, Int)]) -> T {
            var r = Int(rng.next() % UInt64(weighted.reduce(0) { $0 + $1.1 }))
            for (v, w) in weighted { r -= w; if r < 0 { return v } }
            return weighted[0].0
        }
        // Where disputes happen: weighted by households living there.
        var cumulative: [Int] = []
        var total = 0
        for h in households { total += h.households; cumulative.append(total) }
        func household() -> Household {
            let r = Int(rng.next() % UInt64(total))
            var lo = 0, hi = cumulative.count - 1
            while lo < hi { let m = (lo + hi) / 2; if cumulative[m] > r { hi = m } else { lo = m + 1 } }
            return households[lo]
        }
        // People who keep coming back (重复当事人), drawn from a generator of their own so that
        // the rest of the year stays as it was.
        var others = SeededRandom(seed: seed &+ 0x5EED)
        var regulars: [Party] = []
        func person() -> Party {
            let p = newPerson()
            guard others.next() % 60 == 0 else { return p }
            if regulars.count < 60 { regulars.append(p); return p }
            return regulars[Int(others.next() % UInt64(regulars.count))]
        }
        func newPerson() -> Party {
            let name = "\(Self.surnames[Int(rng.next() % UInt64(Self.surnames.count))])\(Self.given[Int(rng.next() % UInt64(Self.given.count))])"
            let phone = "1" + ["3", "5", "8", "9"][Int(rng.next() % 4)] + String(format: "%09d", Int(rng.next() % 1_000_000_000))
            return Party(name: name, phone: phone, idNumber: rng.next() % 2 == 0 ? county + String(format: "%08d%04d", 19_600_101 + Int(rng.next() % 400_000), Int(rng.next() % 10_000)) : nil)
        }
        let start = end - 365 * 86400
        let span = end.timeIntervalSince(start) - 3600
        let times = (0..<count).map { _ in start + rng.unit() * span }.sorted()
        let staff = Actor("demo", source: "demo")
        var made = 0
        try d.store.write {
            for t in times {
                var channel = pick(Self.channels)
                // One window visit in ten is a petition (信访), for the 万人信访率.
                if channel == .window, others.next() % 10 == 0 { channel = .petition }
                var c: Case
                if channel == .camera, !cameras.isEmpty {
                    let cam = cameras[Int(rng.next() % UInt64(cameras.count))]
                    let type = ["crowd_gathering", "fight", "fire_smoke", "intrusion", "traffic_accident"][Int(rng.next() % 5)]
                    c = try d.alert(AlertRequest(cameraID: cam.id, type: type, at: t), actor: Actor("camera \(cam.id)", source: "camera")).0
                } else {
                    let h = household()
                    let parties = (0..<(1 + Int(rng.next() % 3))).map { _ in person() }
                    c = try d.intake(IntakeRequest(category: pick(Self.categories), channel: channel, priority: rng.next() % 20 == 0 ? .urgent : .normal,
                                                   description: "demo dispute", location: .household(h.id), parties: parties),
                                     actor: Actor("window staff", source: channel.rawValue), now: t)
                    // A case found on patrol is the report of the worker it landed on.
                    if channel == .patrol, let w = c.workerID { try d.store.field.recordReport(caseID: c.id, worker: w, at: t) }
                }
                made += 1
                // Its life: accepted within hours, resolved within days; older cases further along.
                let age = end.timeIntervalSince(t) / 86400
                var now = t + 600 + rng.unit() * 6 * 3600
                func go(_ to: Case.Status, target: String? = nil, rating: Int? = nil) throws {
                    guard now < end, c.status.next.contains(to) else { return }
                    c = try d.transition(caseID: c.id, TransitionRequest(to: to, target: target, rating: rating), actor: staff, now: now)
                }
                if c.status == .reported { try go(.assigned, target: "town") }   // the county centre routes its queue
                try go(.accepted)
                now += 3600 + rng.unit() * 2 * 86400
                try go(.mediating)
                let roll = rng.unit()
                // One in a hundred goes to court (mediation first, litigation last), the rest of one in
                // fourteen a level up.
                if roll < 0.01 { now += 86400 * 3; try go(.escalated, target: "court"); now += 86400 * 20; try go(.closed); continue }
                if roll < 0.07 { now += 86400; try go(.escalated) }
                if roll < 0.07 { now += 86400 * 2; try go(.accepted); try go(.mediating) }
                now += rng.unit() * 12 * 86400
                if roll > 0.96 { now += 86400 * 5; try go(.closed); continue }    // mediation failed: closed unresolved
                if age > 2 { try go(.resolved) }
                now += 86400 * rng.unit()
                try go(.closed)
                now += 86400 * 2 * rng.unit()
                if rng.unit() < 0.8 { try go(.rated, rating: [5, 5, 5, 4, 4, 4, 3, 2][Int(rng.next() % 8)]) }
            }
            made += try emergingCluster(d, households: households, rng: &others, staff: staff)
        }
        return made
    }

    /// Land disputes rising around one place over the last ten weeks (a road being built: 征地
    /// 拆迁), for the early warnings to find: 3 cases in the first week, 3 more each week after.
    func emergingCluster(_ d: Dispatcher, households: [Household], rng: inout SeededRandom, staff: Actor) throws -> Int {
        guard !households.isEmpty else { return 0 }
        let centre = households[Int(rng.next() % UInt64(households.count))].position
        let near = households.filter { Geodesy.distance($0.position, centre) < 1_500 }
        guard !near.isEmpty else { return 0 }
        var made = 0
        for week in 0..<10 {
            let weekStart = end - Double(10 - week) * 7 * 86400
            for _ in 0..<(3 + 3 * week) {
                let t = weekStart + rng.unit() * 7 * 86400 - 3600
                let h = near[Int(rng.next() % UInt64(near.count))]
                var c = try d.intake(IntakeRequest(category: .land, channel: .window, description: "demo: land taken for the new road",
                                                   location: .household(h.id), parties: [Party(name: "村民\(made)")]),
                                     actor: Actor("window staff", source: "window"), now: t)
                if end.timeIntervalSince(t) > 3 * 86400, c.status.next.contains(.accepted) {
                    c = try d.transition(caseID: c.id, TransitionRequest(to: .accepted), actor: staff, now: t + 3600)
                }
                made += 1
            }
        }
        return made
    }
}
