import Foundation

/// `CONFIG_X=y` lines of a kernel's build configuration.
struct KernelConfig: Equatable {
    var builtIn: Set<String>

    init?(path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        self.init(text: text)
    }

    init(text: String) {
        builtIn = Set(text.split(separator: "\n").compactMap { line in
            line.hasSuffix("=y") ? String(line.dropLast(2)) : nil
        })
    }

    func isBuiltIn(_ option: String) -> Bool { builtIn.contains(option) }
}
