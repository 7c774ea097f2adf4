import Foundation
import VTPModels
import VTPNN
import VTPTensor

/// The parity entry point (`vtp dit reference`): every output of the official LightningDiT fixtures from their
/// inputs and sampling settings (see Tests/VTPGenerationTests/Fixtures/lightningdit-tiny/README.md).
public enum DiTReference {
    /// The fixture inputs: `x` [B, C, H, W], `t` [B], `y` [B] (I64), `x_cfg` [2B, …], `t_cfg` [2B], `y_cfg` [2B],
    /// `noise` [S, C, H, W], `y_sample` [S], `train_x0` [B, C, H, W]. The `*_cfg` keys may be absent for a model
    /// without a null class (then no CFG key is produced).
    public struct Inputs {
        public var x: Tensor, t: [Float], y: [Int]
        public var cfg: (x: Tensor, t: [Float], y: [Int])?
        public var noise: Tensor, ySample: [Int]
        public var trainX0: Tensor

        /// Reads the inputs, naming every missing key in one error.
        public init(file: SafeTensorsFile) throws {
            let needed = ["x", "t", "y", "noise", "y_sample", "train_x0"]
            let missing = needed.filter { !file.contains($0) }
            guard missing.isEmpty else {
                throw GenerationError.invalidInput("\(file.url.path) lacks \(missing.joined(separator: ", ")) (it has: \(file.names.joined(separator: ", ")))")
            }
            func tensor(_ k: String) throws -> Tensor { Tensor(try file.floats(k), shape: try file.info(k).shape) }
            func labels(_ k: String) throws -> [Int] {
                let info = try file.info(k)
                guard [.i64, .i32].contains(info.dtype) else {
                    throw GenerationError.invalidInput("'\(k)' must hold integer labels (I64 or I32), got \(info.dtype)")
                }
                return try file.int64s(k).map { Int($0) }
            }
            (x, t, y) = (try tensor("x"), try file.floats("t"), try labels("y"))
            if file.contains("x_cfg") || file.contains("t_cfg") || file.contains("y_cfg") {
                cfg = (try tensor("x_cfg"), try file.floats("t_cfg"), try labels("y_cfg"))
            }
            (noise, ySample, trainX0) = (try tensor("noise"), try labels("y_sample"), try tensor("train_x0"))
        }
    }

    /// Every expected key, in the fixture's order: out, cfg_out, timesteps, sample, sample_traj, sample_cfg,
    /// sample_cfg_traj, sample_cfg_interval (when `cfg_interval_start_extra` is set), train_xt, train_ut, train_pred,
    /// train_loss, train_cos_loss. CFG uses `cfg_channels` from the sample settings, official when absent; the CFG
    /// keys are left out for a model without a null class (class_dropout_prob 0), as the official code cannot run them.
    public static func outputs(model: LightningDiT, inputs i: Inputs, sampling: SamplingFile) throws -> [(String, Tensor)] {
        try withNoGrad {
            let s = sampling.sample
            let sampler = try FlowSampler(settings: s)
            let channels = s.cfgChannels ?? .official
            var out: [(String, Tensor)] = []
            out.append(("out", try model(i.x, t: i.t, y: i.y)))
            let hasNull = model.config.nullClass != nil
            if hasNull {
                guard let c = i.cfg else { throw GenerationError.invalidInput("inputs lack x_cfg, t_cfg, y_cfg") }
                let plainCFG = Guidance(scale: Float(s.cfgScale), channels: channels)
                out.append(("cfg_out", try model.forwardWithCFG(c.x, t: c.t, y: c.y, guidance: plainCFG)))
            }
            let grid = try sampler.timeGrid()
            out.append(("timesteps", Tensor(grid, shape: [grid.count])))
            func stacked(_ states: [Tensor]) -> Tensor {
                Tensor.concat(states.map { $0.reshaped([1] + $0.shape) }, axis: 0)
            }
            let traj = try model.sampleTrajectory(noise: i.noise, labels: i.ySample, sampler: sampler)
            out.append(("sample", traj.last!))
            out.append(("sample_traj", stacked(traj)))
            func guided(start: Double) -> Guidance {
                Guidance(scale: Float(s.cfgScale), channels: channels, intervalStart: Float(start))
            }
            if hasNull {
                let cfgTraj = try model.sampleTrajectory(noise: i.noise, labels: i.ySample, sampler: sampler,
                                                         guidance: guided(start: s.cfgIntervalStart))
                out.append(("sample_cfg", cfgTraj.last!))
                out.append(("sample_cfg_traj", stacked(cfgTraj)))
            }
            if hasNull, let extra = sampling.cfgIntervalStartExtra {
                let t = try model.sampleTrajectory(noise: i.noise, labels: i.ySample, sampler: sampler,
                                                   guidance: guided(start: extra))
                out.append(("sample_cfg_interval", t.last!))
            }
            let terms = try model.flowMatchingTerms(data: i.x, noise: i.trainX0, t: i.t, y: i.y)
            out += [("train_xt", terms.xt), ("train_ut", terms.ut), ("train_pred", terms.prediction),
                    ("train_loss", terms.loss), ("train_cos_loss", terms.cosLoss)]
            return out
        }
    }

    /// Loads the model folder, the inputs and the sampling settings, writes every output (F32) to `output`
    /// atomically, and returns the written keys with their shapes.
    @discardableResult
    public static func run(model modelDirectory: URL, inputs: URL, sampling: URL, output: URL) throws -> [(String, [Int])] {
        let model = try LightningDiT.load(directory: modelDirectory)
        let settings = try SamplingFile.load(from: sampling)
        let results = try outputs(model: model, inputs: try Inputs(file: try SafeTensorsFile(url: inputs)), sampling: settings)
        var w = SafeTensorsWriter(metadata: ["format": "pt", "producer": "swiftvtp vtp dit reference"])
        for (k, t) in results { try w.add(name: k, shape: t.shape, floats: t.scalars) }
        try w.write(to: output)
        return results.map { ($0.0, $0.1.shape) }
    }
}
