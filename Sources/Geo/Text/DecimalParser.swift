/// Decimal text to `Double`, correctly rounded (the value `strtod` gives), fast for the numbers CSV
/// files hold: up to 19 significant digits, an optional sign (`-`, `+`), a fraction, an exponent
/// (`1.0719e2`). Anything else it cannot decide quickly (more digits, far exponents, a result that
/// lies within 2^-64 of a rounding boundary) goes to the C library, so every answer is exact.
///
/// The fast part: the digits as an integer `w` and a power of ten `10^q`. When `w < 2^53` and
/// `|q| ≤ 22` both are exact doubles and one multiplication or division rounds once (Clinger). Else
/// `w · 10^q` is formed to 192 bits with a 128-bit `10^q` (exact for `q ≥ 0`, truncated below for
/// `q < 0`, so the product is at most 2^64 units low), which fixes the 53-bit significand and the
/// rounding direction unless the true value could lie on the other side of a half-way point.
public struct DecimalParser: @unchecked Sendable {
    /// `10^q · 2^s` to 128 bits (top bit set) for q in `qRange`: high word, low word, s.
    private let hi: UnsafeMutablePointer<UInt64>
    private let lo: UnsafeMutablePointer<UInt64>
    private let shift: UnsafeMutablePointer<Int>
    private let exact: UnsafeMutablePointer<Double>
    /// 10^0 … 10^8 as integers, for runs of digits.
    private let tens: UnsafeMutablePointer<UInt64>
    static let qRange = -38...38

    /// One immutable table for the process (made once, never freed).
    public static let shared = DecimalParser()

    private init() {
        let n = Self.qRange.count
        hi = .allocate(capacity: n); lo = .allocate(capacity: n); shift = .allocate(capacity: n)
        exact = .allocate(capacity: 23)
        tens = .allocate(capacity: 9)
        for k in 0...8 { tens[k] = k == 0 ? 1 : tens[k - 1] * 10 }
        var p = 1.0
        for k in 0...22 { exact[k] = p; p *= 10 }
        for q in Self.qRange {
            var t: UInt128, s: Int
            var d: UInt128 = 1   // 10^|q|
            for _ in 0..<q.magnitude { d *= 10 }
            if q >= 0 {
                s = d.leadingZeroBitCount
                t = d << s
            } else {
                s = 127 + (128 - d.leadingZeroBitCount)
                // floor(2^s / d) by long division; the remainder stays below d < 2^127.
                var r: UInt128 = 0
                t = 0
                for k in 0...s {
                    r = (r << 1) | (k == 0 ? 1 : 0)
                    t = t << 1
                    if r >= d { r -= d; t |= 1 }
                }
            }
            let i = q - Self.qRange.lowerBound
            hi[i] = UInt64(truncatingIfNeeded: t >> 64)
            lo[i] = UInt64(truncatingIfNeeded: t)
            shift[i] = s
        }
    }

    /// The number in `b[start..<end]`, spaces around it allowed; nil when it is not a finite decimal.
    @inline(__always)
    public func parse(_ b: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var i = start, e = end
        while i < e && b[i] == 0x20 { i += 1 }
        while e > i && b[e - 1] == 0x20 { e -= 1 }
        guard i < e, let n = scan(b, i, e), n.next == e else { return nil }
        return n.value
    }

    /// The decimal number that starts at `b[start]` and ends before `end` or at the first byte
    /// that cannot continue it; its value and where it stopped. Nil when no number starts there.
    /// Bytes up to `readable` (at least `end`) may be loaded eight at a time, never used.
    @inline(__always)
    public func scan(_ b: UnsafePointer<UInt8>, _ start: Int, _ end: Int, readable: Int? = nil) -> (value: Double, next: Int)? {
        var i = start
        let e = end, limit = Swift.max(readable ?? end, end)
        guard i < e else { return nil }
        var negative = false
        if b[i] == 0x2D { negative = true; i += 1 } else if b[i] == 0x2B { i += 1 }
        var w: UInt64 = 0
        var digits = 0, q = 0
        var sawDigit = false, dropped = false
        // The integer part, then the fraction: runs of up to eight digits in one word while eight
        // bytes are there to read, else a byte at a time. (Zeros after the first digit count as
        // significant, which only makes the 19-digit limit stricter.)
        var fraction = false
        while true {
            while i < e {
                if i + 8 <= limit {
                    let run = Self.digitRun(b + i, atMost: e - i)
                    if run.count == 0 { break }
                    if digits + run.count <= 19 {
                        sawDigit = true
                        if w != 0 || run.value != 0 { w = w &* tens[run.count] &+ run.value; digits += run.count }
                        if fraction { q -= run.count }
                        i += run.count
                        if run.count < 8 { break }
                        continue
                    }
                }
                let d = b[i] &- 0x30
                guard d < 10 else { break }
                sawDigit = true
                if digits < 19 {
                    if w != 0 || d != 0 { w = w &* 10 &+ UInt64(d); digits += 1 }
                    if fraction { q -= 1 }
                } else {
                    if !fraction { q += 1 }
                    if d != 0 { dropped = true }
                }
                i += 1
            }
            if !fraction && i < e && b[i] == 0x2E { fraction = true; i += 1; continue }
            break
        }
        guard sawDigit else { return nil }
        if i < e && (b[i] | 0x20) == 0x65 {
            i += 1
            var negativeExponent = false
            if i < e && b[i] == 0x2D { negativeExponent = true; i += 1 } else if i < e && b[i] == 0x2B { i += 1 }
            var x = 0, any = false
            while i < e {
                let d = b[i] &- 0x30
                guard d < 10 else { break }
                any = true
                if x < 100_000 { x = x * 10 + Int(d) }
                i += 1
            }
            guard any else { return nil }
            q += negativeExponent ? -x : x
        }
        if w == 0 { return (negative ? -0.0 : 0.0, i) }
        if !dropped {
            if w < 1 << 53 && q >= -22 && q <= 22 {
                let v = q >= 0 ? Double(w) * exact[q] : Double(w) / exact[-q]
                return (negative ? -v : v, i)
            }
            if let v = wide(w, q) { return (negative ? -v : v, i) }
        }
        return Self.strtod(b, start, i).map { ($0, i) }
    }

