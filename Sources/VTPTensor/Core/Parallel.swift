import Dispatch
import Foundation

/// The one parallel-for that every kernel uses: splits `0..<n` into contiguous chunks and runs them on all
/// cores (GCD's `concurrentPerform`). Work smaller than `grain` items runs inline on the caller's thread.
public enum Parallel {
    /// Worker count; defaults to the active processor count (or `VTP_NUM_THREADS`).
    nonisolated(unsafe) public static var threadCount: Int = {
        if let s = ProcessInfo.processInfo.environment["VTP_NUM_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Calls `body` on disjoint ranges covering `0..<n`.
    /// - Parameters:
    ///   - n: number of items.
    ///   - grain: minimum items per chunk (small loops are not worth a thread hand-off).
    @inlinable
    public static func forRanges(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        if n <= 0 { return }
        let workers = min(threadCount, max(1, n / max(grain, 1)))
        if workers <= 1 { body(0..<n); return }
        // A few chunks per worker smooth out uneven work.
        let chunks = min(n, workers * (n >= workers * 4 * grain ? 4 : 1))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Calls `body(i)` for every `i` in `0..<n`, in parallel chunks.
    @inlinable
    public static func forEach(_ n: Int, grain: Int = 1, _ body: (Int) -> Void) {
        forRanges(n, grain: grain) { r in for i in r { body(i) } }
    }
}
