import ArgumentParser
import Foundation

struct NewStageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-stage",
        abstract: "Create a Swift package with a custom stage, its tests, a pipeline file and a runner.",
        discussion: """
            NAME is the stage's kind in snake_case, e.g. price_scaler. The package depends on your Sluice
            checkout (--sluice-path, by default the current directory) and builds a runner: `sluice` with
            your stage registered beside the standard ones. Then: cd NAME && swift test && swift run.
            """
    )

    @Argument(help: "The stage kind, in snake_case (e.g. price_scaler).") var name: String
    @Option(help: "Where to create the package (a NAME directory is made inside).") var directory = "."
    @Option(help: "Path to the Sluice checkout the package depends on.") var sluicePath = "."

    func validate() throws {
        guard name.range(of: "^[a-z][a-z0-9_]*$", options: .regularExpression) != nil else {
            throw ValidationError("the name must be snake_case (lower-case letters, digits, underscores, starting with a letter), e.g. price_scaler")
        }
    }

    func run() throws {
        let sluice = URL(fileURLWithPath: sluicePath).standardizedFileURL
        let manifest = (try? String(contentsOf: sluice.appendingPathComponent("Package.swift"), encoding: .utf8)) ?? ""
        guard manifest.contains("name: \"Sluice\"") else {
            printError("error: \(sluice.path) is not a Sluice checkout; pass --sluice-path with the directory holding Sluice's Package.swift")
            throw ExitCode(ExitStatus.invalidInput)
        }
        let root = URL(fileURLWithPath: directory).standardizedFileURL.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: root.path) {
            printError("error: \(root.path) already exists; choose another name or --directory")
            throw ExitCode(ExitStatus.invalidInput)
        }
        let scaffold = StageScaffold(kind: name, sluicePath: sluice.path)
        for (path, text) in scaffold.files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        print("""
            Created \(root.path):
            \(scaffold.files.map { "  \($0.0)" }.joined(separator: "\n"))

            Next:
              cd \(root.path)
              swift test                                              # the stage's tests
              swift run \(scaffold.runner) run pipelines/\(name).json   # your runner: sluice plus \(name)
            """)
    }
}

/// The files of a new stage package.
struct StageScaffold {
    /// The stage kind, e.g. `price_scaler`.
    let kind: String
    /// The Sluice checkout it depends on.
    let sluicePath: String

    /// `PriceScaler`.
    var typeName: String { kind.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() }
    /// The runner executable, `price-scaler-runner`.
    var runner: String { kind.replacingOccurrences(of: "_", with: "-") + "-runner" }
    /// The package identity SwiftPM gives a path dependency: its last path component.
    var sluiceIdentity: String { URL(fileURLWithPath: sluicePath).lastPathComponent }

    var files: [(String, String)] {
        [
            ("Package.swift", packageSwift),
            ("Sources/\(typeName)Stages/\(typeName)Stage.swift", stage),
            ("Sources/\(typeName)Stages/\(typeName)Plugin.swift", plugin),
            ("Sources/\(typeName)Runner/main.swift", runnerMain),
            ("Tests/\(typeName)StagesTests/\(typeName)StageTests.swift", tests),
            ("pipelines/\(kind).json", pipeline),
            (".gitignore", ".build/\nPackage.resolved\n/out/\n"),
            ("README.md", readme),
        ]
    }

    var packageSwift: String {
        """
        // swift-tools-version:6.1
        import PackageDescription

        let package = Package(
            name: "\(typeName)",
            platforms: [.macOS(.v15)],
            products: [
                .library(name: "\(typeName)Stages", targets: ["\(typeName)Stages"]),
                .executable(name: "\(runner)", targets: ["\(typeName)Runner"]),
            ],
            dependencies: [
                .package(path: "\(sluicePath)"),
            ],
            targets: [
                .target(
                    name: "\(typeName)Stages",
                    dependencies: [
                        .product(name: "SluiceCore", package: "\(sluiceIdentity)"),
                        .product(name: "SluiceRuntime", package: "\(sluiceIdentity)"),
                    ]
                ),
                .executableTarget(
                    name: "\(typeName)Runner",
                    dependencies: [
                        "\(typeName)Stages",
                        .product(name: "SluiceCLI", package: "\(sluiceIdentity)"),
                        .product(name: "SluiceStages", package: "\(sluiceIdentity)"),
                    ]
                ),
                .testTarget(
                    name: "\(typeName)StagesTests",
                    dependencies: [
                        "\(typeName)Stages",
                        .product(name: "SluiceTesting", package: "\(sluiceIdentity)"),
                    ]
                ),
            ]
        )

        """
    }

