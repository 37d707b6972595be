/// Where the host end of a guest serial port is: what QEMU's `-chardev` connects the port to.
public enum SerialEndpoint: Equatable, Sendable {
    /// A connected stream socket QEMU inherits as this descriptor (one end of a socketpair):
    /// no path to clean up, and nothing the guest writes is lost before the host reads.
    case inheritedSocket(fd: Int32)
    /// A unix socket the host already listens on; QEMU connects at start-up (and refuses to
    /// start when nothing listens), so nothing written before the host accepts is lost.
    case unixSocket(path: String)
    /// Output appended to a file; the guest reads nothing back.
    case file(path: String)

    /// The `-chardev` option value; `logfile` gets a copy of everything the guest writes.
    func chardev(id: String, logfile: String? = nil) -> String {
        var spec: String
        switch self {
        case let .inheritedSocket(fd): spec = "socket,id=\(id),fd=\(fd)"
        case let .unixSocket(path): spec = "socket,id=\(id),path=\(QEMUCommand.escape(path))"
        case let .file(path): spec = "file,id=\(id),path=\(QEMUCommand.escape(path))"
        }
        if let logfile { spec += ",logfile=\(QEMUCommand.escape(logfile))" }
        return spec
    }
}
