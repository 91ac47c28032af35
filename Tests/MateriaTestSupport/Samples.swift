/// Strings of `filler` with one of `specials` at every position, for each of `lengths`: the edge
/// cases of code that looks at eight bytes at a time are the positions inside, at the ends of and
/// just past a word.
public func everyPosition(of specials: [String], lengths: [Int] = [1, 7, 8, 9, 16, 23], filler: String = "x") -> [String] {
    var samples: [String] = []
    for special in specials {
        for length in lengths {
            for position in 0..<length {
                var characters = Array(repeating: filler, count: length)
                characters[position] = special
                samples.append(characters.joined())
            }
        }
    }
    return samples
}
