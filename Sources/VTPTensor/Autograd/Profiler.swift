import Dispatch
import Foundation

/// A per-op time profile of training steps (forward ops and gradient rules), off by default.
///
/// Forward time is attributed to each recorded op as the wall time since the previous record on the same
/// thread (ops run one after another, so this is the op's own time plus any untracked work before it);
/// backward time is measured around each gradient rule.
public enum Profiler {
    nonisolated(unsafe) public static var isEnabled = false
    nonisolated(unsafe) static var totals: [String: (seconds: Double, count: Int)] = [:]
    nonisolated(unsafe) static var last: UInt64 = 0
    static let lock = NSLock()

    @inline(__always) public static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    public static func add(_ key: String, _ ns: UInt64) {
        lock.lock()
        let old = totals[key] ?? (0, 0)
        totals[key] = (old.seconds + Double(ns) / 1e9, old.count + 1)
        lock.unlock()
    }

    /// Marks the start of a timed region (e.g. a training step).
    public static func mark() { last = now() }

    /// Set while gradient rules run, so that the ops they call are not also counted as forward ops.
    nonisolated(unsafe) static var inBackward = false

    static func forward(_ name: String) {
        if inBackward { return }
        let t = now()
        if last != 0 { add("forward " + name, t - last) }
        last = t
    }

    /// Clears all totals.
    public static func reset() { lock.lock(); totals = [:]; lock.unlock(); last = 0 }

    /// The profile as text lines, largest first.
    public static func report() -> String {
        lock.lock(); defer { lock.unlock() }
        let all = totals.values.reduce(0) { $0 + $1.seconds }
        return totals.sorted { $0.value.seconds > $1.value.seconds }.map { k, v in
            String(format: "%-28@ %8.3f s  %5.1f%%  %6d calls", k as NSString, v.seconds, 100 * v.seconds / max(all, 1e-12), v.count)
        }.joined(separator: "\n")
    }
}
