import Foundation
import Host
import Testing

@Suite struct RetryOnInterruptTests {
    /// EINTR calls again; the first other result is what the caller gets.
    @Test func anInterruptedCallIsMadeAgain() {
        var calls = 0
        let result = retryingOnInterrupt { () -> Int32 in
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7)
        #expect(calls == 3)
    }

    /// Any other failure comes back at once, errno as the call left it.
    @Test func anotherFailureIsReturnedWithItsErrno() {
        var calls = 0
        let result = retryingOnInterrupt { () -> Int in
            calls += 1
            errno = EBADF
            return -1
        }
        let code = errno
        #expect(result == -1)
        #expect(code == EBADF)
        #expect(calls == 1)
    }
}
