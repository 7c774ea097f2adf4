import Foundation
import VTPTensor

/// iBOT / DINOv2 block-wise masking (`dinov2/data/masking.py`, `MaskingGenerator`) on a `height`×`width`
/// patch grid: rectangles of area U(minNumPatches, remaining budget) and aspect ratio log-uniform in
/// (minAspect, maxAspect) are added until the requested number of patches is masked (or a block of 10
/// tries adds nothing). Masks are row-major `[Bool]` of length height·width.
public struct MaskingGenerator: Sendable, Equatable {
    public let height: Int
    public let width: Int
    public let minNumPatches: Int
    /// Upper bound of one call's per-step budget (DINOv2 training uses half the grid).
    public let maxNumPatches: Double
    public let logAspectRatio: (Double, Double)

    public init(height: Int, width: Int, minNumPatches: Int = 4, maxNumPatches: Double? = nil,
                minAspect: Double = 0.3, maxAspect: Double? = nil) {
        precondition(height >= 1 && width >= 1, "MaskingGenerator: grid must be at least 1x1")
        precondition(minAspect > 0, "MaskingGenerator: minAspect must be > 0")
        self.height = height
        self.width = width
        self.minNumPatches = minNumPatches
        self.maxNumPatches = maxNumPatches ?? 0.5 * Double(height * width)
        let maxA = maxAspect ?? 1 / minAspect
        logAspectRatio = (Foundation.log(minAspect), Foundation.log(maxA))
    }

    public static func == (a: MaskingGenerator, b: MaskingGenerator) -> Bool {
        a.height == b.height && a.width == b.width && a.minNumPatches == b.minNumPatches
            && a.maxNumPatches == b.maxNumPatches && a.logAspectRatio == b.logAspectRatio
    }

    public var patchCount: Int { height * width }

    /// One mask with about `numMaskingPatches` patches set (never more).
    public func callAsFunction(_ numMaskingPatches: Int, rng: inout RNG) -> [Bool] {
        var mask = [Bool](repeating: false, count: height * width)
        var count = 0
        while count < numMaskingPatches {
            let budget = min(Double(numMaskingPatches - count), maxNumPatches)
            let delta = addBlock(&mask, maxPatches: budget, rng: &rng)
            if delta == 0 { break }
            count += delta
        }
        return mask
    }

    /// `_mask`: up to 10 tries to add one rectangle that adds 1...maxPatches new patches.
    func addBlock(_ mask: inout [Bool], maxPatches: Double, rng: inout RNG) -> Int {
        var delta = 0
        for _ in 0..<10 {
            let lo = Double(minNumPatches)
            let targetArea = lo + (maxPatches - lo) * rng.uniformDouble()  // random.uniform(a, b)
            let aspect = Foundation.exp(logAspectRatio.0 + (logAspectRatio.1 - logAspectRatio.0) * rng.uniformDouble())
            let h = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
            let w = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
            if w < width && h < height {
                let top = rng.int(below: height - h + 1)  // random.randint(0, height - h)
                let left = rng.int(below: width - w + 1)
                var alreadyMasked = 0
                for i in top..<(top + h) {
                    for j in left..<(left + w) where mask[i * width + j] { alreadyMasked += 1 }
                }
                let new = h * w - alreadyMasked
                if new > 0 && Double(new) <= maxPatches {
                    for i in top..<(top + h) {
                        for j in left..<(left + w) where !mask[i * width + j] {
                            mask[i * width + j] = true
                            delta += 1
                        }
                    }
                }
                if delta > 0 { break }
            }
        }
        return delta
    }
}

/// The masks of one batch of global crops plus what the iBOT loss needs (DINOv2 `collate_data_and_cast`).
public struct IBOTMaskBatch: Sendable, Equatable {
    /// One mask per global-crop image (`[Bool]` of length patchCount), in the collated image order.
    public var masks: [[Bool]]
    /// Positions of masked patches in the flattened [images × patchCount] masks, ascending.
    public var maskIndices: [Int]
    /// For each entry of `maskIndices`: 1 / (number of masked patches of its image).
    public var weights: [Float]
    /// Σ int(N·ratio_max) over the masked images (DINOv2's `upperbound`, for buffer sizing).
    public var upperBound: Int
    public var patchCount: Int

    public var maskedPatchCount: Int { maskIndices.count }
    /// Image of each masked patch (maskIndices / patchCount).
    public var maskImageIndices: [Int] { maskIndices.map { $0 / patchCount } }
}

/// DINOv2's batch-level mask sampling.
public enum IBOTMasking {
    /// Masks for `imageCount` global-crop images: `int(imageCount·probability)` of them get masks whose
    /// ratios are spread over `ratio` (image i draws U(r_i, r_{i+1}) from `linspace(ratio, n+1)`, float32
    /// as torch), the rest get empty masks, and the list is shuffled.
    public static func sample(imageCount: Int, generator: MaskingGenerator, ratio: ClosedRange<Double> = 0.1...0.5,
                              probability: Double = 0.5, rng: inout RNG) -> IBOTMaskBatch {
        precondition(imageCount >= 0, "IBOTMasking: negative image count")
        precondition(probability >= 0 && probability <= 1, "IBOTMasking: probability must be in [0, 1]")
        let n = generator.patchCount
        let maskedCount = Int(Double(imageCount) * probability)
        let probs = linspace(Float(ratio.lowerBound), Float(ratio.upperBound), steps: maskedCount + 1)
        var masks: [[Bool]] = []
        var upper = 0
        for i in 0..<maskedCount {
            let lo = probs[i], hi = probs[i + 1]
            let r = lo + (hi - lo) * Float(rng.uniformDouble())
            masks.append(generator(Int(Float(n) * r), rng: &rng))
            upper += Int(Float(n) * hi)
        }
        for _ in maskedCount..<max(maskedCount, imageCount) {
            masks.append([Bool](repeating: false, count: n))
        }
        // random.shuffle
        for i in stride(from: masks.count - 1, to: 0, by: -1) { masks.swapAt(i, rng.int(below: i + 1)) }
        var indices: [Int] = []
        var weights: [Float] = []
        for (b, mask) in masks.enumerated() {
            let masked = mask.reduce(0) { $0 + ($1 ? 1 : 0) }
            let weight = 1 / Float(max(masked, 1))
            for (p, on) in mask.enumerated() where on {
                indices.append(b * n + p)
                weights.append(weight)
            }
        }
        return IBOTMaskBatch(masks: masks, maskIndices: indices, weights: weights, upperBound: upper, patchCount: n)
    }

    /// `torch.linspace(start, end, steps)` in float32 (the two halves are computed from either end).
    static func linspace(_ start: Float, _ end: Float, steps: Int) -> [Float] {
        if steps <= 0 { return [] }
        if steps == 1 { return [start] }
        let step = (end - start) / Float(steps - 1)
        let half = steps / 2
        return (0..<steps).map { i in i < half ? start + step * Float(i) : end - step * Float(steps - 1 - i) }
    }
}
