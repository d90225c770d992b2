#pragma once
// Distributions Boost.Math lacks, by deterministic numerical integration (abs. error < 1e-9):
// the studentized range (Tukey) and the one-factor multivariate t (Dunnett many-to-one).
#include <span>

namespace cytopipe::stats {

// P(Q <= q) for the studentized range of `k` means with `df` residual df (R: ptukey; within
// 1e-12 of a high-precision integration on the fixtures' grid, where R's own ptukey is off by up
// to 9e-5 at df = 2 and 1.3e-6 above 25000 df). df = +infinity gives the normal-theory range.
double ptukey(double q, int k, double df);
// The q with ptukey(q, k, df) = p (R: qtukey).
double qtukey(double p, int k, double df);

// Dunnett's many-to-one: T_i = Z_i / S with corr(Z_i, Z_j) = lambda_i lambda_j (i != j),
// lambda_i = sqrt(n_i / (n_i + n_control)), S^2 ~ chi^2_df / df.
// P(max_i |T_i| < c) when two_sided, else P(max_i T_i < c).
double dunnett_cdf(double c, std::span<const double> lambda, double df, bool two_sided);
// The c with dunnett_cdf(c, ...) = p: the critical value of simultaneous CIs. This and qtukey
// are memoised by their exact arguments (thread-safe): a design that recurs across strata and
// read-outs is solved once, with the same result.
double dunnett_quantile(double p, std::span<const double> lambda, double df, bool two_sided);

}  // namespace cytopipe::stats
