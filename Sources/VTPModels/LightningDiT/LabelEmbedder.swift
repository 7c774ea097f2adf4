import VTPNN
import VTPTensor

/// DiT `LabelEmbedder` (`y_embedder`): a table of num_classes rows plus, when `dropoutProb` > 0, the null class
/// (row num_classes) that classifier-free guidance and label dropout use. Key: `embedding_table.weight` [rows, D].
public final class LabelEmbedder: Module {
    public let table: Embedding
    public let numClasses: Int
    public let dropoutProb: Double
    public var items: [ModuleItem] { [.child("embedding_table", table)] }

    public init(numClasses: Int, hiddenSize: Int, dropoutProb: Double, rng: inout RNG) {
        table = Embedding(numClasses + (dropoutProb > 0 ? 1 : 0), hiddenSize, rng: &rng)
        self.numClasses = numClasses
        self.dropoutProb = dropoutProb
    }

    /// Labels with training-time dropout: each label becomes the null class with probability `dropoutProb`
    /// (one uniform draw per label, in order). Without a null class the labels are returned unchanged.
    public func droppingLabels(_ labels: [Int], rng: inout RNG) -> [Int] {
        guard dropoutProb > 0 else { return labels }
        return labels.map { rng.uniform() < Float(dropoutProb) ? numClasses : $0 }
    }

    /// labels [B] (each in 0..<rows; row num_classes is the null class) → [B, D].
    public func callAsFunction(_ labels: [Int]) throws -> Tensor {
        let rows = table.weight.shape[0]
        if let bad = labels.first(where: { $0 < 0 || $0 >= rows }) {
            let null = rows > numClasses ? " (\(numClasses) = the null class)" : " (this model has no null class)"
            throw VTPError.invalidInput("class label \(bad) is out of range 0..<\(rows)\(null)")
        }
        return table(labels, shape: [labels.count])
    }
}
