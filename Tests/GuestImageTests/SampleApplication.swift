import Foundation
import Testing

/// A dynamically linked program, ROOT/app/bin/hello, that finds its library through
/// `$ORIGIN/../lib` under the versioned-soname layout distributions use:
/// DT_NEEDED libgreet.so.1, a symlink to the real file libgreet.so.1.0.
struct SampleApplication {
    static let greeting = "hello from libgreet"

    let root: String
    var executable: String { root + "/app/bin/hello" }
    var libraryDirectory: String { root + "/app/lib" }

    /// `newDynamicTags: false` gives DT_RPATH instead of DT_RUNPATH.
    static func build(in root: String, newDynamicTags: Bool = true,
                      sourceLocation: SourceLocation = #_sourceLocation) throws -> SampleApplication {
        let app = SampleApplication(root: root)
        for directory in [root + "/app/bin", app.libraryDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try TestSupport.compile("""
            #include <stdio.h>
            void greet(void) { puts("\(greeting)"); }
            """, to: app.libraryDirectory + "/libgreet.so.1.0",
            ["-shared", "-fPIC", "-Wl,-soname,libgreet.so.1"], sourceLocation: sourceLocation)
        try FileManager.default.createSymbolicLink(atPath: app.libraryDirectory + "/libgreet.so.1",
                                                   withDestinationPath: "libgreet.so.1.0")
        try FileManager.default.createSymbolicLink(atPath: app.libraryDirectory + "/libgreet.so",
                                                   withDestinationPath: "libgreet.so.1")
        try TestSupport.compile("""
            void greet(void);
            int main(void) { greet(); return 0; }
            """, to: app.executable,
            ["-L" + app.libraryDirectory, "-lgreet", "-Wl,-rpath,$ORIGIN/../lib",
             newDynamicTags ? "-Wl,--enable-new-dtags" : "-Wl,--disable-new-dtags"],
            sourceLocation: sourceLocation)
        return app
    }
}
