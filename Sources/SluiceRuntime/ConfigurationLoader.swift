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
            throw ValidationFailure([Diagnostic(error)])
        }
        var validator = ConfigValidator()
        let value = validator.validate(document.root, spec: C.spec, at: .root)
        guard validator.diagnostics.isEmpty else { throw ValidationFailure(validator.diagnostics) }
        let (configuration, problems) = try decodeConfiguration(C.self, from: value, at: .root).get()
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        return configuration as! C
    }
}
