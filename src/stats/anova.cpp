#include "cytopipe/stats/anova.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>

#include "stats/common.hpp"

namespace cytopipe::stats {
namespace {

// Within-group sum of squares and the grand mean's between-group sum of squares.
struct Partition {
  double ss_between = 0;
  double ss_within = 0;
};

Partition partition(std::span<const Group> groups) {
  const auto all = detail::pooled(groups);
  const double grand = detail::mean(all);
  Partition p;
  for (const auto& g : groups) {
    const double m = detail::mean(g.values);
    p.ss_between += static_cast<double>(g.values.size()) * (m - grand) * (m - grand);
    for (double v : g.values) p.ss_within += (v - m) * (v - m);
  }
  return p;
}

// Shared degenerate-input checks for the one-factor ANOVAs.
std::string one_way_problem(std::span<const Group> groups) {
  if (auto problem = check_groups(groups, 2, 2); !problem.empty()) return problem;
  if (detail::all_equal(groups)) return "all values are equal";
  return {};
}

}  // namespace

TestResult one_way_anova(std::span<const Group> groups) {
  TestResult r;
  r.test = "one-way ANOVA";
  r.statistic_name = "F";
  r.groups = group_sizes(groups);
  if (r.message = one_way_problem(groups); !r.message.empty()) return r;
  const auto p = partition(groups);
  const double k = static_cast<double>(groups.size());
  const double n = static_cast<double>(detail::total_n(groups));
  // Relative test: rounding leaves ~1e-30 where the deviations are identical within groups.
  if (p.ss_within <= 1e-20 * (p.ss_between + p.ss_within)) {
    r.message = "zero variance within every group";
    return r;
  }
  r.df1 = k - 1;
  r.df2 = n - k;
  r.statistic = (p.ss_between / r.df1) / (p.ss_within / r.df2);
  r.p = detail::f_upper(r.statistic, r.df1, r.df2);
  return r;
}

TestResult welch_anova(std::span<const Group> groups) {
  TestResult r;
  r.test = "Welch ANOVA";
  r.statistic_name = "F";
  r.groups = group_sizes(groups);
  if (r.message = one_way_problem(groups); !r.message.empty()) return r;
  const double k = static_cast<double>(groups.size());
  std::vector<double> w, m, n;
  for (const auto& g : groups) {
    const double v = detail::variance(g.values);
    if (v <= 0) {
      r.message = "group '" + g.label + "' has zero variance (Welch weights undefined)";
      return r;
    }
    n.push_back(static_cast<double>(g.values.size()));
    w.push_back(n.back() / v);
    m.push_back(detail::mean(g.values));
  }
  double sw = 0, swm = 0;
  for (std::size_t i = 0; i < w.size(); ++i) sw += w[i], swm += w[i] * m[i];
  const double centre = swm / sw;
  double between = 0, tmp = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    between += w[i] * (m[i] - centre) * (m[i] - centre);
    tmp += (1 - w[i] / sw) * (1 - w[i] / sw) / (n[i] - 1);
  }
  tmp /= k * k - 1;
  r.statistic = between / ((k - 1) * (1 + 2 * (k - 2) * tmp));
  r.df1 = k - 1;
  r.df2 = 1 / (3 * tmp);
  r.p = detail::f_upper(r.statistic, r.df1, r.df2);
  return r;
}

namespace {

// Residual sum of squares and rank of a least-squares fit.
struct Fit {
  double rss = 0;
  Eigen::Index rank = 0;
};

Fit least_squares(const Eigen::MatrixXd& x, const Eigen::VectorXd& y) {
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(x);
  const Eigen::VectorXd beta = qr.solve(y);
  return {(y - x * beta).squaredNorm(), qr.rank()};
}

// Sum-to-zero contrast coding of a factor (R: contr.sum): level j < L-1 -> e_j, last -> -1.
Eigen::MatrixXd sum_contrasts(const std::vector<int>& level, int levels) {
  Eigen::MatrixXd c = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(level.size()), levels - 1);
  for (std::size_t i = 0; i < level.size(); ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    if (level[i] == levels - 1) c.row(row).setConstant(-1);
    else c(row, level[i]) = 1;
  }
  return c;
}

std::vector<int> codes(std::span<const std::string> factor, int& levels) {
  std::map<std::string, int> seen;
  std::vector<int> out;
  for (const auto& f : factor) out.push_back(seen.try_emplace(f, static_cast<int>(seen.size())).first->second);
  levels = static_cast<int>(seen.size());
  return out;
}

Eigen::MatrixXd columns(std::initializer_list<const Eigen::MatrixXd*> blocks, Eigen::Index rows) {
  Eigen::Index cols = 0;
  for (auto* b : blocks) cols += b->cols();
  Eigen::MatrixXd x(rows, cols);
  Eigen::Index at = 0;
  for (auto* b : blocks) {
    x.middleCols(at, b->cols()) = *b;
    at += b->cols();
  }
  return x;
}

}  // namespace

