import Foundation

/// A C call that returns -1 with errno EINTR when a signal lands, called again until it does
/// not: its last result, errno as that call left it. For the calls swift-system's
/// FileDescriptor does not wrap (poll, waitpid, wait4); reads, writes and opens go through
/// FileDescriptor, which retries them itself.
public func retryingOnInterrupt<Value: BinaryInteger>(_ call: () -> Value) -> Value {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}
