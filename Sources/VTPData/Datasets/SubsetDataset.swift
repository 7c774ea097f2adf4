import Foundation

/// A view of some samples of another dataset (train/eval splits of one folder).
public struct SubsetDataset: ImageTextDataset {
    public let base: any ImageTextDataset
    public let indices: [Int]
    public init(base: any ImageTextDataset, indices: [Int]) {
        self.base = base
        self.indices = indices
    }
    public var count: Int { indices.count }
    public var classNames: [String]? { base.classNames }
    public var issues: [DataIssue] { base.issues }
    public func sample(_ index: Int) throws -> ImageTextSample { try base.sample(indices[index]) }
}
