import Testing
import VTPEval
import VTPTensor

@Suite struct KNNClassifierTests {
    // Two classes around (1, 0) and (0, 1), and p4 = (0.8, 0.2) labelled 1 although it lies among class 0.
    // Cosines: p0·p1 = 0.9939, p1·p4 = 0.9910, p0·p4 = 0.9701, p2·p3 = 0.9939, p3·p4 = 0.3482, p1·p3 = 0.2195,
    // p0·p3 = 0.1104.
    static let points = Tensor([1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9, 0.8, 0.2], shape: [5, 2])
    static let labels = [0, 0, 1, 1, 1]

    @Test func nearestNeighbourLeaveOneOut() {
        // 1-NN: p0 → p1 (0), p1 → p0 (0), p2 → p3 (1), p3 → p2 (1), p4 → p1 (0, wrong): 4 of 5.
        let pred = KNNClassifier.predict(queries: Self.points, references: Self.points, referenceLabels: Self.labels, k: 1,
                                         leaveOneOut: true)
        #expect(pred == [0, 0, 1, 1, 0])
        #expect(KNNClassifier.leaveOneOutAccuracy(features: Self.points, labels: Self.labels, k: 1) == 0.8)
    }

    @Test func votesAreWeightedBySimilarity() {
        // p1's 3 neighbours: p0 (0.9939, class 0), p4 (0.9910, class 1), p3 (0.2195, class 1).
        // T = 0.07: e^14.199 = 1.466e6 for class 0 > e^14.157 + e^3.136 = 1.406e6 for class 1 → 0.
        // T = 100: weights ≈ 1 each, 1 vote against 2 → 1.
        let p1 = Self.points.slice(axis: 0, 1..<2)
        let others = Tensor([1, 0, 0, 1, 0.1, 0.9, 0.8, 0.2], shape: [4, 2]), labels = [0, 1, 1, 1]
        #expect(KNNClassifier.predict(queries: p1, references: others, referenceLabels: labels, k: 3) == [0])
        #expect(KNNClassifier.predict(queries: p1, references: others, referenceLabels: labels, k: 3, temperature: 100) == [1])
        // Scale does not matter (cosine similarity); k larger than the references uses them all.
        #expect(KNNClassifier.predict(queries: p1 * 7, references: others * 0.5, referenceLabels: labels, k: 50, temperature: 100) == [1])
    }
}
