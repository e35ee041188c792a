extension DataFiles {
    /// The same description with its files at `paths` (in ``allPaths`` order), e.g. the
    /// copies a coordinator shipped into the worker's data cache.
    public func relocated(to paths: [String]) -> DataFiles {
        precondition(paths.count == allPaths.count, "one path per file")
        var copy = self
        var next = paths.makeIterator()
        copy.train = next.next()!
        if trainLabels != nil { copy.trainLabels = next.next() }
        if validation != nil { copy.validation = next.next() }
        if validationLabels != nil { copy.validationLabels = next.next() }
        if test != nil { copy.test = next.next() }
        if testLabels != nil { copy.testLabels = next.next() }
        return copy
    }
}
