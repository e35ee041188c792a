extension SearchSpace {
    /// Builds a trial's parameters by visiting the space in order: inactive parameters are
    /// skipped (never drawn, never stored), single-valued ones take their only value, and
    /// `choose(index, parameter, paramsSoFar)` draws the others.
    func assign(_ choose: (Int, Parameter, Params) -> ParamValue) -> Params {
        var params: Params = [:]
        params.reserveCapacity(parameters.count)
        for (i, p) in parameters.enumerated() where isActive(p, given: params) {
            if let single = Axis.singleValue(of: p.distribution) {
                params[p.name] = single
            } else {
                params[p.name] = choose(i, p, params)
            }
        }
        return params
    }
}
