/// The parameters of a layer with a kernel matrix, an optional bias and, for PReLU, the
/// activation's alphas (Dense and Conv2D): reserved in the layout, then bound to the store.
struct KernelParameters {
    /// The kernel's block in the store (reserved first, so the layer's first block).
    private(set) var kernelBlock = -1
    private var biasBlock = -1, alphaBlock = -1
    /// The kernel, `rows x cols` row-major, and its gradient (valid after `bind`).
    private(set) var kernel: UnsafeMutablePointer<Float>!
    private(set) var kernelGradient: UnsafeMutablePointer<Float>!
    /// The bias (`cols` values) and its gradient; nil without a bias.
    private(set) var bias: UnsafeMutablePointer<Float>?
    private(set) var biasGradient: UnsafeMutablePointer<Float>?

    /// Reserves `label.kernel` (rows x cols, max-norm `constrained`), `label.bias` and
    /// `label.alpha` (when `unit` has parameters) in `layout`.
    mutating func reserve(_ label: String, rows: Int, cols: Int, useBias: Bool, constrained: Bool,
                          unit: ActivationUnit?, in layout: inout ParameterLayout) {
        kernelBlock = layout.reserve("\(label).kernel", rows * cols, .kernel(rows: rows, cols: cols), constrained: constrained)
        if useBias { biasBlock = layout.reserve("\(label).bias", cols, .bias) }
        if let unit, unit.parameterCount > 0 { alphaBlock = layout.reserve("\(label).alpha", unit.parameterCount, .preluAlpha) }
    }

    /// Points the kernel, bias and the unit's alphas at their values and gradients in `store`.
    mutating func bind(_ store: ParameterStore, unit: ActivationUnit?) {
        kernel = store.value(kernelBlock)
        kernelGradient = store.gradient(kernelBlock)
        if biasBlock >= 0 {
            bias = store.value(biasBlock)
            biasGradient = store.gradient(biasBlock)
        }
        if alphaBlock >= 0 {
            unit?.alpha = store.value(alphaBlock)
            unit?.alphaGradient = store.gradient(alphaBlock)
        }
    }
}
