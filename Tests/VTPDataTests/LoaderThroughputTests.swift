import Foundation
import Testing
@testable import VTPData
import VTPTensor

private let benchEnabled = ProcessInfo.processInfo.environment["VTP_DATA_BENCH"] == "1"

/// Throughput measurements (samples per second), printed; run with `VTP_DATA_BENCH=1 swift test --filter
/// LoaderThroughput`. VTPData is compiled with -O even in debug builds, so the numbers are representative.
@Suite("Loader throughput", .enabled(if: benchEnabled, "set VTP_DATA_BENCH=1 to measure throughput"))
struct LoaderThroughputTests {
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// Prints samples per wall-clock second and the process CPU time used meanwhile (cores busy).
    static func rate(_ label: String, count: Int, _ body: () throws -> Void) rethrows {
        let start = DispatchTime.now().uptimeNanoseconds
        let cpu0 = cpuSeconds()
        try body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let cpu = cpuSeconds() - cpu0
        print(String(format: "THROUGHPUT %@: %d in %.3f s = %.1f samples/s (CPU %.2f s, %.2f cores; %.1f samples per CPU-second)",
                     label, count, seconds, Double(count) / seconds, cpu, cpu / seconds, Double(count) / cpu))
    }

    @Test func syntheticScenes() throws {
        let ds = SyntheticScenes(count: 100_000, size: 64, seed: 1)
        try Self.rate("SyntheticScenes 64x64, 1 thread", count: 5000) {
            for i in 0..<5000 { _ = try ds.sample(i) }
        }
        let big = SyntheticScenes(count: 1000, size: 224, seed: 1)
        try Self.rate("SyntheticScenes 224x224, 1 thread", count: 500) {
            for i in 0..<500 { _ = try big.sample(i) }
        }
        let loader = try DataLoader(dataset: ds, batchSize: 64, seed: 1, workers: 2)
        try Self.rate("SyntheticScenes 64x64 via DataLoader, 2 workers", count: 64 * 80) {
            for _ in 0..<80 { _ = try loader.next() }
        }
        loader.close()
    }

    @Test func multiCrop() throws {
        let aug = try MultiCropAugmentation(config: .dinov2)  // 2 x 224 + 8 x 96
        let ds = SyntheticScenes(count: 1000, size: 256, seed: 2)
        let images = try (0..<8).map { try ds.sample($0).image }
        var rng = RNG(seed: 1)
        Self.rate("MultiCrop DINOv2 (2x224 + 8x96) from 256x256, 1 thread", count: 40) {
            for i in 0..<40 { _ = aug(images[i % 8], rng: &rng) }
        }
        var small = MultiCropAugmentation.Config()
        small.globalSize = 64
        small.localSize = 32
        small.localCropCount = 4
        let augSmall = try MultiCropAugmentation(config: small)
        let ds64 = SyntheticScenes(count: 100_000, size: 64, seed: 3)
        let images64 = try (0..<8).map { try ds64.sample($0).image }
        Self.rate("MultiCrop (2x64 + 4x32) from 64x64, 1 thread", count: 1000) {
            for i in 0..<1000 { _ = augSmall(images64[i % 8], rng: &rng) }
        }
        let loader = try DataLoader(dataset: ds, batchSize: 16, seed: 1, workers: 2) { s, rng in aug(s.image, rng: &rng) }
        Self.rate("render 256x256 + MultiCrop DINOv2 via DataLoader, 2 workers", count: 16 * 5) {
            for _ in 0..<5 { _ = try? loader.next() }
        }
        loader.close()
        let loader64 = try DataLoader(dataset: ds64, batchSize: 64, seed: 1, workers: 2) { s, rng in augSmall(s.image, rng: &rng) }
        Self.rate("render 64x64 + MultiCrop (2x64 + 4x32) via DataLoader, 2 workers", count: 64 * 30) {
            for _ in 0..<30 { _ = try? loader64.next() }
        }
        loader64.close()
    }

    /// Waiting-bound work (like reading from a slow disk) scales with the number of workers.
    @Test func workersOverlapWaiting() throws {
        let ds = SyntheticScenes(count: 1000, size: 16, seed: 1)
        var times: [Int: Double] = [:]
        for workers in [1, 2, 4] {
            let loader = try DataLoader(dataset: ds, batchSize: 10, seed: 1, workers: workers) { s, _ -> Int in
                usleep(5000)
                return s.label ?? 0
            }
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<6 { _ = try loader.next() }
            times[workers] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            loader.close()
            print(String(format: "THROUGHPUT 60 samples x 5 ms wait, %d worker(s): %.3f s", workers, times[workers]!))
        }
        #expect(times[2]! < 0.75 * times[1]!)
    }
}
