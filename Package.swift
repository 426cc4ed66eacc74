// swift-tools-version:6.1
import PackageDescription

/// Swift 6 language mode everywhere; complete strict concurrency is implied by it.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "SluiceQueue", targets: ["SluiceQueue"]),
        .library(name: "SluiceCore", targets: ["SluiceCore"]),
        .library(name: "SluiceExpressions", targets: ["SluiceExpressions"]),
        .library(name: "SluiceRuntime", targets: ["SluiceRuntime"]),
        .library(name: "SluiceTesting", targets: ["SluiceTesting"]),
        .library(name: "MarketData", targets: ["MarketData"]),
        .library(name: "DXLink", targets: ["DXLink"]),
        .library(name: "DXLinkSimulator", targets: ["DXLinkSimulator"]),
        .library(name: "Tastytrade", targets: ["Tastytrade"]),
        .library(name: "BuiltinStages", targets: ["BuiltinStages"]),
        .library(name: "Candles", targets: ["Candles"]),
        .library(name: "CSVSink", targets: ["CSVSink"]),
        .library(name: "SQLiteSink", targets: ["SQLiteSink"]),
        .library(name: "Alerting", targets: ["Alerting"]),
        .library(name: "SluiceStages", targets: ["SluiceStages"]),
        .library(name: "SluiceHTTP", targets: ["SluiceHTTP"]),
        .library(name: "SluiceCLI", targets: ["SluiceCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "SluiceJSON",
            swiftSettings: strictSettings
        ),
        .target(
            name: "SluiceQueue",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SluiceCore",
            dependencies: [
                "SluiceJSON", "SluiceQueue",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SluiceExpressions",
            dependencies: ["SluiceCore"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SluiceRuntime",
            dependencies: [
                "SluiceCore", "SluiceQueue", "SluiceExpressions",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "MarketData",
            dependencies: ["SluiceCore"],
            exclude: ["Generator"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "DXLink",
            dependencies: [
                "SluiceCore", "MarketData",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "WSClient", package: "swift-websocket"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "DXLinkSimulator",
            dependencies: [
                "SluiceCore", "MarketData", "DXLink",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Tastytrade",
            dependencies: [
                "SluiceCore", "MarketData",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "BuiltinStages",
            dependencies: [
                "SluiceCore", "SluiceQueue", "SluiceRuntime", "MarketData", "DXLink", "DXLinkSimulator", "Tastytrade",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Candles",
            dependencies: ["SluiceCore", "MarketData"],
            path: "Plugins/Candles",
            swiftSettings: strictSettings
        ),
        .target(
            name: "CSVSink",
            dependencies: ["SluiceCore"],
            path: "Plugins/CSVSink",
            swiftSettings: strictSettings
        ),
        .target(
            name: "SQLiteSink",
            dependencies: [
                "SluiceCore", "MarketData",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Plugins/SQLiteSink",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Alerting",
            dependencies: [
                "SluiceCore", "SluiceQueue", "SluiceExpressions", "MarketData",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Plugins/Alerting",
            swiftSettings: strictSettings
        ),
        .target(
            name: "SluiceStages",
            dependencies: ["SluiceCore", "BuiltinStages", "Candles", "CSVSink", "SQLiteSink", "Alerting"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SluiceHTTP",
            dependencies: [
                "SluiceCore", "SluiceRuntime",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SluiceTesting",
            dependencies: ["SluiceCore", "SluiceQueue", "SluiceRuntime", .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SluiceCLI",
            dependencies: [
                "SluiceCore", "SluiceRuntime", "SluiceHTTP", "BuiltinStages", "DXLink", "DXLinkSimulator", "Tastytrade",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "sluice",
            dependencies: ["SluiceCLI", "SluiceCore", "SluiceStages"],
            swiftSettings: strictSettings,
            // Plugin libraries (`sluice build-plugin`) resolve the core's symbols against this executable,
            // so runner and plugin share one copy of the core.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]
        ),
        .testTarget(
            name: "SluiceCoreTests",
            dependencies: ["SluiceCore", "SluiceQueue", "SluiceExpressions", "SluiceTesting"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SluiceRuntimeTests",
            dependencies: [
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "SluiceCore", "SluiceRuntime", "SluiceTesting", "BuiltinStages", "SluiceStages",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DXLinkTests",
            dependencies: ["SluiceCore", "SluiceRuntime", "SluiceTesting", "MarketData", "DXLink", "DXLinkSimulator", "BuiltinStages", "FaultProxy", "Tastytrade",
                           .product(name: "MetricsTestKit", package: "swift-metrics")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "FaultProxy",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/FaultProxy",
            swiftSettings: strictSettings
        ),
        .target(
            name: "HTTPTestServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/HTTPTestServer",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PluginTests",
            dependencies: [
                "SluiceCore", "SluiceQueue", "SluiceRuntime", "SluiceTesting", "MarketData", "BuiltinStages",
                "Candles", "CSVSink", "SQLiteSink", "Alerting", "SluiceStages", "HTTPTestServer", "DXLink", "DXLinkSimulator",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TastytradeTests",
            dependencies: ["SluiceCore", "SluiceQueue", "SluiceRuntime", "SluiceTesting", "Tastytrade", "BuiltinStages", "MarketData", "DXLink", "DXLinkSimulator", "HTTPTestServer"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FuzzTests",
            dependencies: ["SluiceCore", "SluiceExpressions", "SluiceRuntime", "SluiceTesting", "MarketData", "DXLink", "BuiltinStages", "SluiceStages"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SluiceCLITests",
            dependencies: ["sluice", "SluiceCLI", "SluiceCore", "SluiceRuntime", "SluiceHTTP", "HTTPTestServer", "DXLinkSimulator", "FaultProxy", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
    ]
)
