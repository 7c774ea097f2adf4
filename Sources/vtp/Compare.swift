import ArgumentParser
import Foundation
import VTPEval

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two safetensors files key by key (max absolute difference); exit 1 above the tolerance.",
        discussion: "Example: vtp compare ours.safetensors expected.safetensors --tolerance 5e-3")

    @Argument(help: "First file.") var a: String
    @Argument(help: "Second file.") var b: String
    @Option(name: .long, help: "Largest allowed max-abs difference.") var tolerance: Float = 1e-4

    func run() throws {
        let cmp = try TensorComparison(URL(fileURLWithPath: a), URL(fileURLWithPath: b))
        for r in cmp.rows {
            let d = r.maxAbsDifference.map { String(format: "%.3g", $0) } ?? "—"
            let ok = (r.maxAbsDifference ?? .infinity) <= tolerance ? "ok  " : "FAIL"
            print("\(ok) \(r.name.padding(toLength: 24, withPad: " ", startingAt: 0)) max abs diff \(d)  \(r.note)")
        }
        let pass = cmp.passes(tolerance: tolerance)
        print(pass ? "all \(cmp.rows.count) keys within \(tolerance)" : "some keys differ by more than \(tolerance)")
        if !pass { throw ExitCode(1) }
    }
}
