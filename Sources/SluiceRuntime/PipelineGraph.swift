import SluiceCore

/// Draws a pipeline plan as a Mermaid flowchart or a Graphviz DOT graph.
public enum PipelineGraph {
    /// A Mermaid `flowchart LR`: one node per stage (id, kind), one edge per connection labelled with the
    /// type and queue policy.
    public static func mermaid(_ plan: PipelinePlan) -> String {
        var out = "flowchart LR\n"
        for s in plan.stages {
            let label = "\(s.id)<br/><small>\(s.kind)</small>"
            switch s.descriptor.role {
            case .source: out += "  \(node(s.id))([\"\(label)\"])\n"
            case .sink: out += "  \(node(s.id))[(\"\(label)\")]\n"
            case .transform: out += "  \(node(s.id))[\"\(label)\"]\n"
            }
        }
        for s in plan.stages {
            for up in s.from {
                out += "  \(node(up)) -->|\"\(edgeLabel(s))\"| \(node(s.id))\n"
            }
        }
        return out
    }

    /// A Graphviz DOT digraph with the same content as ``mermaid(_:)``.
    public static func dot(_ plan: PipelinePlan) -> String {
        var out = "digraph \"\(escape(plan.name))\" {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n"
        for s in plan.stages {
            let shape = s.descriptor.role == .source ? "ellipse" : (s.descriptor.role == .sink ? "cylinder" : "box")
            out += "  \"\(escape(s.id))\" [label=\"\(escape(s.id))\\n\(escape(s.kind))\", shape=\(shape)];\n"
        }
        for s in plan.stages {
            for up in s.from {
                out += "  \"\(escape(up))\" -> \"\(escape(s.id))\" [label=\"\(escape(edgeLabel(s)))\"];\n"
            }
        }
        return out + "}\n"
    }

    static func edgeLabel(_ s: PlannedStage) -> String {
        "\(s.inputTypeName ?? "") · \(s.queue.policy) \(s.queue.capacity)"
    }

    static func node(_ id: String) -> String {
        "s_" + String(id.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    static func escape(_ s: String) -> String {
        s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
    }
}
