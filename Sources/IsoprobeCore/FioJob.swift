import Foundation

/// `--workload fio:job=FILE`: a fio job file run on the run's block device in every
/// environment, its `--output-format=json` figures read into the result. The job is read and
/// checked on the host before anything runs, and handed to fio as command-line options (the
/// same job in every environment, with no file to carry). A job without `filename` gets the
/// run's device; `filename=${ISOPROBE_BLOCK}` names it too. Any other device, or a file
/// outside the scratch location (`${TMPDIR}`), is refused: run as root, a careless job could
/// overwrite a disk.
public struct FioJob: Sendable, Equatable {
    public struct Section: Sendable, Equatable {
        public var name: String
        public var options: [(key: String, value: String?)]

        public static func == (a: Section, b: Section) -> Bool {
            a.name == b.name && a.options.map { "\($0.key)=\($0.value ?? "")" } == b.options.map { "\($0.key)=\($0.value ?? "")" }
        }
    }

    public static let workloadName = "fio"
    /// A job file is a few lines; a larger one is not a job file.
    public static let sizeLimit = 64 << 10
    public static let blockVariable = "${\(BlockDeviceNeed.environmentVariable)}"
    public static let scratchVariable = "${TMPDIR}"

    public var path: String
    public var sections: [Section]

    public static func isFio(_ spec: WorkloadSpec) -> Bool { spec.command == nil && spec.name == workloadName }

