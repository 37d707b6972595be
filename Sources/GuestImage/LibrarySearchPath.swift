import Foundation

/// Where shared libraries are looked for after an object's own DT_RPATH/DT_RUNPATH.
///
/// On the host the loader consults /etc/ld.so.cache (built from /etc/ld.so.conf) before its
/// built-in directories. A guest has no cache, only the built-in list, so a library found
/// anywhere else on the host is placed in the guest's first built-in directory instead of
/// at its host path: otherwise it would be copied in and never found.
public struct LibrarySearchPath: Equatable, Sendable {
    /// glibc's built-in list on Debian x86_64 (`ld.so --help`, "system search path").
    public static let debianSystemDirectories = [
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib",
    ]

    /// Searched on the host, in order.
    public var directories: [String]
    /// Searched by the guest's loader without a cache; libraries found elsewhere are moved to the first.
    public var guestDirectories: [String]

    public init(directories: [String], guestDirectories: [String] = debianSystemDirectories) {
        var seen = Set<String>()
        self.directories = directories.filter { seen.insert($0).inserted }
        self.guestDirectories = guestDirectories
    }

    /// The ld.so.conf directories (the cache, which wins on the host), then the built-in ones,
    /// then /lib64 and /usr/lib64 for libraries installed only there by third-party packages.
    public static func host(configuration: String = "/etc/ld.so.conf") -> LibrarySearchPath {
        LibrarySearchPath(directories: configuredDirectories(configuration)
                            + debianSystemDirectories + ["/lib64", "/usr/lib64"])
    }

    /// The guest directory a library found in `directory` goes to.
    func guestDirectory(for directory: String) -> String {
        guestDirectories.contains(directory) ? directory : (guestDirectories.first ?? directory)
    }

    /// Directories named by an ld.so.conf file, following `include` globs as ldconfig does.
    /// A missing or unreadable file adds nothing: the built-in list still applies.
    static func configuredDirectories(_ file: String, depth: Int = 0) -> [String] {
        guard depth < 8, let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        let base = (file as NSString).deletingLastPathComponent
        var result: [String] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("hwcap ") { continue }
            if line.hasPrefix("include ") || line.hasPrefix("include\t") {
                for pattern in line.dropFirst(8).split(whereSeparator: \.isWhitespace) {
                    let absolute = pattern.hasPrefix("/") ? String(pattern) : base + "/" + pattern
                    for included in expandGlob(absolute) {
                        result += configuredDirectories(included, depth: depth + 1)
                    }
                }
                continue
            }
            // ldconfig accepts several directories per line and an obsolete "=TYPE" suffix.
            for word in line.split(whereSeparator: { $0.isWhitespace || $0 == ":" || $0 == "," }) {
                let directory = String(word.split(separator: "=")[0])
                if directory.hasPrefix("/") { result.append(directory) }
            }
        }
        return result
    }

    private static func expandGlob(_ pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(pattern, 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { i in
            matches.gl_pathv[i].map { String(cString: $0) }
        }.sorted()
    }
}