TestResult two_way_anova(std::span<const double> y, std::span<const std::string> a,
                         std::span<const std::string> b, SumOfSquares type,
                         const std::string& a_name, const std::string& b_name) {
  TestResult r;
  r.test = "two-way ANOVA";
  r.statistic_name = "F";
  r.method = type == SumOfSquares::type1
                 ? "type I (sequential) sums of squares, in the order " + a_name + ", " + b_name +
                       ", " + a_name + ":" + b_name + " (R: anova(lm(y ~ " + a_name + " * " +
                       b_name + ")))"
             : type == SumOfSquares::type2
                 ? "type II sums of squares"
                 : "type III sums of squares, sum-to-zero contrasts (R: drop1 with contr.sum)";
  if (y.size() != a.size() || y.size() != b.size()) {
    r.message = "value and factor columns differ in length";
    return r;
  }
  for (double v : y)
    if (!std::isfinite(v)) {
      r.message = "a value is NaN or infinite";
      return r;
    }
  int la = 0, lb = 0;
  const auto ca = codes(a, la), cb = codes(b, lb);
  if (la < 2 || lb < 2) {
    r.message = "each factor needs at least 2 levels (" + a_name + ": " + std::to_string(la) +
                ", " + b_name + ": " + std::to_string(lb) + ")";
    return r;
  }
  std::map<std::pair<int, int>, std::size_t> cell_n;
  for (std::size_t i = 0; i < y.size(); ++i) ++cell_n[{ca[i], cb[i]}];
  if (static_cast<int>(cell_n.size()) < la * lb) {
    r.message = "an " + a_name + " x " + b_name + " cell is empty";
    return r;
  }
  const auto n = static_cast<Eigen::Index>(y.size());
  const Eigen::Index residual_df = n - la * lb;
  if (residual_df < 1) {
    r.message = "no residual degrees of freedom (one observation per cell)";
    return r;
  }
  const Eigen::VectorXd yv = Eigen::Map<const Eigen::VectorXd>(y.data(), n);
  const Eigen::MatrixXd one = Eigen::MatrixXd::Ones(n, 1);
  const Eigen::MatrixXd xa = sum_contrasts(ca, la), xb = sum_contrasts(cb, lb);
  Eigen::MatrixXd xab(n, (la - 1) * (lb - 1));
  for (int i = 0; i < la - 1; ++i)
    for (int j = 0; j < lb - 1; ++j) xab.col(i * (lb - 1) + j) = xa.col(i).cwiseProduct(xb.col(j));

  const Fit full = least_squares(columns({&one, &xa, &xb, &xab}, n), yv);
  if (full.rss <= 0) {
    r.message = "zero variance within every cell";
    return r;
  }
  const double mse = full.rss / static_cast<double>(residual_df);
  auto term = [&](const std::string& name, const Fit& reduced, const Fit& larger) {
    Term t;
    t.name = name;
    t.df = static_cast<double>(larger.rank - reduced.rank);
    t.sum_sq = reduced.rss - larger.rss;
    t.statistic = (t.sum_sq / t.df) / mse;
    t.p = detail::f_upper(t.statistic, t.df, static_cast<double>(residual_df));
    return t;
  };
  const std::string ab_name = a_name + ":" + b_name;
  if (type == SumOfSquares::type1) {
    const Fit fa = least_squares(columns({&one, &xa}, n), yv);
    const Fit fab = least_squares(columns({&one, &xa, &xb}, n), yv);
    const Fit mean_only = least_squares(one, yv);
    r.terms = {term(a_name, mean_only, fa), term(b_name, fa, fab), term(ab_name, fab, full)};
  } else if (type == SumOfSquares::type2) {
    const Fit fa = least_squares(columns({&one, &xa}, n), yv);
    const Fit fb = least_squares(columns({&one, &xb}, n), yv);
    const Fit fab = least_squares(columns({&one, &xa, &xb}, n), yv);
    r.terms = {term(a_name, fb, fab), term(b_name, fa, fab), term(ab_name, fab, full)};
  } else {
    const Fit no_a = least_squares(columns({&one, &xb, &xab}, n), yv);
    const Fit no_b = least_squares(columns({&one, &xa, &xab}, n), yv);
    const Fit no_ab = least_squares(columns({&one, &xa, &xb}, n), yv);
    r.terms = {term(a_name, no_a, full), term(b_name, no_b, full), term(ab_name, no_ab, full)};
  }
  r.terms.push_back({"Residuals", static_cast<double>(residual_df), full.rss, kNaN, kNaN, {}});
  // The interaction is the headline statistic of the table.
  r.statistic = r.terms[2].statistic;
  r.df1 = r.terms[2].df;
  r.df2 = static_cast<double>(residual_df);
  r.p = r.terms[2].p;
  for (const auto& [cell, count] : cell_n) {
    std::string label;
    for (std::size_t i = 0; i < y.size(); ++i)
      if (ca[i] == cell.first && cb[i] == cell.second) {
        label = a[i] + ":" + b[i];
        break;
      }
    r.groups.push_back({label, count});
  }
  return r;
}

}  // namespace cytopipe::stats
