import VTPModels
import VTPTensor

/// LPIPS-VGG v0.1 distances of image pairs at 256×256 (random weights, no grad): pairs/s, the evaluation path
/// (`vtp eval lpips`, `vtp eval reconstruction`). The PyTorch side is `bench/pytorch/lpips_bench.py` (the `lpips`
/// package, same shapes).
func benchLPIPS() {
    var rng = RNG(seed: 1)
    let model = LPIPS(seed: 1)
    let batch = args.batch
    let x = Tensor.randomUniform([batch, 3, 256, 256], -1, 1, rng: &rng), y = Tensor.randomUniform([batch, 3, 256, 256], -1, 1, rng: &rng)
    let times = timeSteps(steps: args.steps, warmup: args.warmup) { _ = withNoGrad { model(x, y) } }
    emit(["framework": "swiftvtp", "bench": "lpips_vgg", "batch": batch, "median_s": median(times),
          "images_per_s": Double(batch) / median(times), "threads": Parallel.threadCount, "peak_rss_mb": peakRSSMB()])
}
