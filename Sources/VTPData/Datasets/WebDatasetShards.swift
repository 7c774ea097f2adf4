import Foundation

/// WebDataset-style tar shards: members are grouped into samples by key — the member name up to the
/// first "." of its last path component (`dir/000123.jpg` → key `dir/000123`, extension `jpg`;
/// extensions are compared lower-cased). A sample needs an image (`jpg`, `jpeg` or `png`) and a caption
/// (`txt` or `caption`); an optional `cls` member holds an integer label. The shards are indexed once at
/// init (headers only); `sample(i)` then reads just that sample's bytes with one positioned read.
public struct WebDatasetShards: ImageTextDataset {
    /// Where one sample's members lie.
    public struct Entry: Sendable, Equatable {
        public var shard: Int
        public var key: String
        public var image: TarMember
        public var caption: TarMember
        public var label: TarMember?
    }

    public static let imageExtensions = ["jpg", "jpeg", "png"]
    public static let captionExtensions = ["txt", "caption"]
    public static let labelExtensions = ["cls"]

    public let paths: [URL]
    public let entries: [Entry]
    public let issues: [DataIssue]
    public let classNames: [String]?

    public var count: Int { entries.count }

    /// Indexes every shard. Keys with no image or no caption (or an empty caption member) are reported
    /// in `issues` and left out. Throws when `paths` is empty, a shard cannot be opened, or no sample is left.
    public init(paths: [URL], classNames: [String]? = nil) throws {
        guard !paths.isEmpty else { throw DatasetError.invalidArgument("WebDatasetShards: no shard paths given") }
        var entries: [Entry] = []
        var issues: [DataIssue] = []
        for (shard, url) in paths.enumerated() {
            let (members, shardIssues) = try TarIndex.members(of: url)
            issues += shardIssues
            var order: [String] = []
            var groups: [String: [String: TarMember]] = [:]
            for member in members {
                guard let (key, ext) = Self.splitKey(member.name) else { continue }
                if groups[key] == nil {
                    groups[key] = [:]
                    order.append(key)
                }
                if groups[key]![ext] != nil {
                    issues.append(DataIssue(source: "\(url.lastPathComponent):\(member.name)",
                                            reason: "duplicate member for key '\(key)'; the first one is used"))
                    continue
                }
                groups[key]![ext] = member
            }
            for key in order {
                let group = groups[key]!
                let source = "\(url.lastPathComponent):\(key)"
                guard let image = Self.imageExtensions.lazy.compactMap({ group[$0] }).first else {
                    let have = group.keys.sorted().joined(separator: ", ")
                    issues.append(DataIssue(source: source, reason: "no image member (.jpg/.jpeg/.png); found: \(have)"))
                    continue
                }
                guard let caption = Self.captionExtensions.lazy.compactMap({ group[$0] }).first else {
                    issues.append(DataIssue(source: source, reason: "missing caption (no .txt or .caption member)"))
                    continue
                }
                if caption.size == 0 {
                    issues.append(DataIssue(source: source, reason: "missing caption (empty caption member)"))
                    continue
                }
                let label = Self.labelExtensions.lazy.compactMap({ group[$0] }).first
                if let reason = Self.sizeProblem(image: image, caption: caption, label: label) {
                    issues.append(DataIssue(source: source, reason: reason))
                    continue
                }
                entries.append(Entry(shard: shard, key: key, image: image, caption: caption, label: label))
            }
        }
        guard !entries.isEmpty else {
            throw DatasetError.empty(source: paths.count == 1 ? paths[0].path : "\(paths.count) shards",
                                     reason: "no sample has both an image and a caption")
        }
        self.paths = paths
        self.entries = entries
        self.issues = issues
        self.classNames = classNames
    }

    /// Largest image member read into memory (the decoder's pixel limit applies after this).
    public static let maxImageMemberBytes = 1 << 28
    /// Largest caption or label member read into memory.
    public static let maxTextMemberBytes = 1 << 20

    /// Why a sample's members are too large to read, or nil.
    static func sizeProblem(image: TarMember, caption: TarMember, label: TarMember?) -> String? {
        if image.size > maxImageMemberBytes {
            return "image member \(image.name) is \(image.size) bytes, more than the \(maxImageMemberBytes >> 20) MiB limit"
        }
        for m in [caption] + (label.map { [$0] } ?? []) where m.size > maxTextMemberBytes {
            return "text member \(m.name) is \(m.size) bytes, more than the \(maxTextMemberBytes >> 20) MiB limit"
        }
        return nil
    }

    /// WebDataset's `base_plus_ext`: (key, lower-cased extension), or nil for names without an extension
    /// or hidden files.
    public static func splitKey(_ name: String) -> (key: String, ext: String)? {
        let slash = name.lastIndex(of: "/")
        let baseStart = slash.map { name.index(after: $0) } ?? name.startIndex
        let base = name[baseStart...]
        guard !base.hasPrefix("."), let dot = base.firstIndex(of: "."), dot != base.startIndex else { return nil }
        let ext = name[name.index(after: dot)...]
        guard !ext.isEmpty else { return nil }
        return (String(name[..<dot]), ext.lowercased())
    }

    public func sample(_ index: Int) throws -> ImageTextSample {
        guard index >= 0, index < count else { throw DatasetError.invalidArgument("index \(index) outside 0..<\(count)") }
        let entry = entries[index]
        let url = paths[entry.shard]
        let source = "\(url.lastPathComponent):\(entry.key)"
        let members = [entry.image, entry.caption] + (entry.label.map { [$0] } ?? [])
        let start = members.map(\.offset).min()!
        let end = members.map { $0.offset + $0.size }.max()!
        let file: ReadOnlyFile
        let bytesOf: (TarMember) throws -> ArraySlice<UInt8>
        do {
            file = try ReadOnlyFile(url)
        } catch {
            throw DatasetError.badSample(source: source, reason: "\(error)")
        }
        defer { file.close() }
        let wanted = members.reduce(0) { $0 + $1.size }
        if end - start <= wanted + (1 << 20) {
            // Members of one key are normally adjacent: a single read.
            let span = try readOrReport(file, offset: start, count: end - start, source: source)
            bytesOf = { m in span[(m.offset - start)..<(m.offset - start + m.size)] }
        } else {
            bytesOf = { m in try readOrReport(file, offset: m.offset, count: m.size, source: source)[...] }
        }
        let imageBytes = try bytesOf(entry.image)
        let image: RGBImage
        do {
            image = try RGBImage.decode(Array(imageBytes))
        } catch let error as ImageError {
            throw DatasetError.badSample(source: source, reason: error.description)
        }
        let caption = String(decoding: try bytesOf(entry.caption), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard !caption.isEmpty else { throw DatasetError.badSample(source: source, reason: "missing caption (blank text)") }
        var label: Int? = nil
        if let member = entry.label {
            let text = String(decoding: try bytesOf(member), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let value = Int(text), value >= 0 else {
                throw DatasetError.badSample(source: source, reason: "label member is not a non-negative integer: '\(text.prefix(20))'")
            }
            label = value
        }
        return ImageTextSample(image: image, caption: caption, label: label, key: entry.key)
    }

    private func readOrReport(_ file: ReadOnlyFile, offset: Int, count: Int, source: String) throws -> [UInt8] {
        do {
            return try file.read(offset: offset, count: count)
        } catch {
            throw DatasetError.badSample(source: source, reason: "\(error)")
        }
    }
}
