// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Materia",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "materia", targets: ["materia"]),
        .executable(name: "materia-floor", targets: ["MateriaFloor"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Debian's libcmark-gfm-dev + libcmark-gfm-extensions-dev; one pkg-config file covers both.
        .systemLibrary(
            name: "CCMarkGFM",
            pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]
        ),
        // Replaces the cmark-gfm function that rewrites a process-wide table during every parse, so
        // that parsers can run on two threads (see the file and MarkdownRenderer.parsesInParallel).
        .target(name: "CMarkGFMInlineChars", linkerSettings: [.linkedLibrary("dl")]),
        // A bump allocator per thread for cmark-gfm: a document's nodes are released all at once.
        .target(name: "CMarkGFMArena"),
        // Whole-document byte scans, sixteen bytes at a time (SSE2).
        .target(name: "CTextScan"),
        .target(name: "MateriaMarkdown", dependencies: ["CCMarkGFM", "CMarkGFMInlineChars", "CMarkGFMArena", "CTextScan"]),
        // Linux file system calls Swift's Glibc module does not expose: an atomic folder exchange,
        // freeing a file's pages (punching a hole) and asking whether a file is on tmpfs.
        .target(name: "CAtomicSwap"),
        .target(name: "MateriaContent", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Mustache compiled once and rendered straight to bytes over typed values.
        .target(name: "MateriaTemplates", dependencies: ["CTextScan"]),
        .target(
            name: "MateriaSite",
            dependencies: [
                "MateriaContent", "MateriaMarkdown", "MateriaTemplates", "CAtomicSwap", "CTextScan",
            ]
        ),
        // `materia serve`: HTTP on POSIX sockets, inotify, Server-Sent Events. No server framework:
        // the preview serves files from one folder and one event stream.
        .target(name: "MateriaServe", dependencies: ["MateriaSite", "MateriaContent", "MateriaMarkdown"]),
        // The benchmark's floor: cmark-gfm alone over the same article bodies (scripts/bench).
        .executableTarget(name: "MateriaFloor", dependencies: ["MateriaMarkdown"]),
        // jemalloc's settings for the materia binary (gives freed pages back after 1 s).
        .target(name: "CMallocConfig"),
        .executableTarget(
            name: "materia",
            dependencies: ["MateriaSite", "MateriaServe", "CMallocConfig", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // jemalloc (Debian's libjemalloc-dev) replaces glibc's malloc for the whole process: a build
            // allocates millions of small strings and arrays on two threads, and spends about a fifth less time doing it (docs/performance.md).
            linkerSettings: [.linkedLibrary("jemalloc")]
        ),
        .testTarget(name: "MateriaMarkdownTests", dependencies: ["MateriaMarkdown", "MateriaTestSupport"]),
        .testTarget(name: "MateriaContentTests", dependencies: ["MateriaContent", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "MateriaTemplatesTests", dependencies: ["MateriaTemplates", "MateriaTestSupport"]),
        .testTarget(name: "MateriaSiteTests", dependencies: ["MateriaSite", "MateriaTestSupport"]),
        // Shared by the end-to-end tests: the binary and copies of the sample site.
        .target(name: "MateriaTestSupport", path: "Tests/MateriaTestSupport"),
        .testTarget(name: "MateriaCLITests", dependencies: ["materia", "MateriaTestSupport"]),
        .testTarget(name: "MateriaServeTests", dependencies: ["MateriaServe", "materia", "MateriaTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
