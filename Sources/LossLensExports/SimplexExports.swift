import CLossLens
import LossLensCore

@_cdecl("ll_simplex_project_options_init")
public func ll_simplex_project_options_init(_ options: InOut<ll_simplex_project_options>) {
  options?.pointee = ll_simplex_project_options(axis: LL_SIMPLEX_COLUMNS, radius: 1, n_threads: 0)
}

@_cdecl("ll_simplex_project_f64")
public func ll_simplex_project_f64(
  _ x: In<Double>, _ rows: Int64, _ cols: Int64, _ options: In<ll_simplex_project_options>, _ out: InOut<Double>,
  _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  projectSimplex(x, rows, cols, options, out, err, errLength)
}

@_cdecl("ll_simplex_project_f32")
public func ll_simplex_project_f32(
  _ x: In<Float>, _ rows: Int64, _ cols: Int64, _ options: In<ll_simplex_project_options>, _ out: InOut<Float>,
  _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  projectSimplex(x, rows, cols, options, out, err, errLength)
}

@_cdecl("ll_simplex_block_sums_f64")
public func ll_simplex_block_sums_f64(
  _ y: In<Double>, _ count: Int64, _ shift: Double, _ thresholds: In<Double>, _ nThresholds: Int64,
  _ counts: InOut<Int64>, _ sums: InOut<Double>, _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let (m, t) = try matrixShape(count, nThresholds, "y")
    let values = UnsafeBufferPointer(start: try required(y, "y"), count: m)
    let cutsStart = try required(thresholds, "thresholds")
    guard Matrix.allFinite(cutsStart, count: t), shift.isFinite else {
      throw .invalid("thresholds and shift must be finite")
    }
    let cuts = UnsafeBufferPointer(start: cutsStart, count: t)
    SimplexProjection.blockSums(
      values, shift: shift, thresholds: cuts, counts: try required(counts, "counts"), sums: try required(sums, "sums"))
  }
}

private func projectSimplex<T: LossLensReal>(
  _ x: In<T>, _ rows: Int64, _ cols: Int64, _ options: In<ll_simplex_project_options>, _ out: InOut<T>,
  _ err: InOut<CChar>, _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let (r, c) = try matrixShape(rows, cols, "X")
    let axis: Int
    switch o.axis {
    case LL_SIMPLEX_COLUMNS: axis = 0
    case LL_SIMPLEX_ROWS: axis = 1
    default: throw unknownCode("axis", o.axis, expected: "0 or 1 (LL_SIMPLEX_COLUMNS, LL_SIMPLEX_ROWS)")
    }
    try SimplexProjection.project(
      try required(x, "X"), rows: r, cols: c, axis: axis, radius: o.radius,
      into: try required(out, "out"), threads: threads(o.n_threads))
  }
}
