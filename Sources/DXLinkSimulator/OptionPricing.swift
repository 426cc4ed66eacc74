#if canImport(Glibc)
import Glibc
#endif

/// Black–Scholes prices and Greeks of a European option, as the simulator quotes its options: the
/// Greeks move with the underlying and with time, as a real feed's do.
struct OptionPricing: Sendable, Hashable {
    var price: Double
    var delta: Double
    var gamma: Double
    /// Per calendar day.
    var theta: Double
    /// Per volatility point (1 %).
    var vega: Double
    /// Per rate point (1 %).
    var rho: Double

    /// Prices a call (`call`) or put struck at `strike` on an underlying at `spot`, `years` to expiry, at
    /// volatility `sigma` and rate `rate`. At or past expiry (under a minute) it is worth its intrinsic value.
    init(call: Bool, spot: Double, strike: Double, years: Double, sigma: Double, rate: Double = 0.04) {
        let t = max(years, 1.0 / (365 * 24 * 60))
        let s = max(spot, 1e-6), k = max(strike, 1e-6), v = max(sigma, 0.01)
        let rootT = t.squareRoot()
        let d1 = (log(s / k) + (rate + v * v / 2) * t) / (v * rootT)
        let d2 = d1 - v * rootT
        let discount = exp(-rate * t)
        let pdf = exp(-d1 * d1 / 2) / (2 * Double.pi).squareRoot()
        func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
        gamma = pdf / (s * v * rootT)
        vega = s * pdf * rootT / 100
        if call {
            price = s * cdf(d1) - k * discount * cdf(d2)
            delta = cdf(d1)
            theta = (-s * pdf * v / (2 * rootT) - rate * k * discount * cdf(d2)) / 365
            rho = k * t * discount * cdf(d2) / 100
        } else {
            price = k * discount * cdf(-d2) - s * cdf(-d1)
            delta = cdf(d1) - 1
            theta = (-s * pdf * v / (2 * rootT) + rate * k * discount * cdf(-d2)) / 365
            rho = -k * t * discount * cdf(-d2) / 100
        }
        price = max(price, call ? max(0, s - k) : max(0, k - s))
    }

    /// The implied volatility of a strike: the at-the-money level with a skew (puts dearer) and a smile.
    static func volatility(atm: Double, spot: Double, strike: Double) -> Double {
        let m = log(max(strike, 1e-6) / max(spot, 1e-6))
        return min(3, max(0.05, atm * (1 - 0.8 * m + 4 * m * m)))
    }
}