    /// The digits that start the eight bytes at `p` (0 to 8 of them) and their value, in one 64-bit
    /// word: the bytes combined pairwise, then the pairs, by three multiplications.
    @inline(__always)
    static func digitRun(_ p: UnsafePointer<UInt8>, atMost: Int) -> (value: UInt64, count: Int) {
        let v = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
        // A byte is a digit when its high nibble is 3 and adding 6 does not carry out of the nibble;
        // the first byte (lowest, little-endian) that is not ends the run.
        let notDigit = ((v & 0xF0F0_F0F0_F0F0_F0F0) ^ 0x3030_3030_3030_3030)
            | (((v &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) ^ 0x3030_3030_3030_3030)
        let count = Swift.min(notDigit.trailingZeroBitCount >> 3, atMost)
        if count == 0 { return (0, 0) }
        // The run moved to the top bytes, '0's shifted in below: the same number as eight digits.
        let shift = UInt64((8 - count) * 8)
        let padded = count == 8 ? v : (v << shift) | (0x3030_3030_3030_3030 >> UInt64(count * 8))
        var x = padded &- 0x3030_3030_3030_3030
        // Byte k becomes 10·d[k] + d[k+1]; the even bytes hold the pairs d0d1, d2d3, d4d5, d6d7.
        x = x &* 10 &+ (x >> 8)
        let pairs02 = x & 0x0000_00FF_0000_00FF, pairs13 = (x >> 16) & 0x0000_00FF_0000_00FF
        // Bits 32–63 gather d0d1·10^6 + d4d5·10^2 and d2d3·10^4 + d6d7.
        return ((pairs02 &* (100 &+ (1_000_000 << 32)) &+ pairs13 &* (1 &+ (10_000 << 32))) >> 32, count)
    }

    /// `w · 10^q` by the 192-bit product; nil when the rounding cannot be decided from it or the
    /// result is not a normal double.
    @inline(__always)
    private func wide(_ w: UInt64, _ q: Int) -> Double? {
        guard Self.qRange.contains(q) else { return nil }
        let k = q - Self.qRange.lowerBound
        let lz = w.leadingZeroBitCount
        let m = w << lz
        let a = m.multipliedFullWidth(by: hi[k])
        let c = m.multipliedFullWidth(by: lo[k])
        let (p1, carry) = a.low.addingReportingOverflow(c.high)
        let p2 = a.high &+ (carry ? 1 : 0)
        let p0 = c.low
        // P = p2·2^128 + p1·2^64 + p0, in [2^190, 2^192). The significand is its top 53 bits.
        let top191 = p2 >> 63 == 1
        var significand = top191 ? p2 >> 11 : p2 >> 10
        let low = top191 ? p2 & 0x7FF : p2 & 0x3FF
        let half: UInt64 = top191 ? 0x400 : 0x200
        var position = top191 ? 139 : 138
        let above: Bool
        if q >= 0 {
            // 10^q is exact: P is the value; ties go to even.
            let rest = p1 | p0
            above = low > half || (low == half && (rest != 0 || significand & 1 == 1))
        } else {
            // The value is in [P, P + 2^64): undecided if that interval may hold the half-way point,
            // or may cross into the next power of two.
            if (low == half && p1 == 0 && p0 == 0) || (low == half - 1 && p1 == .max) { return nil }
            if !top191 && p2 == UInt64(Int64.max) && p1 == .max { return nil }
            above = low > half || (low == half && (p1 | p0) != 0)
        }
        if above {
            significand += 1
            if significand == 1 << 53 { significand >>= 1; position += 1 }
        }
        let biased = position - shift[k] - lz + 52 + 1023
        guard biased >= 1 && biased <= 2046 else { return nil }
        return Double(bitPattern: UInt64(biased) << 52 | (significand & ((1 << 52) - 1)))
    }

    /// The C library's answer, for what the fast paths leave.
    private static func strtod(_ b: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        let s = String(decoding: UnsafeBufferPointer(start: b + start, count: end - start), as: UTF8.self)
        // Swift's initializer is strtod in the C locale; the text was checked to be a decimal.
        guard let d = Double(s), d.isFinite else { return nil }
        return d
    }
}
