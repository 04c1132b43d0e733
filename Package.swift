// swift-tools-version:5.9
//
// losslens: the Swift numerical core.
//
// Public products first, implementation details after (as apple/swift-numerics does):
//   LossLensCore      matrix views, BLAS/LAPACK wrappers, threads, RNG, status, simplex projection
//   <Method> targets  one per method (DictionaryLearning, LDD, HDBSCAN, POLCA, DIDS), on LossLensCore
//   LossLensExports   the `@_cdecl` C ABI only; the one target of the dynamic product `losslens_swift`
//   _COpenBLAS        system library: CBLAS plus the Fortran LAPACK prototypes OpenBLAS exports
//   CLossLens         the C contract (Shims/include/losslens.h), read by LossLensExports
//
// No target carries unsafe flags, so the package works as a SwiftPM dependency. The release build of
// the Python package (setup.py) adds them on the command line: `-Ounchecked` (kernels check their
// inputs up front), `-cross-module-optimization`, the CPU level (`-Xcc -march=x86-64-v2` and
// `x86-64-v3` builds side by side, or `-target-cpu native` on request) and `-static-stdlib` (the
// product imports without a Swift toolchain); see docs/packaging.md.
import PackageDescription

/// Method targets built on the core. A new method adds its name here and a folder under Sources/.
let methodTargets: [String] = ["KMeans", "HDBSCAN", "Lanczos", "DIDS", "POLCA", "DictionaryLearning"]

let package = Package(
  name: "losslens",
  products: [
    .library(name: "losslens_swift", type: .dynamic, targets: ["LossLensExports"]),
    .library(name: "LossLensCore", targets: ["LossLensCore"]),
  ],
  targets: [
    .systemLibrary(name: "_COpenBLAS", path: "Sources/_COpenBLAS"),
    .systemLibrary(name: "CLossLens", path: "Shims/include"),
    .target(name: "LossLensCore", dependencies: ["_COpenBLAS"]),
    .target(
      name: "LossLensExports", dependencies: ["LossLensCore", "CLossLens"] + methodTargets.map { .target(name: $0) }),
    .testTarget(name: "LossLensCoreTests", dependencies: ["LossLensCore"]),
  ] + methodTargets.flatMap { name -> [Target] in
    [
      .target(name: name, dependencies: ["LossLensCore", "_COpenBLAS"]),
      .testTarget(name: "\(name)Tests", dependencies: [.target(name: name), "LossLensCore"]),
    ]
  }
)
