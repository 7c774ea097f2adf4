// LightningDiT benchmarks: one flow-matching training step (`dit-step`) and Euler sampling (`dit-sample`) of
// LightningDiT-B/1 on VTP latents, against bench/pytorch/dit_bench.py.
import Foundation
import VTPGeneration
import VTPModels
import VTPNN
import VTPTensor

/// LightningDiT-B/1 as the official VTP generation configs set it up: 16×16×64 latents (256 tokens), 1000 classes
/// (+ the null class), RMSNorm, 2-D RoPE, SwiGLU (hidden int(2/3·4·768) = 2048), no q/k norm, learn_sigma false;
/// `--depth` (default 12) shrinks it for a quick run.
func ditBenchConfig() -> LightningDiTConfig {
    var c = LightningDiTConfig.preset("B/1", base: .vtpLatents)!
    c.depth = args.depth
    return c
}

/// FLOPs (2 per multiply-add) of the matrix products of one LightningDiT forward for one sample, the count both
/// sides report: per token the patch embedding 2·(C·p²)·D, per block qkv 2·3D², proj 2·D², SwiGLU 2·(2DH + HD) and
/// attention QKᵀ + PV 2·2·N·D, the final linear 2·D·(p²·C_out); per sample the timestep MLP 2·(256·D + D²), the
/// adaLN linears 2·D·6D (4D without shift) per block and 2·D·2D in the final layer. Elementwise work (norms,
/// softmax, RoPE, modulation, the loss) is not counted.
func ditForwardFLOP(_ c: LightningDiTConfig) -> Double {
    let (n, d, h) = (Double(c.tokenCount), Double(c.hiddenSize), Double(c.mlpHiddenSize))
    let pp = Double(c.patchSize * c.patchSize)
    let mlp = c.useSwiglu ? 2 * d * h + h * d : 2 * d * h
    let block = 2 * (3 * d * d + d * d + mlp) + 4 * n * d
    let perToken = 2 * pp * Double(c.inChannels) * d + Double(c.depth) * block + 2 * d * pp * Double(c.outChannels)
    let perSample = 2 * (256 * d + d * d) + Double(c.depth) * 2 * d * Double(c.woShift ? 4 : 6) * d + 2 * d * 2 * d
    return n * perToken + perSample
}

/// Runs `body`, or prints its error and exits with status 2 (bad `--depth`, `--steps`, …).
func orExit<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch {
        FileHandle.standardError.write("vtp-bench: \(error)\n".data(using: .utf8)!)
        exit(2)
    }
}

/// Random data, noise, times in [0, 1) and labels for a batch of `b`.
func ditBatch(_ c: LightningDiTConfig, _ b: Int) -> (x1: Tensor, x0: Tensor, t: [Float], y: [Int]) {
    var rng = RNG(seed: 1)
    let shape = [b, c.inChannels, c.inputSize, c.inputSize]
    let x1 = Tensor.randomNormal(shape, rng: &rng), x0 = Tensor.randomNormal(shape, rng: &rng)
    let t = (0..<b).map { _ in rng.uniform() }
    let y = (0..<b).map { _ in min(Int(rng.uniform() * Float(c.numClasses)), c.numClasses - 1) }
    return (x1, x0, t, y)
}

/// One step of `DiTTrainStep` without the data pipeline and the EMA: zero_grad, x_t = t·x₁ + (1 − t)·x₀,
/// v̂ = DiT(x_t, t, y), loss = mean MSE(v̂, x₁ − x₀) + mean(1 − cos(v̂, x₁ − x₀)), backward, AdamW (lr 2e-4,
/// betas 0.9/0.95, weight decay 0). Batch 4 unless `--batch`.
func benchDiTStep() {
    let c = ditBenchConfig()
    let b = args.given.contains("--batch") ? args.batch : 4
    let model = orExit { try LightningDiT(config: c, seed: 0) }
    let (x1, x0, t, y) = ditBatch(c, b)
    let params = model.namedParameters().map(\.1).filter { $0.requiresGrad }
    let opt = AdamW(params, lr: 2e-4, weightDecay: 0, beta1: 0.9, beta2: 0.95)
    var loss: Float = 0
    TensorAllocator.shared.resetPeak()
    let times = MatmulMode.with(precision) {
        timeSteps(steps: args.steps, warmup: args.warmup) {
            model.zeroGrad()
            Profiler.mark()
            let total = orExit { try model.flowMatchingTerms(data: x1, noise: x0, t: t, y: y) }.total(cosineWeight: 1)
            total.backward()
            loss = total.item
            let t0 = now()
            opt.update()
            if Profiler.isEnabled { Profiler.add("optimizer AdamW", UInt64((now() - t0) * 1e9)) }
        }
    }
    if Profiler.isEnabled { FileHandle.standardError.write((Profiler.report() + "\n").data(using: .utf8)!) }
    let gflop = 3 * Double(b) * ditForwardFLOP(c) / 1e9  // forward + the two products of each backward
    emit(["framework": "swiftvtp", "bench": "dit_b1_train_step", "mode": args.mode, "median_s": median(times),
          "min_s": times.min()!, "steps": args.steps, "batch": b, "depth": c.depth, "params": c.parameterCount,
          "images_per_s": Double(b) / median(times), "gflop": gflop, "gflops": gflop / median(times),
          "last_loss": Double(loss), "threads": Parallel.threadCount, "peak_rss_mb": peakRSSMB(),
          "peak_tensor_mb": Double(TensorAllocator.shared.peakLiveBytes) / 1048576])
}

/// Euler sampling without guidance of a batch (16 unless `--batch`) on `--steps` grid points (default 50, so 49
/// model evaluations), no grad, as `vtp dit sample` runs it before decoding (`LightningDiT.sampleTrajectory`).
/// `--warmup` (default 1) single model evaluations precede `--repeats` (default 1) timed samplings.
func benchDiTSample() {
    let c = ditBenchConfig()
    let b = args.given.contains("--batch") ? args.batch : 16
    let points = args.given.contains("--steps") ? args.steps : 50
    let warmup = args.given.contains("--warmup") ? args.warmup : 1
    let model = orExit { try LightningDiT(config: c, seed: 0) }
    model.setTrainable(false)
    let (_, noise, _, labels) = ditBatch(c, b)
    let sampler = FlowSampler(method: .euler, steps: points)
    let evaluations = Double(points - 1)
    let times = MatmulMode.with(precision) { () -> [Double] in
        withNoGrad {
            for _ in 0..<warmup { _ = orExit { try model(noise, t: Array(repeating: 0.5, count: b), y: labels) } }
            return (0..<max(args.repeats, 1)).map { _ in
                let t0 = now()
                Profiler.mark()
                _ = orExit { try model.sampleTrajectory(noise: noise, labels: labels, sampler: sampler, keepAll: false) }
                return now() - t0
            }
        }
    }
    if Profiler.isEnabled { FileHandle.standardError.write((Profiler.report() + "\n").data(using: .utf8)!) }
    let gflop = evaluations * Double(b) * ditForwardFLOP(c) / 1e9
    emit(["framework": "swiftvtp", "bench": "dit_b1_sample", "mode": args.mode, "median_s": median(times),
          "min_s": times.min()!, "repeats": times.count, "grid_points": points, "batch": b, "depth": c.depth,
          "params": c.parameterCount,
          "samples_per_s": Double(b) / median(times), "s_per_evaluation": median(times) / evaluations,
          "gflop": gflop, "gflops": gflop / median(times), "threads": Parallel.threadCount, "peak_rss_mb": peakRSSMB()])
}
