import SluiceCore

/// Phase 5: the stages as a graph of ids and edges — which stages take part, who feeds whom, the
/// topological order — with every wiring problem reported. Pure: it reads ids, roles and `from` lists,
/// nothing else. Stages are numbered (nodes) once, so the checks are array lookups, not string hashing.
struct StageGraph {
    /// The drafts that take part, by node: a valid id, and the first stage with it.
    private(set) var nodes: [Int] = []
    /// Node by id.
    private(set) var node: [String: Int] = [:]
    /// Per node, the nodes it reads from (existing ones, itself excluded), in `from` order.
    private(set) var upstream: [[Int]] = []
    /// Per node, the nodes that read from it.
    private(set) var consumers: [[Int]] = []
    /// Per node, whether its wiring is sound (no dangling or self input, a source without inputs, no
    /// sink as input).
    private(set) var wired: [Bool] = []
    /// The nodes in topological order; nodes in or behind a cycle are left out.
    private(set) var order: [Int] = []

    init(_ drafts: [StageDraft], problems: inout [Diagnostic]) {
        // Duplicate ids: the first stage keeps the id.
        for (i, d) in drafts.enumerated() {
            guard let id = d.id else { continue }
            if let first = node[id] {
                problems.report(.duplicateID, d.pointer.appending("id"), "duplicate stage id \"\(id)\" (also used by /stages/\(drafts[nodes[first]].index))",
                                expected: "a unique id per stage")
            } else {
                node[id] = nodes.count
                nodes.append(i)
            }
        }
        upstream = Array(repeating: [], count: nodes.count)
        consumers = Array(repeating: [], count: nodes.count)
        wired = Array(repeating: true, count: nodes.count)
        checkWiring(drafts, problems: &problems)
        sortTopologically(drafts, problems: &problems)
    }

    /// Dangling and self inputs, sources with input, stages without, sinks used as inputs.
    private mutating func checkWiring(_ drafts: [StageDraft], problems: inout [Diagnostic]) {
        for (n, i) in nodes.enumerated() {
            let d = drafts[i]
            let id = d.displayID
            let role = d.descriptor?.role
            var ok = true
            if role == .source && !d.from.isEmpty {
                problems.report(.unexpectedInput, d.pointer.appending("from"), "stage \"\(id)\" is a source (\(d.kind ?? "?")) and takes no input",
                                expected: "no \"from\" on a source")
                ok = false
            }
            if let role, role != .source, d.from.isEmpty {
                let sources = nodes.map { drafts[$0] }.filter { $0.descriptor?.role == .source }.map { "\"\($0.displayID)\"" }
                problems.report(.missingInput, d.pointer, "stage \"\(id)\" (\(d.kind ?? "?")) needs an input",
                                expected: "\"from\": the id of an upstream stage", hint: sources.isEmpty ? "the file has no source stage yet" : "sources here: " + sources.joined(separator: ", "))
                ok = false
            }
            for (j, up) in d.from.enumerated() {
                if up == id {
                    problems.report(.selfFrom, d.fromPointer(j), "stage \"\(id)\" cannot take input from itself", expected: "the id of another stage")
                    ok = false
                } else if let u = node[up] {
                    upstream[n].append(u)
                    consumers[u].append(n)
                    let upstreamDraft = drafts[nodes[u]]
                    if upstreamDraft.descriptor?.role == .sink {
                        problems.report(.portMismatch, d.fromPointer(j), "stage \"\(up)\" is a sink (\(upstreamDraft.kind ?? "?")) and has no output", expected: "the id of a source or transform")
                        ok = false
                    }
                } else {
                    let others = nodes.map { drafts[$0].displayID }.filter { $0 != id }
                    problems.report(.danglingFrom, d.fromPointer(j), "no stage has the id \"\(up)\"",
                                    expected: others.isEmpty ? "the id of another stage (this file has no other)" : "one of " + others.map { "\"\($0)\"" }.joined(separator: ", "),
                                    hint: didYouMean(up, in: others))
                    ok = false
                }
            }
            if d.from.count > 1, Set(d.from).count != d.from.count {
                problems.report(.invalidValue, d.pointer.appending("from"), "the same stage is listed twice in \"from\"", expected: "distinct stage ids")
            }
            wired[n] = ok
        }
    }

    /// Kahn's algorithm; what remains is in or behind a cycle, and one cycle is reported.
    private mutating func sortTopologically(_ drafts: [StageDraft], problems: inout [Diagnostic]) {
        var indegree = upstream.map(\.count)
        var ready = indegree.indices.filter { indegree[$0] == 0 }
        var next = 0  // a queue by index: removeFirst() would make a wide fan-out quadratic
        while next < ready.count {
            let n = ready[next]
            next += 1
            order.append(n)
            for c in consumers[n] {
                indegree[c] -= 1
                if indegree[c] == 0 { ready.append(c) }
            }
        }
        guard order.count < nodes.count else { return }
        var remaining = Array(repeating: true, count: nodes.count)
        for n in order { remaining[n] = false }
        if let cycle = findCycle(remaining) {
            let ids = cycle.map { drafts[nodes[$0]].displayID }
            problems.report(.cycle, drafts[nodes[cycle[0]]].pointer.appending("from"),
                            "stages form a cycle: " + (ids + [ids[0]]).map { "\"\($0)\"" }.joined(separator: " → "),
                            expected: "data to flow one way, from sources to sinks")
        }
    }

    /// A cycle among the `remaining` nodes, in data-flow order from the node first in the file.
    private func findCycle(_ remaining: [Bool]) -> [Int]? {
        // Walk upstream links within the remaining set until a node repeats. Nodes are numbered in
        // file order, so the first remaining node is the first in the file.
        guard var current = remaining.firstIndex(of: true) else { return nil }
        var path: [Int] = []
        var seen: [Int: Int] = [:]
        while seen[current] == nil {
            seen[current] = path.count
            path.append(current)
            guard let next = upstream[current].first(where: { remaining[$0] }) else { return nil }
            current = next
        }
        var cycle = Array(path[seen[current]!...].reversed())
        if let first = cycle.indices.min(by: { cycle[$0] < cycle[$1] }) {
            cycle = Array(cycle[first...] + cycle[..<first])
        }
        return cycle
    }

    /// Outputs nobody reads would lose events silently.
    func reportUnusedOutputs(of drafts: [StageDraft], problems: inout [Diagnostic]) {
        for (n, i) in nodes.enumerated() where wired[n] && consumers[n].isEmpty {
            let d = drafts[i]
            guard let descriptor = d.descriptor, descriptor.role != .sink, !descriptor.stageType.outputIsOptional else { continue }
            let id = d.displayID
            problems.report(.unusedOutput, d.pointer, "the output of stage \"\(id)\" (\(d.kind ?? "?")) goes nowhere",
                            expected: "another stage with \"from\": \"\(id)\"", hint: "add a sink, e.g. {\"id\": \"out\", \"kind\": \"jsonl\", \"from\": \"\(id)\"} or kind \"null\"")
        }
    }
}
