public import SluiceCore

/// Builds a stage configuration from JSON exactly as the pipeline linter does: validation against the
/// spec (every problem reported), defaults, then decoding.
public enum ConfigurationLoader {
    /// Loads a configuration of type `C` from JSON object text.
    public static func load<C: StageConfiguration>(_ type: C.Type, json: String) throws(ValidationFailure) -> C {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: json)
        } catch {
            var d = Diagnostic(.syntax, at: .root, "invalid JSON: \(error.message)")
            d.position = error.position
            throw ValidationFailure([d])
        }
        var validator = ConfigValidator()
        let value = validator.validate(document.root, spec: C.spec, at: .root)
        var problems = validator.diagnostics
        if problems.isEmpty {
            do {
                let configuration = try decodeConfiguration(C.self, from: value) as! C
                problems = configuration.validate()
                if problems.isEmpty { return configuration }
            } catch {
                problems = [Diagnostic(.configuration, at: decodingPointer(error, base: .root), "invalid configuration: \(describeDecodingError(error))")]
            }
        }
        throw ValidationFailure(problems)
    }
}
