import CLossLens
import LossLensCore
import POLCA

@_cdecl("ll_polca_allocate_options_init")
public func ll_polca_allocate_options_init(_ options: InOut<ll_polca_allocate_options>) {
  options?.pointee = ll_polca_allocate_options(
    order: LL_POLCA_SECOND_ORDER, share_tol: 1e-6, curvature: LL_POLCA_CURVATURE_SUMMED, n_threads: 0)
}

@_cdecl("ll_polca_allocate_f64")
public func ll_polca_allocate_f64(
  _ grads: In<Double>, _ steps: In<Double>, _ curvatures: In<Double>, _ checkpoints: Int64, _ samples: Int64,
  _ directions: Int64, _ options: In<ll_polca_allocate_options>, _ allocation: InOut<Double>,
  _ firstOrder: InOut<Double>, _ projectedLoss: InOut<Double>, _ guarded: InOut<UInt8>, _ err: InOut<CChar>,
  _ errLength: Int64
) -> Int32 {
  runExport(err, errLength) { () throws(LossLensError) in
    let o = try readOptions(options)
    let (n, m) = try matrixShape(samples, directions, "projected_grads")
    let (t, _) = try matrixShape(checkpoints + 1, Int64(n * m), "projected_grads")
    let order: Int
    switch o.order {
    case LL_POLCA_FIRST_ORDER: order = 1
    case LL_POLCA_SECOND_ORDER: order = 2
    default: throw unknownCode("order", o.order, expected: "1 (LL_POLCA_FIRST_ORDER) or 2 (LL_POLCA_SECOND_ORDER)")
    }
    let perSample: Bool
    switch o.curvature {
    case LL_POLCA_CURVATURE_SUMMED: perSample = false
    case LL_POLCA_CURVATURE_PER_SAMPLE: perSample = true
    default:
      throw unknownCode(
        "curvature", o.curvature, expected: "0 (LL_POLCA_CURVATURE_SUMMED) or 1 (LL_POLCA_CURVATURE_PER_SAMPLE)")
    }
    try POLCAAllocation.allocate(
      grads: try required(grads, "projected_grads"), steps: try required(steps, "step_projections"),
      curvatures: try required(curvatures, "curvatures"), checkpoints: t - 1, samples: n, directions: m,
      order: order, shareTolerance: o.share_tol, perSampleCurvature: perSample,
      allocation: try required(allocation, "allocation"), firstOrder: try required(firstOrder, "first_order"),
      projectedLoss: try required(projectedLoss, "projected_loss"), guarded: try required(guarded, "guarded"),
      threads: threads(o.n_threads))
  }
}
