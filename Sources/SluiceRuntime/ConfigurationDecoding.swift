import SluiceCore

/// Decodes a configuration and runs its own checks: a configuration that decodes comes back with its
/// problems (so the checks against other stages still run on it), one that does not with why.
func decodeConfiguration(_ type: any StageConfiguration.Type, from json: JSONValue, at pointer: JSONPointer) -> Result<(any StageConfiguration, [Diagnostic]), ValidationFailure> {
    func open<C: StageConfiguration>(_ c: C.Type) throws -> any StageConfiguration {
        try JSONValueDecoder.decode(C.self, from: json)
    }
    let configuration: any StageConfiguration
    do {
        configuration = try open(type)
    } catch {
        return .failure(ValidationFailure([
            Diagnostic(.configuration, at: decodingPointer(error, base: pointer), "invalid configuration: \(describeDecodingError(error))"),
        ]))
    }
    let problems = configuration.validate().map { problem -> Diagnostic in
        var p = problem
        p.path = JSONPointer(tokens: pointer.tokens + problem.path.tokens)
        return p
    }
    return .success((configuration, problems))
}
