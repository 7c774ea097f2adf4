import Foundation
import VTPData
import VTPTensor

/// `vtp-bench loader`: data-pipeline throughput (samples per second and CPU cores busy) of the synthetic scenes,
/// DINOv2 multi-crop and the prefetching loader, and how loader workers overlap waiting-bound work.
func benchLoader() {
    func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
    func rate(_ label: String, count: Int, _ body: () throws -> Void) {
        let start = now(), cpu0 = cpuSeconds()
        do { try body() } catch { print("\(label): \(error)"); return }
        let seconds = now() - start, cpu = cpuSeconds() - cpu0
        print(String(format: "loader %@: %d in %.3f s = %.1f samples/s (%.2f cores busy)", label, count, seconds,
                     Double(count) / seconds, cpu / seconds))
    }
    do {
        let scenes = SyntheticScenes(count: 100_000, size: 64, seed: 1)
        rate("SyntheticScenes 64x64, 1 thread", count: 5000) { for i in 0..<5000 { _ = try scenes.sample(i) } }
        let big = SyntheticScenes(count: 1000, size: 224, seed: 1)
        rate("SyntheticScenes 224x224, 1 thread", count: 500) { for i in 0..<500 { _ = try big.sample(i) } }
        let loader = try DataLoader(dataset: scenes, batchSize: 64, seed: 1, workers: 2)
        rate("SyntheticScenes 64x64 via DataLoader, 2 workers", count: 64 * 80) { for _ in 0..<80 { _ = try loader.next() } }
        loader.close()

        let aug = try MultiCropAugmentation(config: .dinov2)  // 2 x 224 + 8 x 96
        let ds = SyntheticScenes(count: 1000, size: 256, seed: 2)
        let images = try (0..<8).map { try ds.sample($0).image }
        var rng = RNG(seed: 1)
        rate("MultiCrop DINOv2 (2x224 + 8x96) from 256x256, 1 thread", count: 40) {
            for i in 0..<40 { _ = aug(images[i % 8], rng: &rng) }
        }
        let crops = try DataLoader(dataset: ds, batchSize: 16, seed: 1, workers: 2) { s, rng in aug(s.image, rng: &rng) }
        rate("render 256x256 + MultiCrop DINOv2 via DataLoader, 2 workers", count: 16 * 5) { for _ in 0..<5 { _ = try crops.next() } }
        crops.close()

        for workers in [1, 2, 4] {
            let waiting = try DataLoader(dataset: SyntheticScenes(count: 1000, size: 16, seed: 1), batchSize: 10, seed: 1,
                                         workers: workers) { s, _ -> Int in
                usleep(5000)
                return s.label ?? 0
            }
            rate("60 samples x 5 ms wait, \(workers) worker(s)", count: 60) { for _ in 0..<6 { _ = try waiting.next() } }
            waiting.close()
        }
    } catch {
        print("loader benchmark failed: \(error)")
    }
}
