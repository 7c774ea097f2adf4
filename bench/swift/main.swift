// SwiftVTP benchmarks (not tests). Prints one JSON object per measurement, with the same fields as the
// PyTorch reference scripts in bench/pytorch, so bench/run.sh can put both side by side.
//
//   swift run -c release vtp-bench peak | gemm | vit-step [--mode fp32|bf16] | reconstruct [--size S|B] [--mode ..] | conv
//                                  | dit-step [--depth N] [--batch 4] | dit-sample [--steps 50] [--batch 16] [--repeats 1]
import Dispatch
import Foundation
import VTPModels
import VTPNN
import VTPTensor

struct Args {
    var command = "all", mode = "fp32", size = "S"
    var steps = 5, warmup = 2, batch = 8, depth = 12, repeats = 1
    /// The options given on the command line (for commands whose defaults differ from the ones above).
    var given: Set<String> = []
    init() {
        var it = CommandLine.arguments.dropFirst().makeIterator()
        if let c = it.next() { command = c }
        while let a = it.next() {
            given.insert(a)
            switch a {
            case "--mode": mode = it.next() ?? mode
            case "--size": size = it.next() ?? size
            case "--steps": steps = Int(it.next() ?? "") ?? steps
            case "--warmup": warmup = Int(it.next() ?? "") ?? warmup
            case "--batch": batch = Int(it.next() ?? "") ?? batch
            case "--depth": depth = Int(it.next() ?? "") ?? depth
            case "--repeats": repeats = Int(it.next() ?? "") ?? repeats
            default: FileHandle.standardError.write("unknown option \(a)\n".data(using: .utf8)!); exit(2)
            }
        }
    }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func timeSteps(steps: Int, warmup: Int, _ body: () -> Void) -> [Double] {
    for _ in 0..<warmup { body() }
    return (0..<steps).map { _ in let t = now(); body(); return now() - t }
}

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }

func peakRSSMB() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_maxrss) / 1024
}

func emit(_ record: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
    print(String(data: data, encoding: .utf8)!)
    fflush(stdout)
}

let args = Args()
Profiler.isEnabled = ProcessInfo.processInfo.environment["VTP_PROFILE"] != nil
let precision: MatmulPrecision = args.mode == "bf16" ? .bf16 : .f32

func vitConfig(_ size: String) -> VTPConfig {
    var c = VTPConfig()
    (c.imageSize, c.trainClip) = (256, false)
    switch size {
    case "B": (c.visionEmbedDim, c.visionDepth, c.visionNumHeads) = (768, 12, 12)
    default: (c.visionEmbedDim, c.visionDepth, c.visionNumHeads) = (384, 12, 6)
    }
    (c.decoderEmbedDim, c.decoderDepth, c.decoderNumHeads) = (c.visionEmbedDim, c.visionDepth, c.visionNumHeads)
    c.visionFeatureBottleneck = 64
    return c
}

func benchGEMM() {
    let peaks = Peaks.measure()
    emit(peaks.record)
    let m = 8 * 257
    let shapes = [(384, 1152), (384, 384), (384, 1024), (1024, 384)]
    for p in [MatmulPrecision.f32, .bf16] {
        for (k, n) in shapes {
            var rng = RNG(seed: 1)
            let x = Tensor.randomNormal([m, k], rng: &rng), w = Tensor.randomNormal([n, k], rng: &rng)
            let dy = Tensor.randomNormal([m, n], rng: &rng)
            let cases: [(String, Int, Int, Int, () -> Void)] = [
                ("fwd", m, n, k, { _ = x.linear(w) }),
                ("dX", m, k, n, { _ = dy.matmul(w) }),
                ("dW", n, k, m, { _ = dy.matmul(x, transposeA: true) }),
            ]
            for (name, mm, nn, kk, f) in cases {
                let t = MatmulMode.with(p) { median(timeSteps(steps: 10, warmup: 2, f)) }
                let g = 2.0 * Double(mm * nn * kk) / t / 1e9
                emit(["framework": "swiftvtp", "bench": "gemm", "op": name, "m": mm, "n": nn, "k": kk,
                      "dtype": p == .bf16 ? "bf16" : "fp32", "gflops": g,
                      "fraction_of_peak": g / (p == .bf16 ? peaks.forBF16Mode : peaks.f32)])
            }
        }
    }
}

