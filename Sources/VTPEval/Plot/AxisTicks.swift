import Foundation

/// Axis ranges and tick values that are round numbers (1, 2, 2.5 or 5 × 10ᵏ), with compact labels.
public enum AxisTicks {
    /// A round step near `raw` (Heckbert's "nice numbers").
    public static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let e = Foundation.pow(10, (Foundation.log10(raw)).rounded(.down))
        let f = raw / e
        let nice: Double = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10
        return nice * e
    }

    /// A linear axis covering [lo, hi]: the range widened to multiples of a round step giving about `target`
    /// ticks, and the ticks. A zero-width range is widened around its value.
    public static func linear(_ lo: Double, _ hi: Double, target: Int = 6) -> (range: ClosedRange<Double>, ticks: [Double]) {
        var (a, b) = (min(lo, hi), max(lo, hi))
        if !(a.isFinite && b.isFinite) { (a, b) = (0, 1) }
        if a == b {
            let d = a == 0 ? 1 : abs(a) * 0.1
            (a, b) = (a - d, b + d)
        }
        let step = niceStep((b - a) / Double(max(1, target - 1)))
        let start = (a / step).rounded(.down) * step, end = (b / step).rounded(.up) * step
        var ticks: [Double] = []
        var i = 0.0
        while true {
            let t = start + i * step
            if t > end + step * 1e-9 { break }
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            i += 1
        }
        return (start...end, ticks)
    }

    /// A logarithmic axis covering [lo, hi] (both > 0). Up to two decades: ticks at 1, 2, 5 × 10ᵏ and the range
    /// tightened to the nearest of those around the data; more: ticks at decades (every k-th beyond 8 decades)
    /// and whole decades as the range.
    public static func log(_ lo: Double, _ hi: Double) -> (range: ClosedRange<Double>, ticks: [Double]) {
        var (a, b) = (min(lo, hi), max(lo, hi))
        if !(a > 0 && b.isFinite) { (a, b) = (1, 10) }
        let e0 = Int(Foundation.log10(a).rounded(.down))
        var e1 = Int(Foundation.log10(b).rounded(.up))
        if e1 == e0 { e1 += 1 }
        let decades = e1 - e0
        func p10(_ e: Int) -> Double { Foundation.pow(10, Double(e)) }
        if decades <= 2 {
            let candidates = (e0...e1).flatMap { [p10($0), 2 * p10($0), 5 * p10($0)] }
            let lower = candidates.last { $0 <= a * (1 + 1e-12) } ?? p10(e0)
            let upper = candidates.first { $0 >= b * (1 - 1e-12) && $0 > lower } ?? p10(e1)
            return (lower...upper, candidates.filter { $0 >= lower && $0 <= upper })
        }
        let every = max(1, (decades + 7) / 8)
        return (p10(e0)...p10(e1), stride(from: e0, through: e1, by: every).map(p10))
    }

    /// Labels for ticks spaced `step` apart: `0 500 1000`, `0.25 0.5`, `1e-05`, `2.5e+06` → `2.5e6`.
    public static func labels(_ ticks: [Double], step: Double? = nil) -> [String] {
        let s = step ?? (ticks.count > 1 ? abs(ticks[1] - ticks[0]) : max(abs(ticks.first ?? 1), 1))
        let maxAbs = ticks.map(abs).max() ?? 0
        if maxAbs >= 1e6 || (maxAbs > 0 && maxAbs < 1e-3) { return ticks.map(scientific) }
        let decimals = s >= 1 && s.rounded() == s ? 0 : max(0, Int((-Foundation.log10(s)).rounded(.up)) + (isHalfStep(s) ? 1 : 0))
        return ticks.map { $0 == 0 ? "0" : String(format: "%.\(min(decimals, 6))f", $0) }
    }

    /// Labels for a log axis: `0.001 0.01 … 1000`, scientific beyond.
    public static func logLabels(_ ticks: [Double]) -> [String] {
        ticks.map { t in
            if t >= 1e-3 && t < 1e5 {
                let s = String(format: "%.6f", t).replacingOccurrences(of: "0+$", with: "", options: .regularExpression)
                return s.hasSuffix(".") ? String(s.dropLast()) : s
            }
            return scientific(t)
        }
    }

    static func isHalfStep(_ s: Double) -> Bool {
        let e = Foundation.pow(10, Foundation.log10(s).rounded(.down))
        let f = (s / e * 10).rounded() / 10
        return f == 2.5
    }

    /// `1e-05` → `1e-5`, `2.5e+06` → `2.5e6`.
    static func scientific(_ v: Double) -> String {
        if v == 0 { return "0" }
        var s = String(format: "%.2g", v)
        if !s.contains("e") { s = String(format: "%.1e", v) }
        guard let e = s.firstIndex(of: "e") else { return s }
        var mantissa = String(s[..<e]), exponent = String(s[s.index(after: e)...])
        if mantissa.contains(".") { while mantissa.hasSuffix("0") { mantissa.removeLast() }; if mantissa.hasSuffix(".") { mantissa.removeLast() } }
        let negative = exponent.hasPrefix("-")
        exponent = String(exponent.drop { $0 == "+" || $0 == "-" }.drop { $0 == "0" })
        return mantissa + "e" + (negative ? "-" : "") + (exponent.isEmpty ? "0" : exponent)
    }
}
