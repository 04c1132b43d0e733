"""Build the Swift core and the `losslens._core` extension against the running interpreter.

`build_ext` runs `swift build -c release --product losslens_swift` once per CPU level and puts each
`liblosslens_swift.so` inside the package: the x86-64-v2 baseline next to the extension (the one its
`$ORIGIN` rpath finds), the x86-64-v3 (AVX2 + FMA) one in `_x86_64_v3/`. `losslens._dispatch` loads one
of them at import, after the CPU check of `losslens._cpu`. `LOSSLENS_TARGET_CPU=native` builds one
library for the build machine instead. The release flags live here, not in Package.swift, so the Swift
targets stay usable as a SwiftPM dependency. See docs/packaging.md.
"""
import os
import shutil
import subprocess
from pathlib import Path

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
SWIFT_LIBRARY = "liblosslens_swift.so"
C_SOURCES = ["Shims/_core.c"] + sorted(f"Shims/{p.name}" for p in (ROOT / "Shims").glob("core_*.c"))

# Kernels check their inputs up front, so release builds drop the redundant runtime checks; generic
# kernels are specialised across module boundaries; the Swift runtime is linked into the product.
RELEASE_SWIFTC_FLAGS = ["-Ounchecked", "-cross-module-optimization", "-static-stdlib"]

# CPU level -> (package sub-folder of its library, swiftc flags). Swift takes the CPU and its features
# from the Clang importer, so `-Xcc -march=` selects the psABI levels that `-target-cpu` does not name.
PORTABLE_BUILDS = {
    "x86-64-v2": ("", ["-Xcc", "-march=x86-64-v2", "-DLOSSLENS_NO_FMA"]),
    "x86-64-v3": ("_x86_64_v3", ["-Xcc", "-march=x86-64-v3"]),
}
NATIVE_BUILDS = {"native": ("", ["-target-cpu", "native"])}


def cpu_builds():
    """The CPU builds to make: the portable pair, or the host CPU's with LOSSLENS_TARGET_CPU=native."""
    target = os.environ.get("LOSSLENS_TARGET_CPU", "portable")
    if target not in ("portable", "native"):
        raise SystemExit(f"LOSSLENS_TARGET_CPU must be 'portable' or 'native', got {target!r}")
    return NATIVE_BUILDS if target == "native" else PORTABLE_BUILDS


def build_swift_library(level, flags):
    """Release build of the Swift product for one CPU level; returns the folder holding the library.

    Each level has its own SwiftPM scratch folder (`.build-release/<level>`, or below
    LOSSLENS_SWIFT_SCRATCH), so rebuilding one level never invalidates the other.
    """
    scratch = Path(os.environ.get("LOSSLENS_SWIFT_SCRATCH", ROOT / ".build-release")) / level
    swift = shutil.which("swift") or "/opt/swift/usr/bin/swift"
    command = [swift, "build", "-c", "release", "--product", "losslens_swift",
               "--package-path", str(ROOT), "--scratch-path", str(scratch)]
    for flag in RELEASE_SWIFTC_FLAGS + flags:
        command += ["-Xswiftc", flag]
    command += ["-Xlinker", f"-soname={SWIFT_LIBRARY}"]  # the name losslens._dispatch relies on
    subprocess.run(command, check=True)
    return scratch / "release"


BUILD_INFO = '''"""Written by setup.py: the CPU builds of the Swift library in this install (see docs/packaging.md)."""
# CPU level -> folder of its liblosslens_swift.so below the package, baseline first.
SWIFT_BUILDS = {builds!r}
# CPU level -> the swiftc flags of its release build.
SWIFTC_FLAGS = {flags!r}
'''


class BuildSwiftThenExtension(build_ext):
    """build_ext that builds and bundles the Swift shared libraries first."""

    def run(self):
        builds = cpu_builds()
        package_dir = Path(self.get_ext_fullpath("losslens._core")).parent
        package_dir.mkdir(parents=True, exist_ok=True)
        for level, (folder, flags) in builds.items():
            release = build_swift_library(level, flags)
            (package_dir / folder).mkdir(exist_ok=True)
            shutil.copy2(release / SWIFT_LIBRARY, package_dir / folder / SWIFT_LIBRARY)
        for ext in self.extensions:
            ext.library_dirs.append(str(package_dir))
        (package_dir / "_build_info.py").write_text(BUILD_INFO.format(
            builds={level: folder for level, (folder, _) in builds.items()},
            flags={level: " ".join(RELEASE_SWIFTC_FLAGS + flags) for level, (_, flags) in builds.items()}))
        super().run()


core = Extension(
    "losslens._core",
    sources=C_SOURCES,
    include_dirs=["Shims/include", "Shims", numpy.get_include()],
    libraries=["losslens_swift"],
    extra_compile_args=["-O2", "-std=c11", "-Wall", "-Werror=implicit-function-declaration"],
    extra_link_args=["-Wl,-rpath,$ORIGIN"],
)
cpu = Extension("losslens._cpu", sources=["Shims/cpu_level.c"], extra_compile_args=["-O2", "-std=c11", "-Wall"])

setup(ext_modules=[core, cpu], cmdclass={"build_ext": BuildSwiftThenExtension})