func benchViTStep() {
    var c = vitConfig("S")
    c.visionFeatureBottleneck = nil  // the train step ends at the final norm (no bottleneck), like the PyTorch side
    c.trainReconstruction = false
    var rng = RNG(seed: 0)
    let trunk = VisionTransformer(config: c, rng: &rng)
    let images = Tensor.randomNormal([args.batch, 3, 256, 256], rng: &rng)
    let params = trunk.namedParameters().map(\.1).filter { $0.requiresGrad }
    let opt = AdamW(params, lr: 1e-4, weightDecay: 0.05)
    TensorAllocator.shared.resetPeak()
    let times = MatmulMode.with(precision) {
        timeSteps(steps: args.steps, warmup: args.warmup) {
            trunk.zeroGrad()
            Profiler.mark()
            var unused = RNG(seed: 0)
            let f = trunk.features(images, precision: .fp32, rng: &unused)
            let (cls, patches) = (f.cls, f.patches)
            let loss = (cls.pow(2).sum() + patches.pow(2).sum()) / Float(cls.count + patches.count)
            loss.backward()
            let t0 = now()
            opt.update()
            if Profiler.isEnabled { Profiler.add("optimizer AdamW", UInt64((now() - t0) * 1e9)) }
        }
    }
    if Profiler.isEnabled { FileHandle.standardError.write((Profiler.report() + "\n").data(using: .utf8)!) }
    emit(["framework": "swiftvtp", "bench": "vit_s_train_step", "mode": args.mode, "median_s": median(times),
          "min_s": times.min()!, "steps": args.steps, "threads": Parallel.threadCount, "peak_rss_mb": peakRSSMB(),
          "peak_tensor_mb": Double(TensorAllocator.shared.peakLiveBytes) / 1048576])
}

func benchReconstruct() {
    let model = try! VTPModel(config: vitConfig(args.size))
    model.ropePrecision = .fp32
    var rng = RNG(seed: 0)
    let images = Tensor.randomNormal([args.batch, 3, 256, 256], rng: &rng)
    let times = MatmulMode.with(precision) {
        withNoGrad { timeSteps(steps: args.steps, warmup: args.warmup) { Profiler.mark(); _ = try! model.reconstruct(images) } }
    }
    if Profiler.isEnabled { FileHandle.standardError.write((Profiler.report() + "\n").data(using: .utf8)!) }
    emit(["framework": "swiftvtp", "bench": "vtp_\(args.size.lowercased())_reconstruct", "mode": args.mode,
          "median_s": median(times), "images_per_s": Double(args.batch) / median(times), "threads": Parallel.threadCount,
          "peak_rss_mb": peakRSSMB()])
}

switch args.command {
case "peak": emit(Peaks.measure().record)
case "gemm": benchGEMM()
case "micro": benchMicro()
case "attention": benchAttention()
case "vit-step": benchViTStep()
case "reconstruct": benchReconstruct()
case "conv": benchConv()
case "loader": benchLoader()
case "inception": benchInception()
case "lpips": benchLPIPS()
case "dit-step": benchDiTStep()
case "dit-sample": benchDiTSample()
default:
    FileHandle.standardError.write("usage: vtp-bench peak | gemm | micro | attention | conv | inception | lpips | loader | vit-step | reconstruct | dit-step | dit-sample [--mode fp32|bf16] [--size S|B] [--steps N] [--warmup N] [--batch N] [--depth N] [--repeats N]\n".data(using: .utf8)!)
    exit(2)
}
