import Foundation
import Testing
@testable import VTPData
import VTPTensor

@Suite("Augment: iBOT block masking")
struct AugmentMaskingTests {
    /// Connected components (4-neighbour) of a mask, each as its cell list.
    static func components(_ mask: [Bool], width: Int) -> [[(Int, Int)]] {
        let height = mask.count / width
        var seen = [Bool](repeating: false, count: mask.count)
        var out: [[(Int, Int)]] = []
        for start in 0..<mask.count where mask[start] && !seen[start] {
            var stack = [start]
            seen[start] = true
            var cells: [(Int, Int)] = []
            while let c = stack.popLast() {
                let (y, x) = (c / width, c % width)
                cells.append((y, x))
                for (dy, dx) in [(0, 1), (1, 0), (0, -1), (-1, 0)] {
                    let ny = y + dy, nx = x + dx
                    guard ny >= 0, ny < height, nx >= 0, nx < width else { continue }
                    let n = ny * width + nx
                    if mask[n] && !seen[n] {
                        seen[n] = true
                        stack.append(n)
                    }
                }
            }
            out.append(cells)
        }
        return out
    }

    @Test func singleBlocksAreRectanglesWithBoundedAspect() {
        let gen = MaskingGenerator(height: 14, width: 14)
        #expect(gen.maxNumPatches == 98)
        var rng = RNG(seed: 5)
        var blocks = 0
        for _ in 0..<400 {
            var mask = [Bool](repeating: false, count: 196)
            let added = gen.addBlock(&mask, maxPatches: 40, rng: &rng)
            let count = mask.filter { $0 }.count
            #expect(count == added)
            guard added > 0 else { continue }
            blocks += 1
            let comps = Self.components(mask, width: 14)
            #expect(comps.count == 1)
            let ys = comps[0].map(\.0), xs = comps[0].map(\.1)
            let h = ys.max()! - ys.min()! + 1, w = xs.max()! - xs.min()! + 1
            #expect(h * w == count, "not a rectangle")
            #expect(count <= 40 && count >= 2)  // area >= 4 before rounding to whole patches
            #expect(h < 14 && w < 14)
            // Aspect log-uniform in (0.3, 1/0.3), then rounded.
            #expect(Double(h) / Double(w) <= (1 / 0.3) * 2.5 && Double(h) / Double(w) >= 0.3 / 2.5)
        }
        #expect(blocks > 380)
    }

    @Test func masksHitTheirTargetCount() {
        let gen = MaskingGenerator(height: 16, width: 16)
        var rng = RNG(seed: 8)
        var totalRequested = 0, totalMasked = 0
        for target in stride(from: 0, through: 128, by: 8) {
            for _ in 0..<20 {
                let mask = gen(target, rng: &rng)
                let n = mask.filter { $0 }.count
                #expect(n <= target)
                totalRequested += target
                totalMasked += n
            }
        }
        // The generator stops early only when 10 tries add nothing; overall it gets close to the target.
        #expect(Double(totalMasked) / Double(totalRequested) > 0.9)
        var a = RNG(seed: 1), b = RNG(seed: 1)
        #expect(gen(50, rng: &a) == gen(50, rng: &b))
        #expect(gen(0, rng: &a) == [Bool](repeating: false, count: 256))
    }

    @Test func linspaceMatchesTorchFloat32() {
        #expect(IBOTMasking.linspace(0.1, 0.5, steps: 5) == [0.1, 0.2, 0.3, 0.4, 0.5].map { Float($0) })
        let nine = IBOTMasking.linspace(0.1, 0.5, steps: 9).map(Double.init)
        #expect(nine == [0.10000000149011612, 0.15000000596046448, 0.20000000298023224, 0.25, 0.30000001192092896,
                         0.3499999940395355, 0.4000000059604645, 0.44999998807907104, 0.5])
        let t33 = IBOTMasking.linspace(0.1, 0.5, steps: 33).map(Double.init)
        #expect(t33[1] == 0.11250000447034836 && t33[13] == 0.26250001788139343 && t33[31] == 0.48750001192092896)
    }

    @Test func batchMasksFollowCollateDataAndCast() {
        let gen = MaskingGenerator(height: 16, width: 16)  // N = 256
        var rng = RNG(seed: 21)
        for batchImages in [1, 2, 8, 16, 33] {
            let batch = IBOTMasking.sample(imageCount: batchImages, generator: gen, ratio: 0.1...0.5,
                                           probability: 0.5, rng: &rng)
            #expect(batch.masks.count == batchImages)
            let counts = batch.masks.map { $0.filter { $0 }.count }
            let maskedImages = Int(Double(batchImages) * 0.5)
            // Ratio bands: image k of the masked ones draws from [p_k, p_k+1].
            let probs = IBOTMasking.linspace(0.1, 0.5, steps: maskedImages + 1)
            let nonEmpty = counts.filter { $0 > 0 }.sorted()
            #expect(nonEmpty.count <= maskedImages && counts.filter { $0 == 0 }.count >= batchImages - maskedImages)
            #expect(nonEmpty.allSatisfy { $0 <= Int(256 * 0.5) })
            #expect(batch.upperBound == (1..<(maskedImages + 1)).reduce(0) { $0 + Int(Float(256) * probs[$1]) })
            // Flattened indices and weights.
            var expectedIndices: [Int] = []
            var expectedWeights: [Float] = []
            for (b, mask) in batch.masks.enumerated() {
                for (p, on) in mask.enumerated() where on {
                    expectedIndices.append(b * 256 + p)
                    expectedWeights.append(1 / Float(counts[b]))
                }
            }
            #expect(batch.maskIndices == expectedIndices)
            #expect(batch.weights == expectedWeights)
            #expect(batch.maskedPatchCount == counts.reduce(0, +))
            // Each masked image's weights sum to 1.
            var perImage = [Float](repeating: 0, count: batchImages)
            for (img, w) in zip(batch.maskImageIndices, batch.weights) { perImage[img] += w }
            for (b, c) in counts.enumerated() { #expect(c == 0 ? perImage[b] == 0 : abs(perImage[b] - 1) < 1e-4) }
        }
    }

    @Test func maskRatiosSpreadOverTheRange() {
        let gen = MaskingGenerator(height: 14, width: 14)
        var rng = RNG(seed: 3)
        var ratios: [Double] = []
        var maskedImages = 0
        for _ in 0..<150 {
            let batch = IBOTMasking.sample(imageCount: 8, generator: gen, rng: &rng)
            let counts = batch.masks.map { $0.filter { $0 }.count }
            maskedImages += counts.filter { $0 > 0 }.count
            ratios += counts.filter { $0 > 0 }.map { Double($0) / 196 }
            // Shuffled: masked images are not always first.
        }
        #expect(maskedImages > 150 * 4 - 20)
        let mean = ratios.reduce(0, +) / Double(ratios.count)
        #expect(mean > 0.26 && mean < 0.31, "mean ratio \(mean)")  // ~0.3 minus the generator's shortfall
        #expect(ratios.min()! < 0.14 && ratios.max()! > 0.45)
        var first = 0
        for _ in 0..<200 where !IBOTMasking.sample(imageCount: 4, generator: gen, rng: &rng).masks[0].contains(true) { first += 1 }
        #expect(first > 60 && first < 140)  // image 0 is unmasked about half the time
    }
}
