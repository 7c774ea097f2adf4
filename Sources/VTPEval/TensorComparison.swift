import Foundation
import VTPTensor

/// Key-by-key comparison of two safetensors files (e.g. our outputs against an official fixture).
public struct TensorComparison {
    public struct Row {
        public let name: String
        /// Max |a − b|; nil when the tensor is missing on one side or shapes differ.
        public let maxAbsDifference: Float?
        public let note: String
    }

    public let rows: [Row]

    public init(_ a: URL, _ b: URL) throws {
        let fa = try SafeTensorsFile(url: a), fb = try SafeTensorsFile(url: b)
        var rows: [Row] = []
        for name in Set(fa.names).union(fb.names).sorted() {
            guard fa.names.contains(name), fb.names.contains(name) else {
                rows.append(Row(name: name, maxAbsDifference: nil, note: "only in \(fa.names.contains(name) ? a.lastPathComponent : b.lastPathComponent)"))
                continue
            }
            let (sa, sb) = (try fa.info(name).shape, try fb.info(name).shape)
            guard sa == sb else { rows.append(Row(name: name, maxAbsDifference: nil, note: "shapes \(sa) vs \(sb)")); continue }
            let (va, vb) = (try fa.floats(name), try fb.floats(name))
            var worst: Float = 0
            for i in 0..<va.count { worst = max(worst, Swift.abs(va[i] - vb[i])) }
            rows.append(Row(name: name, maxAbsDifference: worst, note: "\(sa)"))
        }
        self.rows = rows
    }

    /// True when every key is on both sides with equal shapes and within `tolerance`.
    public func passes(tolerance: Float) -> Bool { rows.allSatisfy { ($0.maxAbsDifference ?? .infinity) <= tolerance } }
}
