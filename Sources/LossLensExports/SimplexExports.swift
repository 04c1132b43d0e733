import LossLensCore

@_cdecl("ll_project_simplex_f64")
public func ll_project_simplex_f64(
  _ x: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ axis: Int32, _ radius: Double,
  _ out: UnsafeMutablePointer<Double>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  projectSimplex(x, rows, cols, axis, radius, out, nThreads, err, errLength)
}

@_cdecl("ll_project_simplex_f32")
public func ll_project_simplex_f32(
  _ x: UnsafePointer<Float>?, _ rows: Int64, _ cols: Int64, _ axis: Int32, _ radius: Double,
  _ out: UnsafeMutablePointer<Float>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  projectSimplex(x, rows, cols, axis, radius, out, nThreads, err, errLength)
}

private func projectSimplex<T: LossLensReal>(
  _ x: UnsafePointer<T>?, _ rows: Int64, _ cols: Int64, _ axis: Int32, _ radius: Double,
  _ out: UnsafeMutablePointer<T>?, _ nThreads: Int32,
  _ err: UnsafeMutablePointer<CChar>?, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (r, c) = try matrixShape(rows, cols, "X")
    try SimplexProjection.project(
      try required(x, "X"), rows: r, cols: c, axis: Int(axis), radius: radius,
      into: try required(out, "out"), threads: Threading.resolve(nJobs: Int(nThreads)))
  }
}
