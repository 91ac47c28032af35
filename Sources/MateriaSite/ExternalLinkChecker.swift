import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MateriaContent

/// Checks links to other sites: each distinct URL once, a bounded number at a time, each with a
/// time limit; every place that uses a failing URL is reported.
public struct ExternalLinkChecker: Sendable {
    public let concurrency: Int
    public let timeout: TimeInterval

    public init(concurrency: Int = 8, timeout: TimeInterval = 10) {
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
    }

    /// nil when the URL answered with a success or redirect status, else why it failed.
    func probe(_ url: URL, session: URLSession) async -> String? {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "HEAD"
        request.setValue("Materia link checker", forHTTPHeaderField: "User-Agent")
        do {
            var (_, response) = try await session.data(for: request)
            // Some servers refuse HEAD; ask again with GET before calling the link broken.
            if let http = response as? HTTPURLResponse, [403, 405, 501].contains(http.statusCode) {
                request.httpMethod = "GET"
                (_, response) = try await session.data(for: request)
            }
            guard let http = response as? HTTPURLResponse else { return nil }
            if http.statusCode >= 400 {
                return "returned HTTP \(http.statusCode) \(HTTPURLResponse.localizedString(forStatusCode: http.statusCode))"
            }
            return nil
        } catch let error as URLError where error.code == .timedOut {
            return "did not answer within \(Int(timeout)) s"
        } catch {
            return "could not be reached (\(error.localizedDescription))"
        }
    }

    public func check(_ links: [(location: SourceLocation, url: String)]) async -> [Diagnostic] {
        let urls = unique(links.map(\.url))
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 2
        configuration.httpMaximumConnectionsPerHost = concurrency
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        var failures: [String: String] = [:]
        await withTaskGroup(of: (String, String?).self) { group in
            var pending = urls.makeIterator()
            func startNext() -> Bool {
                guard let next = pending.next() else { return false }
                group.addTask {
                    guard let url = URL(string: next), url.scheme == "http" || url.scheme == "https" else {
                        return (next, "is not a valid web address")
                    }
                    return (next, await probe(url, session: session))
                }
                return true
            }
            for _ in 0..<concurrency where !startNext() { break }
            while let (url, failure) = await group.next() {
                if let failure { failures[url] = failure }
                _ = startNext()
            }
        }
        return links.compactMap { link in
            failures[link.url].map {
                Diagnostic(at: link.location, "external link \(link.url) \($0)", fix: "correct the address, or remove or replace the link")
            }
        }
    }
}
