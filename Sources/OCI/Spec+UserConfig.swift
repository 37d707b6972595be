import Foundation

extension Spec {
    /// A user-supplied config (`--oci-config FILE`) with only `process.args` and `root.path`
    /// replaced: everything else is the user's choice and is what isoprobe measures.
    /// Throws when the config has no `process`, since inventing user and cwd would change it.
    public func replacingProcessArgsAndRoot(args: [String], rootPath: String) throws -> Spec {
        guard var process else {
            throw OCIConfigError("process", "the config has none; isoprobe replaces only process.args")
        }
        guard let program = args.first, !program.isEmpty else {
            throw OCIConfigError("process.args", "must name a program to run")
        }
        var spec = self
        process.args = args
        spec.process = process
        if spec.root == nil {
            spec.root = Root(path: rootPath)
        } else {
            spec.root?.path = rootPath
        }
        return spec
    }
}
