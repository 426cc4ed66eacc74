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
