// swift-tools-version:5.9
//
// losslens: the Swift numerical core.
//
// Public products first, implementation details after (as apple/swift-numerics does):
//   LossLensCore      matrix views, BLAS/LAPACK wrappers, threads, RNG, status, simplex projection
//   <Method> targets  one per method (DictionaryLearning, LDD, HDBSCAN, POLCA, DIDS), on LossLensCore
//   LossLensExports   the `@_cdecl` C ABI only; the one target of the dynamic product `losslens_swift`
//   _COpenBLAS        system library: CBLAS plus the Fortran LAPACK prototypes OpenBLAS exports
import PackageDescription

/// Method targets built on the core. A new method adds its name here and a folder under Sources/.
let methodTargets: [String] = ["KMeans", "HDBSCAN", "Lanczos", "DIDS", "POLCA", "DictionaryLearning"]

/// Kernels check their inputs up front, so release builds drop the redundant runtime checks, and
/// generic kernels are specialised across module boundaries (Float/Double at the exports).
let releaseFlags: [SwiftSetting] = [
  .unsafeFlags(["-Ounchecked", "-cross-module-optimization"], .when(configuration: .release))
]

/// Targets with hand-vectorised kernels are built for the host CPU (the package is always built
/// from source on the machine that runs it, by `pip install`).
let hostCPUTargets: Set<String> = ["DictionaryLearning"]
let hostCPUFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "native"], .when(configuration: .release))]

let package = Package(
  name: "losslens",
  products: [
    .library(name: "losslens_swift", type: .dynamic, targets: ["LossLensExports"]),
    .library(name: "LossLensCore", targets: ["LossLensCore"]),
  ],
  targets: [
    .systemLibrary(name: "_COpenBLAS", path: "Sources/_COpenBLAS"),
    .target(
      name: "LossLensCore",
      dependencies: ["_COpenBLAS"],
      swiftSettings: releaseFlags
    ),
    .target(
      name: "LossLensExports",
      dependencies: ["LossLensCore"] + methodTargets.map { .target(name: $0) },
      swiftSettings: releaseFlags,
      // The product ships with the Swift runtime linked in: the extension must import on a
      // machine without a Swift toolchain. Kept off every target that `swift test` links.
      linkerSettings: [.unsafeFlags(["-static-stdlib"])]
    ),
    .testTarget(name: "LossLensCoreTests", dependencies: ["LossLensCore"]),
  ] + methodTargets.flatMap { name -> [Target] in
    [
      .target(
        name: name, dependencies: ["LossLensCore", "_COpenBLAS"],
        swiftSettings: releaseFlags + (hostCPUTargets.contains(name) ? hostCPUFlags : [])),
      .testTarget(name: "\(name)Tests", dependencies: [.target(name: name), "LossLensCore"]),
    ]
  }
)
