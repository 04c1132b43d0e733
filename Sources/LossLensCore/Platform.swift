// The one place the C library is imported: every target that imports LossLensCore sees it through
// this re-export, so porting the core to another libc touches this file only.
#if canImport(Glibc)
@_exported import Glibc
#elseif canImport(Musl)
@_exported import Musl
#elseif canImport(Darwin)
@_exported import Darwin
#else
#error("losslens: unsupported platform (no Glibc, Musl or Darwin module)")
#endif
