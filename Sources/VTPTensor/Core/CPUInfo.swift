import CVTPKernels
import Foundation

/// What this CPU offers the kernels: the instruction sets they dispatch on at run time, and its name.
public struct CPUInfo: Sendable {
    /// The CPU this process runs on.
    public static let current = CPUInfo()

    /// AVX2 + FMA3 (x86-64-v3), the ISA the Swift kernels are compiled for.
    public let hasAVX2FMA: Bool
    /// AVX-512 Foundation (16-lane F32 FMAs).
    public let hasAVX512F: Bool
    /// AVX-512 BF16 (vdpbf16ps: BF16 products summed into F32).
    public let hasAVX512BF16: Bool
    /// AMX tiles with BF16.
    public let hasAMXBF16: Bool
    /// `model name`, `cpu family` and `model` from /proc/cpuinfo (e.g. "AMD EPYC (family 26, model 2)").
    public let name: String

    /// Whether BF16 products run natively (AVX-512-BF16 or AMX), i.e. faster than F32 ones.
    public var hasNativeBF16: Bool { hasAVX512BF16 || hasAMXBF16 }

    /// The widest F32 FMA ISA: "AVX-512", "AVX2+FMA" or "scalar/SSE".
    public var widestFMA: String { hasAVX512F ? "AVX-512" : hasAVX2FMA ? "AVX2+FMA" : "scalar/SSE" }

    /// Every dispatched ISA present, e.g. "AVX2+FMA AVX-512 AVX-512-BF16".
    public var isaSummary: String {
        [(hasAVX2FMA, "AVX2+FMA"), (hasAVX512F, "AVX-512"), (hasAVX512BF16, "AVX-512-BF16"), (hasAMXBF16, "AMX-BF16")]
            .filter(\.0).map(\.1).joined(separator: " ")
    }

    init() {
        let f = vtp_cpu_features()
        hasAVX2FMA = f & UInt32(VTP_CPU_AVX2_FMA) != 0
        hasAVX512F = f & UInt32(VTP_CPU_AVX512F) != 0
        hasAVX512BF16 = f & UInt32(VTP_CPU_AVX512_BF16) != 0
        hasAMXBF16 = f & UInt32(VTP_CPU_AMX_BF16) != 0
        var fields: [String: String] = [:]
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in text.split(separator: "\n") {
                if line.isEmpty { break }  // the first processor's block is enough
                let kv = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if kv.count == 2 { fields[kv[0]] = kv[1] }
            }
        }
        let model = fields["model name"] ?? "unknown CPU"
        if let family = fields["cpu family"], let number = fields["model"] {
            name = "\(model) (family \(family), model \(number))"
        } else {
            name = model
        }
    }
}
