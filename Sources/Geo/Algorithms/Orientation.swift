#if canImport(Glibc)
import Glibc
#endif

/// On which side of the line a→b the point p lies, exactly: +1 left (counter-clockwise), -1 right,
/// 0 on the line. The determinant is first computed in floating point; only when it is too small
/// to trust is it evaluated exactly, as a sum of error-free terms (differences split by two-sum,
/// products by fused multiply-add) added into a non-overlapping expansion, whose largest
/// component carries the sign. Rounding can then never put a point on the wrong side of an edge.
public enum Orientation {
    @inline(__always)
    public static func sign(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ px: Double, _ py: Double) -> Int {
        let l = (bx - ax) * (py - ay), r = (by - ay) * (px - ax)
        let det = l - r
        // A bound on the floating-point evaluation's error, with room to spare.
        let bound = 1e-15 * (abs(l) + abs(r)) + 1e-300
        if det > bound { return 1 }
        if det < -bound { return -1 }
        return exactSign(ax, ay, bx, by, px, py)
    }

    /// The exact sign of (bx - ax)(py - ay) - (by - ay)(px - ax).
    static func exactSign(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ px: Double, _ py: Double) -> Int {
        let (u, du) = twoDiff(bx, ax), (v, dv) = twoDiff(py, ay)
        let (s, ds) = twoDiff(by, ay), (t, dt) = twoDiff(px, ax)
        var sum = Expansion()
        for (a, b) in [(u, v), (u, dv), (du, v), (du, dv)] {
            let (hi, lo) = twoProduct(a, b)
            sum.add(hi); sum.add(lo)
        }
        for (a, b) in [(s, t), (s, dt), (ds, t), (ds, dt)] {
            let (hi, lo) = twoProduct(a, b)
            sum.add(-hi); sum.add(-lo)
        }
        return sum.sign
    }

    /// a + b = s + e exactly.
    @inline(__always) static func twoSum(_ a: Double, _ b: Double) -> (Double, Double) {
        let s = a + b
        let bb = s - a
        return (s, (a - (s - bb)) + (b - bb))
    }

    @inline(__always) static func twoDiff(_ a: Double, _ b: Double) -> (Double, Double) { twoSum(a, -b) }

    /// a · b = p + e exactly (fused multiply-add gives the product's rounding error).
    @inline(__always) static func twoProduct(_ a: Double, _ b: Double) -> (Double, Double) {
        let p = a * b
        return (p, fma(a, b, -p))
    }

    /// A sum of doubles kept exactly as non-overlapping components in increasing magnitude.
    struct Expansion {
        var parts: [Double] = []

        /// Adds a term, keeping the components non-overlapping (zeros dropped).
        mutating func add(_ b: Double) {
            var q = b
            var next: [Double] = []
            next.reserveCapacity(parts.count + 1)
            for e in parts {
                let (s, h) = twoSum(q, e)
                if h != 0 { next.append(h) }
                q = s
            }
            if q != 0 { next.append(q) }
            parts = next
        }

        /// The sign of the sum: that of its largest component.
        var sign: Int { parts.last.map { $0 > 0 ? 1 : -1 } ?? 0 }
    }
}
