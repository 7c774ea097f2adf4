import Foundation

/// File-name extensions (lower-cased) that the folder datasets read as images.
let imageFileExtensions: Set<String> = ["png", "jpg", "jpeg"]

/// Decodes an image file, turning any failure into `DatasetError.badSample` naming the file.
func loadImageSample(_ url: URL, source: String) throws -> RGBImage {
    do {
        return try RGBImage.load(url)
    } catch let error as ImageError {
        throw DatasetError.badSample(source: source, reason: error.description)
    } catch {
        throw DatasetError.badSample(source: source, reason: "\(error)")
    }
}

/// Byte-wise (code point) order, as Python's `sorted` orders file names.
func codePointOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

func requireDirectory(_ url: URL) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw DatasetError.notFound(path: url.path)
    }
    guard isDirectory.boolValue else { throw DatasetError.unreadable(path: url.path, reason: "not a directory") }
}

/// Images listed with captions in `captions.csv` (header `file,caption`, RFC 4180) or `captions.jsonl`
/// (`{"file": ..., "caption": ...}` per line) inside `directory`; file names are relative to it.
/// Rows without a caption, malformed rows and rows naming a missing file are reported in `issues` and left
/// out; an image that fails to decode is reported by the loader when it is read.
public struct ImageFolderDataset: ImageTextDataset {
    public let directory: URL
    /// The caption file that was read.
    public let captionFile: URL
    public let records: [CaptionRecord]
    public let issues: [DataIssue]

    public var count: Int { records.count }
    public var classNames: [String]? { nil }

    /// Throws when the folder is missing, has neither or both caption files, the caption file is
    /// structurally broken, or no usable row remains.
    public init(directory: URL) throws {
        try requireDirectory(directory)
        let csv = directory.appendingPathComponent("captions.csv")
        let jsonl = directory.appendingPathComponent("captions.jsonl")
        let manager = FileManager.default
        let hasCSV = manager.fileExists(atPath: csv.path), hasJSONL = manager.fileExists(atPath: jsonl.path)
        if hasCSV && hasJSONL {
            throw DatasetError.malformed(path: directory.path,
                                         reason: "both captions.csv and captions.jsonl exist; keep only one")
        }
        guard hasCSV || hasJSONL else {
            throw DatasetError.notFound(path: directory.appendingPathComponent("captions.csv (or captions.jsonl)").path)
        }
        captionFile = hasCSV ? csv : jsonl
        let parsed = hasCSV ? try CaptionFiles.readCSV(csv) : try CaptionFiles.readJSONL(jsonl)
        var issues = parsed.issues
        var records: [CaptionRecord] = []
        for record in parsed.records {
            let path = directory.appendingPathComponent(record.file).path
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                records.append(record)
            } else {
                issues.append(DataIssue(source: "\(captionFile.lastPathComponent) line \(record.line) (\(record.file))",
                                        reason: "image file not found"))
            }
        }
        guard !records.isEmpty else {
            throw DatasetError.empty(source: captionFile.path,
                                     reason: parsed.records.isEmpty && parsed.issues.isEmpty
                                        ? "no rows" : "no usable rows (\(issues.count) rejected)")
        }
        self.directory = directory
        self.records = records
        self.issues = issues
    }

    public func sample(_ index: Int) throws -> ImageTextSample {
        guard index >= 0, index < count else { throw DatasetError.invalidArgument("index \(index) outside 0..<\(count)") }
        let record = records[index]
        let image = try loadImageSample(directory.appendingPathComponent(record.file), source: record.file)
        return ImageTextSample(image: image, caption: record.caption, label: nil, key: record.file)
    }
}

/// `<root>/<class>/**/*.png|jpg|jpeg` as torchvision's `ImageFolder`: classes are the sub-folders in
/// code-point order (label = position), files are found recursively and sorted. Captions are prompt
/// templates filled with the class name (underscores become spaces).
public struct ClassFolderDataset: ImageTextDataset {
    public let root: URL
    /// Sub-folder names in label order.
    public let classFolders: [String]
    /// Prompt-friendly class names in label order.
    public let classNamesForPrompts: [String]
    public let templates: [String]
    /// (path relative to `root`, label) per sample.
    public let files: [(path: String, label: Int)]
    public let issues: [DataIssue]

    public var count: Int { files.count }
    public var classNames: [String]? { classNamesForPrompts }

    /// Throws when `root` is missing, has no class folders, or no folder holds an image.
    public init(directory root: URL, templates: [String] = CaptionTemplates.photo) throws {
        try requireDirectory(root)
        guard !templates.isEmpty else { throw DatasetError.invalidArgument("ClassFolderDataset: no caption templates") }
        let manager = FileManager.default
        let entries: [String]
        do {
            entries = try manager.contentsOfDirectory(atPath: root.path)
        } catch {
            throw DatasetError.unreadable(path: root.path, reason: error.localizedDescription)
        }
        var classes: [String] = []
        var looseFiles = 0
        for name in entries where !name.hasPrefix(".") {
            var isDirectory: ObjCBool = false
            _ = manager.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &isDirectory)
            if isDirectory.boolValue { classes.append(name) } else { looseFiles += 1 }
        }
        classes.sort(by: codePointOrder)
        guard !classes.isEmpty else {
            throw DatasetError.empty(source: root.path, reason: "no class sub-folders (expected <root>/<class>/<image>)")
        }
        var issues: [DataIssue] = []
        if looseFiles > 0 {
            issues.append(DataIssue(source: root.path, reason: "\(looseFiles) file(s) outside class folders ignored"))
        }
        var files: [(path: String, label: Int)] = []
        for (label, name) in classes.enumerated() {
            var found: [String] = []
            if let walker = manager.enumerator(atPath: root.appendingPathComponent(name).path) {
                while let relative = walker.nextObject() as? String {
                    let last = (relative as NSString).lastPathComponent
                    if last.hasPrefix(".") { continue }
                    if imageFileExtensions.contains((last as NSString).pathExtension.lowercased()) {
                        found.append(name + "/" + relative)
                    }
                }
            }
            if found.isEmpty {
                issues.append(DataIssue(source: root.appendingPathComponent(name).path, reason: "class folder has no images"))
            }
            files += found.sorted(by: codePointOrder).map { ($0, label) }
        }
        guard !files.isEmpty else {
            throw DatasetError.empty(source: root.path, reason: "no .png/.jpg/.jpeg files in \(classes.count) class folder(s)")
        }
        self.root = root
        self.classFolders = classes
        self.classNamesForPrompts = classes.map { $0.replacingOccurrences(of: "_", with: " ") }
        self.templates = templates
        self.files = files
        self.issues = issues
    }

    public func sample(_ index: Int) throws -> ImageTextSample {
        guard index >= 0, index < count else { throw DatasetError.invalidArgument("index \(index) outside 0..<\(count)") }
        let (path, label) = files[index]
        let image = try loadImageSample(root.appendingPathComponent(path), source: path)
        let caption = CaptionTemplates.caption(for: classNamesForPrompts[label], index: index, templates: templates)
        return ImageTextSample(image: image, caption: caption, label: label, key: path)
    }
}
