import CVTPKernels
import Dispatch
import Foundation

/// The one parallel-for that every kernel uses: splits `0..<n` into contiguous chunks and runs them on all
/// cores. Work smaller than `grain` items runs inline on the caller's thread.
///
/// The chunks run on the OpenMP thread team that oneDNN's matrix products use (see `vtp_omp_parallel_chunks`), so
/// that one set of threads serves both: with two pools, the OpenMP workers that spin after each product take cores
/// from the kernels that follow (on an idle Zen 5, the BF16 ViT-S step took 0.59 s on one pool and 0.66–0.72 s on
/// two). `VTP_PARALLEL=gcd` selects GCD's `concurrentPerform` instead, which suits a machine busy with other work:
/// there the spinning barriers of one team cost more (1.74 s vs 1.43 s with a busy loop on one of the two
/// cores). GCD is also the fallback where libgomp is not in the process.
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
        if usesOpenMP {
            runOnOpenMP(chunks: chunks, workers: workers) { c in
                let lo = n * c / chunks, hi = n * (c + 1) / chunks
                if lo < hi { body(lo..<hi) }
            }
            return
        }
        // Inline here (not through a helper taking a closure), so that the kernel loops are specialised into it.
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Whether chunks go to the OpenMP team (libgomp loaded and `VTP_PARALLEL` not `gcd`; GCD otherwise).
    nonisolated(unsafe) public static var usesOpenMP: Bool = {
        ProcessInfo.processInfo.environment["VTP_PARALLEL"] != "gcd" && vtp_omp_available() != 0
    }()

    /// Calls `chunk(c)` for every c in 0..<chunks on `workers` threads of the OpenMP team (GCD as a fallback).
    @usableFromInline
    static func runOnOpenMP(chunks: Int, workers: Int, _ chunk: (Int) -> Void) {
        if usesOpenMP && forEachOnTeam(chunks, workers: workers, chunk) { return }
        withoutActuallyEscaping(chunk) { DispatchQueue.concurrentPerform(iterations: chunks, execute: $0) }
    }

    /// Calls `body(i)` for every i in 0..<n on `workers` threads of oneDNN's OpenMP team, whatever `usesOpenMP`
    /// says (items handed out one at a time): for work that calls oneDNN itself, which then runs on the calling
    /// thread only. Returns false, having run nothing, where libgomp is absent or the caller is inside a team.
    static func forEachOnTeam(_ n: Int, workers: Int, _ body: (Int) -> Void) -> Bool {
        withoutActuallyEscaping(body) { f in
            var closure = f
            return withUnsafeMutablePointer(to: &closure) { context in
                vtp_omp_parallel_chunks(n, UInt32(max(1, min(workers, n))), { context, c in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(c)
                }, context) != 0
            }
        }
    }

    /// Calls `body(i)` for every `i` in `0..<n`, in parallel chunks.
    @inlinable
    public static func forEach(_ n: Int, grain: Int = 1, _ body: (Int) -> Void) {
        forRanges(n, grain: grain) { r in for i in r { body(i) } }
    }
}
