import ArgumentParser
import Foundation
import VTPEval
import VTPGeneration

/// `vtp dit sample`: class-conditional samples decoded by a VTP tokenizer.
struct DitSample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sample class-conditional images with a LightningDiT and decode them with a VTP tokenizer.",
        discussion: """
        Writes OUTPUT/000000.png, … (class order, --per-class images per class; uint8 truncation as the official \
        code) and OUTPUT/grid.png (one labelled row per class). Defaults are the official VTP generation settings: \
        Euler on 250 grid points with timestep shift 0.075 and no guidance. --cfg S > 1 turns on classifier-free \
        guidance (from t ≥ --cfg-interval-start); --cfg-channels official guides channels 0-2 only (the official \
        code), all guides every channel (the default for latents with more than 4 channels).
        """)

    @Option(name: .long, help: "LightningDiT: a model folder, a `vtp dit train` checkpoint or run folder (newest checkpoint).")
    var model: String
    @Option(name: .long, help: "VTP tokenizer folder (default: the one recorded with a checkpoint's latents).")
    var tokenizer: String?
    @Option(name: .long, help: "Latent statistics file (mean/std per channel) the DiT was trained with (default: the checkpoint's).")
    var stats: String?
    @Flag(name: .long, help: "Use a checkpoint's raw weights instead of its EMA weights.")
    var raw = false
    @OptionGroup var matmul: PrecisionOption
    @Flag(name: .long, help: "Also write samples.npz (arr_0: uint8 [N, H, W, 3], the ADM evaluator's format).")
    var npz = false
    @Option(name: .long, help: "Comma-separated classes (default: all).")
    var classes: String?
    @Option(name: .long, help: "Images per class.")
    var perClass = 4
    @Option(name: .long, help: "ODE solver: euler, heun (heun2), midpoint, heun3, rk4, dopri5.")
    var method = "euler"
    @Option(name: .long, help: "Grid points (Euler/Heun make one update fewer; dopri5 output points).")
    var steps = 250
    @Option(name: .long, help: "Timestep shift (0 = none).")
    var shift = 0.075
    @Option(name: .long, help: "Classifier-free guidance scale (≤ 1: none).")
    var cfg = 1.0
    @Option(name: .long, help: "Guidance only from this t on (0 = noise, 1 = data).")
    var cfgIntervalStart = 0.0
    @Option(name: .long, help: "Guided channels: official (first 3) or all.")
    var cfgChannels: String?
    @Option(name: .long, help: "Random seed of the noise.")
    var seed: UInt64 = 0
    @Option(name: .long, help: "Images per model batch.")
    var batch = 16
    @Option(name: .long, help: "Output folder.")
    var output: String
    @Option(name: .long, help: "Domain classifier folder: then measure class consistency (and domain FD with --reference).")
    var net: String?
    @Option(name: .long, help: "Real images for the domain FD (e.g. fmnist-test); needs --net.")
    var reference: String?

    func run() throws {
        guard let m = ODEMethod(name: method) else { throw ValidationError("--method must be euler, heun, midpoint, heun3, rk4 or dopri5") }
        var o = DiTSampleRun.Options(model: URL(fileURLWithPath: model), tokenizer: tokenizer.map { URL(fileURLWithPath: $0) },
                                     output: URL(fileURLWithPath: output))
        (o.useEMA, o.npz) = (!raw, npz)
        if let c = cfgChannels {
            guard let v = CFGChannels(rawValue: c) else { throw ValidationError("--cfg-channels must be official or all") }
            o.cfgChannels = v
        }
        if let classes {
            let parsed = classes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) else { throw ValidationError("--classes must be integers, e.g. 0,3,7") }
            o.classes = parsed.map { $0! }
        }
        o.statistics = stats.map { URL(fileURLWithPath: $0) }
        (o.perClass, o.method, o.steps, o.shift, o.cfgScale, o.cfgIntervalStart, o.seed, o.batchSize) =
            (perClass, m, steps, shift, cfg, cfgIntervalStart, seed, batch)
        let report = try matmul.run {
            try DiTSampleRun.run(o) { done, total in
                FileHandle.standardError.write("\rsampled \(done)/\(total)".data(using: .utf8)!)
            }
        }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
        print("\(report.images) images in \(output) (\(String(format: "%.1f", report.seconds)) s); grid: \(report.grid.path)")
        print(report.settings)
        if let w = report.warning { note("warning: " + w) }
        if let net {
            let r = try GenerationEvaluation.evaluate(samples: URL(fileURLWithPath: output),
                                                      classifier: try DomainNetwork(directory: URL(fileURLWithPath: net)),
                                                      reference: reference)
            print(GenerationEvaluation.markdown(r))
        } else if reference != nil {
            throw ValidationError("--reference needs --net (the domain classifier)")
        }
    }
}
