import Foundation
import SluiceCore

// Helpers that open `any Stage.Type` existentials so the runtime can work with the concrete types.

func inputType<S: Stage>(of _: S.Type) -> Any.Type { S.Input.self }
func outputType<S: Stage>(of _: S.Type) -> Any.Type { S.Output.self }
func configurationType<S: Stage>(of _: S.Type) -> any StageConfiguration.Type { S.Configuration.self }

func emittedKinds<S: Stage>(of _: S.Type, _ configuration: any StageConfiguration) -> Set<String>? {
    guard let c = configuration as? S.Configuration else { return nil }
    return S.emittedKinds(c)
}

func outputFields<S: Stage>(of _: S.Type, _ configuration: any StageConfiguration) -> [Column]? {
    guard let c = configuration as? S.Configuration else { return nil }
    return S.outputFields(c)
}

func requiredKinds<S: Stage>(of _: S.Type, _ configuration: any StageConfiguration) -> Set<String>? {
    guard let c = configuration as? S.Configuration else { return nil }
    return S.requiredInputKinds(c)
}

func specialize<G: RecordGenericStage, R: Record>(_ generic: G.Type, for record: R.Type) -> any Stage.Type {
    G.specialized(for: record)
}

func specialize(_ generic: any RecordGenericStage.Type, forRecord record: any Record.Type) -> any Stage.Type {
    func open<R: Record>(_ r: R.Type) -> any Stage.Type { specialize(generic, for: r) }
    return open(record)
}

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
