import Foundation
import Testing
import VMEnvironment

@Suite struct GuestLogTests {
    @Test func onlyTheNewestGuestConsolesAreKept() throws {
        let root = temporaryPath("guest-logs")
        let fm = FileManager.default
        defer { try? fm.removeItem(atPath: root) }
        for i in 0..<5 {
            let dir = root + "/vm-\(i)"
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try fm.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_700_000_000 + Double(i))], ofItemAtPath: dir)
        }
        try fm.createDirectory(atPath: root + "/not-a-guest", withIntermediateDirectories: true)
        VMEnvironment.pruneGuestLogs(in: root, keeping: 2)
        #expect(try fm.contentsOfDirectory(atPath: root).sorted() == ["not-a-guest", "vm-3", "vm-4"])
    }
}
