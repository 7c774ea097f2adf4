import Foundation
import VTPTensor

/// A collated multi-crop batch, laid out as DINOv2's `collate_data_and_cast`: crop-major, i.e. rows
/// 0..<B are global crop 0 of every image, rows B..<2B global crop 1, and so on.
public struct MultiCropBatch {
    /// [globalCount · B, 3, G, G]
    public var globalCrops: Tensor
    /// [localCount · B, 3, L, L] (nil when there are no local crops)
    public var localCrops: Tensor?
    /// iBOT masks over the global crops' patch grid, in the same row order as `globalCrops`.
    public var masks: IBOTMaskBatch?
    public var captions: [String?]
    public var labels: [Int?]
    /// The images this batch came from (B entries).
    public var imageCount: Int
}

/// iBOT masking settings for `MultiCropCollate` (DINOv2 defaults: ratio 0.1–0.5, probability 0.5).
public struct MaskingSettings: Sendable, Equatable {
    public var generator: MaskingGenerator
    public var ratio: ClosedRange<Double>
    public var probability: Double

    public init(generator: MaskingGenerator, ratio: ClosedRange<Double> = 0.1...0.5, probability: Double = 0.5) {
        self.generator = generator
        self.ratio = ratio
        self.probability = probability
    }

    /// DINOv2's training setup for `globalSize`-pixel crops and `patchSize`-pixel patches.
    public static func dinov2(globalSize: Int, patchSize: Int) -> MaskingSettings {
        let n = globalSize / patchSize
        return MaskingSettings(generator: MaskingGenerator(height: n, width: n, maxNumPatches: 0.5 * Double(n * n)))
    }
}

public enum MultiCropCollate {
    /// Stacks the crops crop-major and, with `masking`, samples the iBOT masks with `rng`.
    public static func collate(_ samples: [MultiCropSample], captions: [String?]? = nil, labels: [Int?]? = nil,
                               masking: MaskingSettings?, rng: inout RNG) -> MultiCropBatch {
        precondition(!samples.isEmpty, "MultiCropCollate: empty batch")
        let b = samples.count
        let first = samples[0]
        let g = first.globalSize, l = first.localSize
        let nG = first.globalCrops.count, nL = first.localCrops.count
        for s in samples {
            precondition(s.globalCrops.count == nG && s.localCrops.count == nL && s.globalSize == g && s.localSize == l,
                         "MultiCropCollate: samples disagree on crop counts or sizes")
        }
        func stack(_ pick: (MultiCropSample) -> [[Float]], count: Int, size: Int) -> Tensor {
            let plane = 3 * size * size
            var values = [Float](repeating: 0, count: count * b * plane)
            values.withUnsafeMutableBufferPointer { dst in
                for k in 0..<count {
                    for (i, s) in samples.enumerated() {
                        let crop = pick(s)[k]
                        precondition(crop.count == plane, "MultiCropCollate: crop has \(crop.count) values, expected \(plane)")
                        crop.withUnsafeBufferPointer { src in
                            (dst.baseAddress! + (k * b + i) * plane).update(from: src.baseAddress!, count: plane)
                        }
                    }
                }
            }
            return Tensor(values, shape: [count * b, 3, size, size])
        }
        let global = stack({ $0.globalCrops }, count: nG, size: g)
        let local = nL > 0 ? stack({ $0.localCrops }, count: nL, size: l) : nil
        let masks = masking.map {
            IBOTMasking.sample(imageCount: nG * b, generator: $0.generator, ratio: $0.ratio, probability: $0.probability,
                               rng: &rng)
        }
        return MultiCropBatch(globalCrops: global, localCrops: local, masks: masks,
                              captions: captions ?? Array(repeating: nil, count: b),
                              labels: labels ?? Array(repeating: nil, count: b), imageCount: b)
    }

    /// Collates a loader batch; the mask generator is seeded from (seed, batch start cursor), so masks
    /// are reproducible after a resume and independent of the number of workers.
    public static func collate(_ batch: DataBatch<MultiCropSample>, masking: MaskingSettings?, seed: UInt64) -> MultiCropBatch {
        var rng = RNG(seed: SampleSeeds.mix(SampleSeeds.sampleSeed(seed: seed, epoch: batch.start.epoch,
                                                                   index: batch.start.position), 0x3A5C))
        return collate(batch.values, captions: batch.captions, labels: batch.labels, masking: masking, rng: &rng)
    }
}
