import Foundation

/// Labelled image datasets named on the command line.
public enum LabelledImages {
    /// `fmnist` / `fmnist-train` (Debian's Fashion-MNIST training split), `fmnist-test`, or a folder with one
    /// sub-folder per class.
    /// With `limit`, only the first `limit` samples.
    public static func open(_ name: String, limit: Int? = nil) throws -> any ImageTextDataset {
        let all: any ImageTextDataset
        switch name {
        case "fmnist", "fmnist-train": all = try FashionMNISTDataset(directory: FashionMNISTDataset.debianDirectory, split: .train)
        case "fmnist-test": all = try FashionMNISTDataset(directory: FashionMNISTDataset.debianDirectory, split: .test)
        default: all = try ClassFolderDataset(directory: URL(fileURLWithPath: name))
        }
        guard let limit, limit < all.count else { return all }
        return SubsetDataset(base: all, indices: Array(0..<max(limit, 0)))
    }
}
