"""Build the Swift core and the `losslens._core` extension against the running interpreter.

`build_ext` first runs `swift build -c release --product losslens_swift` in the repository root,
places `liblosslens_swift.so` inside the package next to the extension, then compiles the C
extension (`Shims/_core.c`, `Shims/core_*.c`, staged under `build/shims`) linked to it with an `$ORIGIN` rpath.
"""
import os
import shutil
import subprocess
from pathlib import Path

import numpy
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHIMS = ROOT / "Shims"
SWIFT_LIBRARY = "liblosslens_swift.so"
# setuptools takes only sources below setup.py: the C files are staged there before compiling.
STAGED_SHIMS = Path("build") / "shims"
C_SOURCES = ["_core.c"] + sorted(p.name for p in SHIMS.glob("core_*.c"))


def swift_build_dir():
    """Folder SwiftPM writes the release product to (override with LOSSLENS_SWIFT_SCRATCH)."""
    scratch = Path(os.environ.get("LOSSLENS_SWIFT_SCRATCH", ROOT / ".build"))
    return scratch, scratch / "release"


class BuildSwiftThenExtension(build_ext):
    """build_ext that builds and bundles the Swift shared library first."""

    def run(self):
        scratch, release = swift_build_dir()
        swift = shutil.which("swift") or "/opt/swift/usr/bin/swift"
        subprocess.run(
            [swift, "build", "-c", "release", "--product", "losslens_swift",
             "--package-path", str(ROOT), "--scratch-path", str(scratch)],
            check=True,
        )
        shutil.copytree(SHIMS, HERE / STAGED_SHIMS, dirs_exist_ok=True)
        for ext in self.extensions:
            ext.library_dirs.append(str(release))
        super().run()
        package_dir = Path(self.get_ext_fullpath("losslens._core")).parent
        package_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(release / SWIFT_LIBRARY, package_dir / SWIFT_LIBRARY)


core = Extension(
    "losslens._core",
    sources=[str(STAGED_SHIMS / name) for name in C_SOURCES],
    include_dirs=[str(SHIMS / "include"), str(SHIMS), numpy.get_include()],
    libraries=["losslens_swift"],
    extra_compile_args=["-O2", "-std=c11", "-Wall", "-Werror=implicit-function-declaration"],
    extra_link_args=["-Wl,-rpath,$ORIGIN"],
)

setup(ext_modules=[core], cmdclass={"build_ext": BuildSwiftThenExtension})