    /// The job file a `fio:job=FILE` spec names, read and checked.
    public static func load(_ spec: WorkloadSpec) throws -> FioJob {
        guard let path = spec.parameter("job") else {
            throw IsoprobeError(.usage, "workload '\(spec.text)': fio needs job=FILE", fix: "write fio:job=path/to/job.fio")
        }
        if let other = spec.parameters.first(where: { $0.key != "job" }) {
            throw IsoprobeError(.usage, "workload '\(spec.text)': unknown parameter '\(other.key)' (known: job)")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IsoprobeError(.usage, "fio job \(path): cannot be read", fix: "name a fio job file")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: sizeLimit + 1)) ?? Data()
        guard data.count <= sizeLimit else {
            throw IsoprobeError(.usage, "fio job \(path): larger than \(sizeLimit >> 10) KiB, which no job file is")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// fio's INI dialect: `[section]`, `key=value` or a bare `key`, `;` and `#` comments.
    public static func parse(_ text: String, path: String,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> FioJob {
        var sections: [Section] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix(";") || line.hasPrefix("#") { continue }
            let at = "fio job \(path):\(index + 1)"
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw IsoprobeError(.usage, "\(at): a section header is [name]") }
                sections.append(Section(name: String(line.dropFirst().dropLast()), options: []))
                continue
            }
            guard !sections.isEmpty else { throw IsoprobeError(.usage, "\(at): an option before any [section]") }
            if line.hasPrefix("include ") {
                throw IsoprobeError(.usage, "\(at): include is not supported", fix: "put the included options in the job file")
            }
            let kv = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let value = try kv.count == 2 ? expand(kv[1], environment: environment, at: at) : nil
            sections[sections.count - 1].options.append((kv[0], value))
        }
        guard sections.contains(where: { $0.name != "global" }) else {
            throw IsoprobeError(.usage, "fio job \(path): no job section (only [global] or nothing)")
        }
        let job = FioJob(path: path, sections: sections)
        try job.check()
        return job
    }

    /// fio expands `${NAME}` in a job file from its environment, but not on its command
    /// line, where the job goes: isoprobe expands them here, from its own environment, as
    /// `fio job.fio` would. The run's device and scratch folder are left to the environment's
    /// shell, since each environment has its own.
    static func expand(_ value: String, environment: [String: String], at: String) throws -> String {
        var out = ""
        var rest = Substring(value)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                out += rest[start.lowerBound...]
                return out
            }
            let name = String(rest[start.upperBound..<end])
            let whole = "${\(name)}"
            if whole == blockVariable || whole == scratchVariable {
                out += whole
            } else if let v = environment[name] {
                out += v
            } else {
                throw IsoprobeError(.usage, "\(at): ${\(name)} is not set in isoprobe's environment",
                                    fix: "set \(name) when you run isoprobe, or write its value in the job")
            }
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    /// Every `filename` and `directory` names the run's device or the scratch location.
    func check() throws {
        for section in sections {
            for (key, value) in section.options where ["filename", "directory", "filename_format"].contains(key) {
                for name in (value ?? "").split(separator: ":").map(String.init) {
                    guard Self.allowed(name, key: key) else {
                        throw IsoprobeError(.usage, "fio job \(path): [\(section.name)] \(key)=\(name) is outside the run's device and scratch location",
                                            fix: "leave \(key) out (the job gets the run's device), or use \(Self.blockVariable) or a path under \(Self.scratchVariable)")
                    }
                }
            }
            if let engine = section.options.first(where: { $0.key == "ioengine" })?.value, ["sg", "mtd", "rbd", "nbd"].contains(engine) {
                throw IsoprobeError(.usage, "fio job \(path): [\(section.name)] ioengine=\(engine) reaches devices outside the run")
            }
        }
    }

    static func allowed(_ name: String, key: String) -> Bool {
        if key == "filename" && name == blockVariable { return true }
        guard name.hasPrefix(scratchVariable) else { return false }
        let rest = name.dropFirst(scratchVariable.count)
        return (rest.isEmpty || rest.hasPrefix("/")) && !rest.split(separator: "/").contains("..")
    }

    /// Whether some job reads or writes the run's block device.
    public var usesBlockDevice: Bool {
        let global = sections.first { $0.name == "global" }
        let globalFile = global?.options.first { $0.key == "filename" || $0.key == "directory" }
        return sections.filter { $0.name != "global" }.contains { s in
            let own = s.options.first { $0.key == "filename" || $0.key == "directory" } ?? globalFile
            return own == nil || own?.value == Self.blockVariable
        }
    }

    /// The largest `size` a job asks for, in bytes (the device's backing); nil: none given.
    public var sizeBytes: Int64? {
        sections.flatMap(\.options).filter { $0.key == "size" }.compactMap { $0.value.flatMap(ByteSize.parse) }.max()
    }

    /// The shell command that runs the job: fio with each option on its command line, the
    /// run's device and scratch folder expanded by the environment's shell.
    public func script(fio: String = "fio") -> String {
        var words = [Self.quote(fio), "--output-format=json"]
        // Each job without a file of its own (or from a [global] before it) gets the device,
        // after its name: fio adds a file for every `filename` a job sees, so one given
        // globally as well as by the job would be two files on one device (and fail a verify).
        var globalNamesFile = false
        var seenJob = false
        for section in sections {
            if section.name == "global" {
                globalNamesFile = globalNamesFile || Self.namesFile(section)
                // On fio's command line `--name=global` opens a [global] section; before the
                // first job, options are global anyway.
                if seenJob { words.append("--name=global") }
            } else {
                seenJob = true
                words.append(Self.quote("--name=\(section.name)"))
                if !globalNamesFile && !Self.namesFile(section) {
                    words.append("--filename=\"$\(BlockDeviceNeed.environmentVariable)\"")
                }
            }
            for (key, value) in section.options {
                words.append(Self.quote(value.map { "--\(key)=\($0)" } ?? "--\(key)"))
            }
        }
        // From the run's scratch folder, which goes with the run: what fio writes beside its
        // job (a verify's state file, `local-<job>-0-verify.state`) goes with it.
        return "cd \"${TMPDIR:-/tmp}\" && exec " + words.joined(separator: " ")
    }

    static func namesFile(_ section: Section) -> Bool {
        section.options.contains { $0.key == "filename" || $0.key == "directory" }
    }

    /// Single-quoted for sh, with `${ISOPROBE_BLOCK}` and `${TMPDIR}` left to the shell.
    static func quote(_ word: String) -> String {
        var out = "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        for variable in [blockVariable, scratchVariable] {
            out = out.replacingOccurrences(of: variable, with: "'\"\(variable)\"'")
        }
        return out
    }
}
