import Foundation
import Testing
@testable import Geo

/// The orientation predicate against exact integer arithmetic: coordinates that are multiples of
/// 2^-30 near Qu County are integers times 2^-30, so the determinant is an exact Int128.
@Suite struct OrientationTests {
    static let unit = 1.0 / Double(1 << 30)

    static func exact(_ a: (Int64, Int64), _ b: (Int64, Int64), _ p: (Int64, Int64)) -> Int {
        let d = Int128(b.0 - a.0) * Int128(p.1 - a.1) - Int128(b.1 - a.1) * Int128(p.0 - a.0)
        return d > 0 ? 1 : d < 0 ? -1 : 0
    }

    /// (x, y) with u·y − v·x = 1, when gcd(u, v) = 1.
    static func bezout(_ u: Int64, _ v: Int64) -> (Int64, Int64)? {
        var (r0, r1, s0, s1, t0, t1) = (u, v, Int64(1), Int64(0), Int64(0), Int64(1))
        while r1 != 0 {
            let q = r0 / r1
            (r0, r1) = (r1, r0 - q * r1); (s0, s1) = (s1, s0 - q * s1); (t0, t1) = (t1, t0 - q * t1)
        }
        // s0·u + t0·v = r0 = ±1: then u·(s0·r0) − v·(−t0·r0) = 1.
        guard abs(r0) == 1 else { return nil }
        return (-t0 * r0, s0 * r0)
    }

    @Test func agreesWithExactArithmeticOnNearlyCollinearPoints() {
        var rng = SeededRandom(seed: 13)
        var counts = [-1: 0, 0: 0, 1: 0], naiveWrong = 0
        let d = { (v: Int64) in Double(v) * Self.unit }
        for _ in 0..<20_000 {
            // a, a + step, a + j·step: exactly collinear, over up to half a degree; then p nudged by
            // a unit or two (or not at all), where floating point is least sure.
            let a = (Int64(106.9 / Self.unit) + Int64(rng.next() % (1 << 26)), Int64(30.8 / Self.unit) + Int64(rng.next() % (1 << 26)))
            let step = (Int64(rng.next() % (1 << 28)) - (1 << 27), Int64(rng.next() % (1 << 28)) - (1 << 27))
            let j = Int64(rng.next() % 3) + 2
            let b = (a.0 + step.0, a.1 + step.1)
            // An offset n with det(step, n) = 1 (Bézout, when the step's components are coprime):
            // p = a + j·step + s·n makes the determinant exactly s, the products about 2^56.
            guard let n = Self.bezout(step.0, step.1) else { continue }
            let k = Int64(rng.next() % 3) - 1
            let p = (a.0 + j * step.0 + k * n.0, a.1 + j * step.1 + k * n.1)
            let got = Orientation.sign(d(a.0), d(a.1), d(b.0), d(b.1), d(p.0), d(p.1))
            let truth = Self.exact(a, b, p)
            #expect(got == truth, "\(a) \(b) \(p)")
            counts[truth, default: 0] += 1
            let naive = (d(b.0) - d(a.0)) * (d(p.1) - d(a.1)) - (d(b.1) - d(a.1)) * (d(p.0) - d(a.0))
            if (naive > 0 ? 1 : naive < 0 ? -1 : 0) != truth { naiveWrong += 1 }
        }
        // Every kind of answer was asked for, and plain floating point gets some of them wrong.
        #expect(counts[0]! > 1000 && counts[1]! > 1000 && counts[-1]! > 1000, "\(counts)")
        #expect(naiveWrong > 0, "the cases were not hard enough to need the exact test")
    }
}
