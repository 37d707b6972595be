import Foundation
import Host
import IsoprobeCore

/// A Prometheus Pushgateway that `export --push` sends a session's metrics to (the
/// Prometheus text format; a Pushgateway refuses OpenMetrics). A URL that names no group
/// (`http://gw:9091`) gets `/metrics/job/isoprobe/instance/<host label>`; one with
/// `/metrics/job/...` is used as it is. The push is a PUT: the group's metrics are replaced
/// by this session's, so a gateway shows each host's latest export.
struct Pushgateway {
    /// Seconds a push or a readiness check may take.
    static let timeout = 15.0

    let address: HTTPRequest.Address

    /// The gateway as given by the user (`--push`), with the group for `hostLabel` when it names none.
    init(_ text: String, hostLabel: String) throws {
        guard var address = HTTPRequest.Address(text) else {
            throw IsoprobeError(.usage, "--push \(text): not a Pushgateway URL",
                                fix: "give http://HOST:9091 or http://HOST:9091/metrics/job/JOB/LABEL/VALUE (plain HTTP)")
        }
        if !address.path.contains("/metrics/job/") {
            let base = address.path.hasSuffix("/") ? String(address.path.dropLast()) : address.path
            address.path = base + "/metrics/job/isoprobe/" + Self.groupLabel("instance", hostLabel)
        }
        self.address = address
    }

    /// `name/value`, or `name@base64/value` (URL-safe base64) when the value holds a slash or
    /// characters a path cannot carry as they are, as the Pushgateway's API asks.
    static func groupLabel(_ name: String, _ value: String) -> String {
        let plain = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.~"))
        if !value.isEmpty, value.unicodeScalars.allSatisfy({ $0.isASCII && plain.contains($0) }) { return "\(name)/\(value)" }
        let encoded = Data(value.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
        return "\(name)@base64/\(encoded.isEmpty ? "=" : encoded)"
    }

    /// The gateway's own root: the path before `/metrics/job/`.
    var root: HTTPRequest.Address {
        var root = address
        root.path = address.path.components(separatedBy: "/metrics/job/")[0]
        return root
    }

    /// Replaces the group's metrics with `text` (Prometheus text format 0.0.4).
    func push(_ text: String, contentType: String) throws {
        let response: HTTPRequest.Response
        do {
            response = try HTTPRequest("PUT", address, contentType: contentType, body: Data(text.utf8)).send(timeout: Self.timeout)
        } catch let error as IsoprobeError {
            throw IsoprobeError(.failed, "cannot push metrics to \(error.message)", fix: "check that the Pushgateway runs there",
                                cause: error.cause)
        }
        guard (200..<300).contains(response.status) else {
            let said = ErrorWords.oneLine(String(response.body.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300)))
            throw IsoprobeError(.failed, "the Pushgateway at \(address.text) refused the metrics: HTTP \(response.status)"
                                + (said.isEmpty ? "" : ": \(said)"))
        }
    }

    /// Whether the gateway answers its readiness check (`GET /-/ready`); the reason when not.
    func ready() -> (ok: Bool, detail: String) {
        var probe = root
        probe.path += "/-/ready"
        do {
            let response = try HTTPRequest("GET", probe).send(timeout: 5)
            return response.status == 200 ? (true, "\(root.text): ready") : (false, "\(probe.text): HTTP \(response.status)")
        } catch {
            return (false, (error as? IsoprobeError)?.description ?? ErrorWords.of(error))
        }
    }
}
