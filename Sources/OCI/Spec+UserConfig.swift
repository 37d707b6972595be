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

    /// The user's config as isoprobe runs its program in it, and every change made, each with
    /// why: the program and its root replaced, no terminal (isoprobe reads the output
    /// through a pipe: `runc spec` asks for a terminal), a cgroup path where it names none.
    public func runnable(args: [String], rootPath: String, cgroupsPath: String) throws -> (spec: Spec, changes: [ConfigChange]) {
        var spec = try replacingProcessArgsAndRoot(args: args, rootPath: rootPath)
        var changes = [
            ConfigChange("process.args", "replaced by isoprobe's program", because: "isoprobe runs its own program in the config"),
            ConfigChange("root.path", "replaced by isoprobe's root" + (root?.readonly == true ? ", read-only as the config says" : ""),
                         because: "it holds that program and what it needs"),
        ]
        if spec.process?.terminal == true {
            spec.process?.terminal = false
            spec.process?.consoleSize = nil
            changes.append(ConfigChange("process.terminal", "true -> false",
                                        because: "isoprobe reads the program's output through a pipe: there is no terminal to give it"))
        }
        if spec.linux?.cgroupsPath == nil {
            if spec.linux == nil { spec.linux = Linux() }
            spec.linux?.cgroupsPath = cgroupsPath
            changes.append(ConfigChange("linux.cgroupsPath", "set, as the config names none",
                                        because: "a cgroup of the run's own, which the probes follow"))
        }
        return (spec, changes)
    }
}
