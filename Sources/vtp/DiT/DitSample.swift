import ArgumentParser
import Foundation
import VTPGeneration

/// `vtp dit sample`: class-conditional images from a trained LightningDiT.
struct DitSample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sample class-conditional images: PNGs, a labelled grid, and optionally an ADM-format .npz.",
        discussion: """
          vtp dit sample --model runs/fmnist-dit --per-class 8 --output out/samples
          vtp dit sample --model runs/fmnist-dit --classes 0,3 --per-class 16 --method dopri5 --cfg 3 --output out/s --npz
        """)

    @Option(name: .long, help: "A DiT run folder (newest checkpoint), checkpoint or model folder.")
    var model: String

    @Option(name: .long, help: "Tokenizer (default: the one recorded with the DiT's latents).")
    var tokenizer: String?

    @Option(name: .long, help: "Comma-separated class indices (default: every class).")
    var classes: String?

    @Option(name: .long, help: "Samples per class.") var perClass: Int = 8
    @Option(name: .long, help: "euler, heun or dopri5.") var method: String = "euler"
    @Option(name: .long, help: "Grid points of the fixed-step solvers.") var steps: Int = 50
    @Option(name: .long, help: "Timestep shift (0 = none).") var shift: Double = 0
    @Option(name: .long, help: "Guidance scale (1 = none).") var cfg: Double = 1
    @Option(name: .long, help: "Guidance only from this t on.") var cfgIntervalStart: Double?
    @Option(name: .long, help: "Noise seed.") var seed: UInt64 = 0
    @Flag(name: .long, help: "Use the raw weights instead of the EMA weights.") var raw = false
    @Flag(name: .long, help: "Also write samples.npz (arr_0: uint8 [N, H, W, 3], the ADM evaluator's format).") var npz = false
    @Option(name: .long, help: "Output folder.") var output: String

    func validate() throws {
        if perClass < 1 { throw ValidationError("--per-class must be at least 1") }
        if steps < 2 { throw ValidationError("--steps must be at least 2") }
    }

    func run() throws {
        let n = try DiTSampling.run(DiTSampling.Request(
            model: model, tokenizer: tokenizer, classes: try classes.map { try $0.split(separator: ",").map { s -> Int in
                guard let i = Int(s.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--classes takes class indices, got '\(s)'") }
                return i
            } }, perClass: perClass, method: method, steps: steps, shift: shift, cfg: cfg, cfgIntervalStart: cfgIntervalStart,
            seed: seed, useEMA: !raw, npz: npz, output: output)) { done, total in
            FileHandle.standardError.write(Data("\r\(done)/\(total) samples".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print("\(n) samples -> \(output) (grid.png\(npz ? ", samples.npz" : ""))")
    }
}