    var stage: String {
        """
        import SluiceCore
        import SluiceRuntime

        /// `\(kind)` (transform): multiplies the price, bid and ask of every tick by `factor`.
        ///
        /// Replace the body of `run` with your own logic; the configuration spec drives validation,
        /// defaults and `sluice stages \(kind)`.
        public struct \(typeName)Stage: Stage {
            public typealias Input = Tick
            public typealias Output = Tick

            /// The configuration of `\(kind)`.
            public struct Configuration: StageConfiguration {
                /// What prices are multiplied by.
                public var factor: Double

                public static var spec: ConfigSpec {
                    ConfigSpec([
                        ConfigField("factor", .number(0.000001...1_000_000), default: .number(1), doc: "What prices are multiplied by."),
                    ])
                }
            }

            public static var kind: String { "\(kind)" }
            public static var summary: String { "Multiplies tick prices by a factor (a custom stage made with sluice new-stage)." }

            let factor: Double

            public init(configuration: Configuration, context: StageContext) {
                factor = configuration.factor
            }

            public func run(input: Inbound<Tick>, output: Outbound<Tick>) async throws {
                for try await batch in input {
                    try await output.send(batch.map { tick in
                        var t = tick
                        t.price *= factor
                        t.bid *= factor
                        t.ask *= factor
                        return t
                    })
                }
            }
        }

        """
    }

    var plugin: String {
        """
        import SluiceCore

        /// Registers this package's stage kinds; runners call `registry.register(plugin: \(typeName)Plugin.self)`.
        public enum \(typeName)Plugin: SluicePlugin {
            public static let name = "\(kind)"

            public static func register(into registry: inout StageRegistry) {
                registry.register(\(typeName)Stage.self, origin: name)
            }
        }

        """
    }

    var runnerMain: String {
        """
        import \(typeName)Stages
        import SluiceCLI
        import SluiceCore
        import SluiceStages

        // `sluice` with every standard stage plus this package's.
        var registry = StageRegistry.all
        registry.register(plugin: \(typeName)Plugin.self)
        await SluiceCommandLine.main(registry: registry)

        """
    }

    var tests: String {
        """
        import \(typeName)Stages
        import SluiceCore
        import SluiceRuntime
        import SluiceTesting
        import Testing

        @Suite("\(kind)")
        struct \(typeName)StageTests {
            func tick(_ price: Double) -> Tick {
                Tick(symbol: "SPY", sequence: 0, time: Timestamp(millisecondsSinceEpoch: 0), price: price, size: 1, bid: price - 0.01, ask: price + 0.01)
            }

            @Test("prices, bids and asks are multiplied by the factor")
            func scales() async throws {
                let configuration = try StageHarness.configuration(\(typeName)Stage.Configuration.self, json: #"{"factor": 2}"#)
                let run = try await StageHarness.run(\(typeName)Stage.self, configuration: configuration, input: [tick(100), tick(50)])
                #expect(run.output.map(\\.price) == [200, 100])
                #expect(run.output.map(\\.bid) == [199.98, 99.98])
            }

            @Test("the configuration reads exactly the fields its spec declares")
            func configurationConforms() {
                #expect(ConfigurationConformance.problems(of: \(typeName)Stage.Configuration.self) == [])
            }

            @Test("the factor must be positive")
            func rejectsZero() {
                #expect(throws: ValidationFailure.self) {
                    _ = try StageHarness.configuration(\(typeName)Stage.Configuration.self, json: #"{"factor": 0}"#)
                }
            }

            @Test("the stage runs in a pipeline beside the standard stages")
            func inPipeline() async throws {
                var registry = StageRegistry.generic
                registry.register(plugin: \(typeName)Plugin.self)
                registry.register(CollectSink<FieldRecord>.self)
                let run = try await TestPipeline(\"\"\"
                {"name": "t", "stages": [
                  {"id": "gen", "kind": "generate", "config": {"count": 10}},
                  {"id": "scale", "kind": "\(kind)", "from": "gen", "config": {"factor": 10}},
                  {"id": "out", "kind": "collect", "from": "scale"}
                ]}
                \"\"\", registry: registry).run()
                #expect(run.rows("out").count == 10)
            }
        }

        """
    }

    var pipeline: String {
        """
        {
          "name": "\(kind)",
          "description": "Synthetic ticks through the \(kind) stage into out/\(kind).jsonl.",
          "stages": [
            { "id": "ticks", "kind": "generate", "config": { "symbols": ["AAPL", "SPY"], "count": 1000 } },
            { "id": "scale", "kind": "\(kind)", "from": "ticks", "config": { "factor": 2 } },
            { "id": "out", "kind": "jsonl", "from": "scale", "config": { "path": "out/\(kind).jsonl", "append": false } }
          ]
        }

        """
    }

    var readme: String {
        """
        # \(typeName)

        A Sluice stage module: the `\(kind)` stage, its tests, an example pipeline, and a runner that is
        `sluice` with `\(kind)` registered beside every standard stage.

        ```sh
        swift test                                              # the stage's tests
        swift run \(runner) run pipelines/\(kind).json   # run the example pipeline
        swift run \(runner) stages \(kind)                      # the stage's documentation
        ```

        The stage is in `Sources/\(typeName)Stages/\(typeName)Stage.swift`; add more stages there and register
        them in `\(typeName)Plugin`.

        """
    }
}
