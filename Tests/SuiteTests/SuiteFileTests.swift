import Foundation
import IsoprobeCore
import Suite
import Testing

@Suite struct SuiteFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    func message(_ text: String) -> String? {
        do { _ = try SuiteFile.parse(text: text, path: "s.toml"); return nil } catch let e as IsoprobeError {
            #expect(e.kind == .usage)
            #expect(!e.description.contains("\n"), "one line")
            return e.description
        } catch { return "\(error)" }
    }

    @Test func aCompleteSuite() throws {
        let suite = try SuiteFile.parse(text: """
            name = "x"
            repetitions = 7
            warmups = 2
            environments = ["native", "container"]
            threshold = 0.1
            timeout = 30
            [container]
            runtime = "crun"
            memory = "64M"
            pids = 32
            oci_config = "cfg/config.json"
            [vm]
            vcpus = 2
            memory_mib = 512
            [[workload]]
            spec = "getpid:count=10"
            [[workload]]
            name = "pingpong"
            params = { rounds = 5, pin = 0 }
            environments = ["native"]
            repetitions = 3
            """, path: "suites/x.toml")
        #expect(suite.name == "x")
        #expect(suite.repetitions == 7 && suite.warmups == 2 && suite.threshold == 0.1 && suite.timeout == 30)
        #expect(suite.environments == [.native, .container])
        #expect(suite.container.runtime == "crun" && suite.container.memoryBytes == 64 << 20 && suite.container.pids == 32)
        #expect(suite.container.ociConfig == "suites/cfg/config.json", "relative to the suite file")
        #expect(suite.vm.vcpus == 2 && suite.vm.memoryMiB == 512)
        #expect(suite.workloads.map(\.spec.text) == ["getpid:count=10", "pingpong:rounds=5,pin=0"])
        #expect(suite.workloads[1].environments == [.native] && suite.workloads[1].repetitions == 3)
        #expect(suite.workloads[1].position == SourcePosition(line: 17, column: 1))
        #expect(suite.error(suite.workloads[1], field: "name", "unknown workload 'pingpong'").description
                == "suites/x.toml:17:1: workload[2].name: unknown workload 'pingpong'")
        #expect(suite.error(naming: suite.workloads[0], "unknown workload 'getpid'").description
                == "suites/x.toml:16:8: workload[1].spec: unknown workload 'getpid'")
        #expect(suite.error(naming: suite.workloads[1], "unknown workload 'pingpong'").description
                == "suites/x.toml:18:8: workload[2].name: unknown workload 'pingpong'")
    }

    @Test func defaultsFillWhatIsNotSaid() throws {
        let suite = try SuiteFile.parse(text: "[[workload]]\nspec = \"getpid\"\n", path: "dir/mine.toml")
        #expect(suite.name == "mine")
        #expect(suite.repetitions == 5 && suite.warmups == 1 && suite.threshold == 0.05)
        #expect(suite.environments == [.native])
    }

    @Test func eachMistakeIsOneLineNamingFileLineAndField() {
        #expect(message("repetitons = 5\n[[workload]]\nspec = \"getpid\"")
                == "s.toml:1:1: repetitons: unknown key; did you mean 'repetitions'?")
        #expect(message("repetitions = \"five\"\n[[workload]]\nspec = \"getpid\"")
                == "s.toml:1:15: repetitions: expected an integer >= 1, got string \"five\"")
        #expect(message("repetitions = 0\n[[workload]]\nspec = \"g\"")
                == "s.toml:1:15: repetitions: expected an integer >= 1, got integer 0")
        #expect(message("environments = [\"native\", \"kvm\"]\n[[workload]]\nspec = \"g\"")
                == "s.toml:1:27: environments: expected one of \"native\", \"container\", \"container-host\", \"vm\", got string \"kvm\"")
        #expect(message("threshold = 5\n[[workload]]\nspec = \"g\"")?.hasPrefix("s.toml:1:13: threshold: expected a number between 0 and 1") == true)
        #expect(message("name = \"x\"") == "s.toml:1:1: workload: the suite has no workloads; add [[workload]] tables with spec = \"NAME:key=value\"")
        #expect(message("[[workload]]\nenvironments = [\"native\"]") == "s.toml:1:1: workload[1]: a workload needs spec = \"NAME:key=value\" or name = \"NAME\"")
        #expect(message("[[workload]]\nspec = \"a\"\nname = \"a\"") == "s.toml:3:1: workload[1].name: give spec or name (with params), not both")
        #expect(message("[[workload]]\nspec = \"get pid\"")?.hasPrefix("s.toml:2:8: workload[1].spec: workload 'get pid'") == true)
        #expect(message("[[workload]]\nspec = \"a\"\n[[workload]]\nspec = \"a\"") == "s.toml:3:1: workload[2]: 'a' is already workload[1]; remove one")
        #expect(message("[[workload]]\nname = \"a\"\nparams = { x = 1, y = 2 }\n[[workload]]\nspec = \"a:y=2,x=1\"")
                == "s.toml:4:1: workload[2]: 'a:y=2,x=1' is already workload[1]; remove one", "parameter order does not matter")
        #expect(message("environments = [\"native\"]\n[[workload]]\nspec = \"a\"\nenvironments = [\"vm\"]")
                == "s.toml:4:16: workload[1].environments: \"vm\" is not among the suite's environments; expected a subset of \"native\"")
        #expect(message("environments = [\"native\", \"native\"]\n[[workload]]\nspec = \"a\"")
                == "s.toml:1:27: environments: \"native\" is listed twice")
        #expect(message("[[workload]]\nspec = \"a\"\nparams = { x = 1 }") == "s.toml:3:1: workload[1].params: params go with name, not with spec")
        #expect(message("[[workload]]\nname = \"a\"\nparams = { x = [1] }")
                == "s.toml:3:16: workload[1].params.x: expected a number or string, got an array of 1")
        #expect(message("[vm]\naccel = \"hvf\"\n[[workload]]\nspec = \"a\"")
                == "s.toml:2:9: vm.accel: expected \"auto\", \"kvm\" or \"tcg\", got \"hvf\"")
        #expect(message("container = 3\n[[workload]]\nspec = \"a\"")
                == "s.toml:1:13: container: expected a table [container], got integer 3")
        #expect(message("zzz = 1\n[[workload]]\nspec = \"a\"")?.hasPrefix("s.toml:1:1: zzz: unknown key; expected one of: name, description") == true)
        #expect(message("required = 1\n[[workload]]\nspec = \"a\"") == "s.toml:1:12: required: expected true or false, got integer 1")
        #expect(message("[[workload]]\nspce = \"a\"") == "s.toml:2:1: workload[1].spce: unknown key; did you mean 'spec'?")
        #expect(message("[container]\nmemory = \"lots\"\n[[workload]]\nspec = \"a\"")
                == "s.toml:2:10: container.memory: expected a size such as \"64M\" or \"1G\", got \"lots\"")
        #expect(message("[container]\nmemory = \"1\"\n[[workload]]\nspec = \"a\"")?
                    .hasPrefix("s.toml:2:10: container.memory: must be at least 6M") == true)
        #expect(message("[container]\ncpus = 1e9\n[[workload]]\nspec = \"a\"")?
                    .hasPrefix("s.toml:2:8: container.cpus: must be at most") == true)
        #expect(message("[vm]\nmemory_mib = 64\n[[workload]]\nspec = \"a\"")
                == "s.toml:2:14: vm.memory_mib: expected an integer >= 256, got integer 64")
        #expect(message("x = = 1")?.hasPrefix("s.toml:1:5: ") == true, "syntax errors carry their position too")
    }

    @Test func theRepositorysSuitesParseAndNameBuiltFixtures() throws {
        let dir = Self.root + "/fixtures/suites"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".toml") }
        #expect(files.contains("default.toml") && files.contains("quick.toml"))
        for file in files {
            let suite = try SuiteFile.load(path: dir + "/" + file)
            for w in suite.workloads {
                #expect(FileManager.default.fileExists(atPath: Self.root + "/fixtures/workloads/\(w.spec.name).c"),
                        "\(file): workload \(w.spec.name) has no fixture")
            }
        }
        // The default suite covers every fixture workload, in every environment.
        let suite = try SuiteFile.load(path: dir + "/default.toml")
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/fixtures/workloads")
            .filter { $0.hasSuffix(".c") }.map { String($0.dropLast(2)) }
        #expect(Set(suite.workloads.map(\.spec.name)) == Set(fixtures))
        #expect(suite.environments == [.native, .container, .vm])
        #expect(suite.workloads.allSatisfy { $0.environments == nil })
        // At least the 8 rounds an exact paired test needs, then a precision target within a time limit.
        #expect(suite.repetitions >= 8 && suite.precision == 0.05 && suite.maxTime == 420)
        let quick = try SuiteFile.load(path: dir + "/quick.toml")
        #expect(quick.repetitions == 3 && quick.warmups == 1 && quick.workloads.count == 2)
        #expect(quick.environments == [.native, .container])
        let expected = [
            "misspelt-key": "\(dir)/bad/misspelt-key.toml:2:1: repetitons: unknown key; did you mean 'repetitions'?",
            "wrong-type": "\(dir)/bad/wrong-type.toml:3:15: repetitions: expected an integer >= 1, got string \"five\"",
        ]
        for (bad, line) in expected {
            do {
                _ = try SuiteFile.load(path: dir + "/bad/\(bad).toml")
                Issue.record("\(bad).toml was accepted")
            } catch let e as IsoprobeError {
                #expect(e.description == line)
                #expect(e.exitCode == 2)
            }
        }
        #expect(throws: IsoprobeError.self) { try SuiteFile.load(path: dir + "/no-such-suite.toml") }
    }
}

/// `[container] network`: the words `--network` takes, and one line naming a wrong one.
@Suite struct SuiteNetworkTests {
    @Test func containerNetworkIsAMode() throws {
        let suite = try SuiteFile.parse(text: "[container]\nnetwork = \"host\"\n[[workload]]\nspec = \"tcp-rr\"\n", path: "s.toml")
        #expect(suite.container.network == .host)
        let plain = try SuiteFile.parse(text: "[[workload]]\nspec = \"tcp-rr\"\n", path: "s.toml")
        #expect(plain.container.network == nil, "unsaid: bridge for network workloads")
        do {
            _ = try SuiteFile.parse(text: "[container]\nnetwork = \"nat\"\n[[workload]]\nspec = \"tcp-rr\"\n", path: "s.toml")
            Issue.record("network = \"nat\" was accepted")
        } catch let e as IsoprobeError {
            #expect(e.description == "s.toml:2:11: container.network: expected \"bridge\", \"host\" or \"none\", got \"nat\"")
        }
    }
}
