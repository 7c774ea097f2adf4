import CVTPKernels
import Dispatch
import VTPTensor

/// The yardsticks for GEMM efficiency, measured on every thread at the widest ISA this CPU has: the F32 FMA peak
/// (AVX-512 where present, else AVX2+FMA) and the BF16 peak (vdpbf16ps where AVX-512-BF16 is present; nil
/// otherwise). Each loop runs 12 independent chains per thread (enough to cover the FMA latency on current cores).
struct Peaks {
    let f32: Double, f32ISA: String
    let bf16: Double?, bf16ISA: String?

    static func measure() -> Peaks {
        let cpu = CPUInfo.current
        let f32 = cpu.hasAVX512F
            ? rate(flopsPerIteration: 12 * 16 * 2) { vtp_fma_loop_avx512($0) }
            : rate(flopsPerIteration: 12 * 8 * 2) { vtp_fma_loop_avx2($0) }
        let bf16 = cpu.hasAVX512BF16 ? rate(flopsPerIteration: 12 * 16 * 4) { vtp_bf16_dot_loop_avx512($0) } : nil
        return Peaks(f32: f32, f32ISA: cpu.widestFMA, bf16: bf16, bf16ISA: bf16 == nil ? nil : "AVX-512-BF16 vdpbf16ps")
    }

    /// The peak the BF16 mode's products are measured against: the BF16 one where the CPU has it, else F32
    /// (the BF16 mode then runs F32 products).
    var forBF16Mode: Double { BF16Backend.current == .native ? (bf16 ?? f32) : f32 }

    /// GFLOP/s of `loop` run on all threads at once: the best of five runs of ≈0.15 s each (runs of 30 ms read up
    /// to 25% low when a worker thread started late or the clock had not ramped up).
    private static func rate(flopsPerIteration: Double, _ loop: @escaping @Sendable (Int64) -> Float) -> Double {
        let threads = Parallel.threadCount
        let iterations: Int64 = 100_000_000
        var best = 0.0
        for _ in 0..<5 {
            let t0 = now()
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                let s = loop(iterations)
                precondition(s.isFinite, "peak loop diverged")
            }
            best = max(best, Double(threads) * Double(iterations) * flopsPerIteration / (now() - t0) / 1e9)
        }
        return best
    }

    /// The JSON record of `vtp-bench peak` (also emitted before the GEMM table).
    var record: [String: Any] {
        var r: [String: Any] = ["framework": "swiftvtp", "bench": "peak", "gflops": f32, "isa": f32ISA,
                                "threads": Parallel.threadCount, "cpu": CPUInfo.current.name,
                                "cpu_isa": CPUInfo.current.isaSummary, "bf16_backend": BF16Backend.current.rawValue]
        if let bf16, let bf16ISA { r["bf16_gflops"] = bf16; r["bf16_isa"] = bf16ISA }
        return r
    }
}
