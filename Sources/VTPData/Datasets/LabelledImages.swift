import Foundation

/// Labelled image datasets named on the command line.
public enum LabelledImages {
    /// `fmnist` / `fmnist-train` (Debian's Fashion-MNIST training split), `fmnist-test`, or a folder with one
    /// sub-folder per class.
    public static func open(_ name: String) throws -> any ImageTextDataset {
        switch name {
        case "fmnist", "fmnist-train": return try FashionMNISTDataset(directory: FashionMNISTDataset.debianDirectory, split: .train)
        case "fmnist-test": return try FashionMNISTDataset(directory: FashionMNISTDataset.debianDirectory, split: .test)
        default: return try ClassFolderDataset(directory: URL(fileURLWithPath: name))
        }
    }
}
