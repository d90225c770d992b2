#!/usr/bin/env Rscript
# Golden values for tests/stats: R's own functions (aov, oneway.test, TukeyHSD, ptukey,
# kruskal.test, wilcox.test, t.test, pairwise.t.test, p.adjust, multcomp::glht, nls,
# shapiro.test, lm, drop1) and, where R has no function, the textbook definition written out
# here in plain R, independently of the C++ code (Dunn, Jonckheere-Terpstra, Levene and
# Brown-Forsythe, type II sums of squares).
#
# The studentized range is also computed to high precision by nested integrate() (rel.tol 1e-13)
# over its defining double integral, because R's ptukey (16-point Gauss-Legendre) is off by up to
# 1e-4 at df = 2 and takes the df = infinity shortcut above 25000 df; both values are recorded.
#
# Usage (from the repository root): Rscript tests/stats/make_golden.R [section ...]
# Sections: one_factor shapiro p_adjust ptukey two_way hill jonckheere dunnett group_summary
# t_vs_control two_way_type1 hill_zero_dose (default: all; the
# high-precision studentized range and multcomp's integration make one_factor, ptukey and dunnett
# take a few minutes each). Writes tests/stats/golden/*.json. Needs only r-base-core and
# r-cran-multcomp.
suppressMessages(library(multcomp))
out_dir <- file.path("tests", "stats", "golden")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
sections <- commandArgs(trailingOnly = TRUE)
want <- function(section) length(sections) == 0 || section %in% sections

# --- a minimal JSON writer (jsonlite is not installed) --------------------------------------
num <- function(x) {
  if (length(x) == 0) return("[]")
  # JSON has no infinity (and nlohmann rejects 1e999): one-sided bounds are written "Inf"/"-Inf".
  s <- ifelse(is.na(x), "null", ifelse(is.infinite(x), ifelse(x > 0, "\"Inf\"", "\"-Inf\""),
              sprintf("%.17g", x)))
  s
}
to_json <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!is.null(names(x))) {
      parts <- mapply(function(k, v) paste0("\"", k, "\":", to_json(v)), names(x), x)
      return(paste0("{", paste(parts, collapse = ","), "}"))
    }
    return(paste0("[", paste(vapply(x, to_json, ""), collapse = ","), "]"))
  }
  if (is.character(x)) {
    s <- paste0("\"", gsub("\"", "\\\\\"", x), "\"")
  } else if (is.logical(x)) {
    s <- ifelse(x, "true", "false")
  } else {
    s <- num(as.numeric(x))
  }
  if (length(x) == 1 && is.null(attr(x, "array"))) s else paste0("[", paste(s, collapse = ","), "]")
}
arr <- function(x) { attr(x, "array") <- TRUE; x }  # keep length-1 vectors as arrays
write_json <- function(x, file) writeLines(to_json(x), file.path(out_dir, file))

# --- textbook references R has no function for ----------------------------------------------
dunn_ref <- function(y, g, method) {
  r <- rank(y); N <- length(y); lv <- levels(g)
  ties <- table(y); tie <- sum(ties^3 - ties)
  mr <- tapply(r, g, mean); n <- tapply(r, g, length)
  s2 <- N * (N + 1) / 12 - tie / (12 * (N - 1))
  lab <- c(); z <- c()
  for (i in 1:(length(lv) - 1)) for (j in (i + 1):length(lv)) {
    lab <- c(lab, paste(lv[j], "-", lv[i]))
    z <- c(z, (mr[j] - mr[i]) / sqrt(s2 * (1 / n[i] + 1 / n[j])))
  }
  p <- 2 * pnorm(-abs(z))
  list(label = arr(lab), z = arr(unname(z)), p = arr(unname(p)), p_adj = arr(p.adjust(p, method)))
}
jt_ref <- function(y, g) {
  lv <- levels(g); J <- 0
  for (i in 1:(length(lv) - 1)) for (j in (i + 1):length(lv)) {
    a <- y[g == lv[i]]; b <- y[g == lv[j]]
    J <- J + sum(outer(a, b, "<")) + 0.5 * sum(outer(a, b, "=="))
  }
  N <- length(y); n <- as.numeric(table(g)); t <- as.numeric(table(y))
  mu <- (N^2 - sum(n^2)) / 4
  v <- (N * (N - 1) * (2 * N + 5) - sum(n * (n - 1) * (2 * n + 5)) - sum(t * (t - 1) * (2 * t + 5))) / 72 +
    sum(n * (n - 1) * (n - 2)) * sum(t * (t - 1) * (t - 2)) / (36 * N * (N - 1) * (N - 2)) +
    sum(n * (n - 1)) * sum(t * (t - 1)) / (8 * N * (N - 1))
  z <- (J - mu) / sqrt(v)
  list(statistic = J, z = z, p = 2 * pnorm(-abs(z)), p_greater = pnorm(z, lower.tail = FALSE))
}
# Exact null distribution of the JT statistic without ties: JT is the sum over groups i of the
# Mann-Whitney count of group i against all later groups pooled; under H0 these counts are
# independent, so the distribution is the convolution of R's dwilcox distributions.
# (jt_brute below checks this against plain enumeration for tiny designs.)
jt_exact_dist <- function(n) {
  d <- 1
  for (i in seq_len(length(n) - 1)) {
    m <- n[i]; rest <- sum(n[(i + 1):length(n)])
    w <- dwilcox(0:(m * rest), m, rest)
    out <- numeric(length(d) + length(w) - 1)
    for (j in seq_along(w)) {
      at <- j:(j + length(d) - 1)
      out[at] <- out[at] + w[j] * d
    }
    d <- out
  }
  d  # P(JT = 0), P(JT = 1), ...
}
# Two-sided p as clinfun::jonckheere.test: twice the smaller tail, at most 1.
jt_tails <- function(J, d) {
  lower <- sum(d[seq_len(J + 1)]); upper <- sum(d[(J + 1):length(d)])
  list(p = min(1, 2 * min(lower, upper)), p_greater = upper, p_less = lower)
}
jt_stat <- function(y, g) {
  lv <- levels(g); J <- 0
  for (i in 1:(length(lv) - 1)) for (j in (i + 1):length(lv))
    J <- J + sum(outer(y[g == lv[i]], y[g == lv[j]], "<")) + 0.5 * sum(outer(y[g == lv[i]], y[g == lv[j]], "=="))
  J
}
# Brute force: JT of every distinct assignment of the pooled ranks 1..N to groups of sizes n
# (labels in rank order: JT counts the position pairs a < b whose labels increase).
jt_brute <- function(n) {
  N <- sum(n)
  total <- factorial(N) / prod(factorial(n))
  out <- numeric(total); at <- 0
  upper <- upper.tri(diag(N))
  rec <- function(free, i, lab) {
    if (i == length(n)) {
      lab[free] <- i
      at <<- at + 1
      out[at] <<- sum(outer(lab, lab, "<")[upper])
      return(invisible())
    }
    cm <- combn(length(free), n[i])
    for (c in seq_len(ncol(cm))) {
      l2 <- lab; l2[free[cm[, c]]] <- i
      rec(free[-cm[, c]], i + 1, l2)
    }
  }
  rec(seq_len(N), 1, integer(N))
  stopifnot(at == total)
  out
}

# Studentized range to high precision, by its definition: P(Q <= q) = integral over the scale S
# (S^2 ~ chi^2_df / df) of P(range of k iid N(0,1) <= q S), the range CDF itself an integral over
# the smallest value. Both by integrate() at rel.tol 1e-13, split at the integrands' peaks.
ptukey_hp <- function(q, k, df, tol = 1e-13) {
  range_cdf <- function(w) {
    if (w <= 0) return(0)
    f <- function(z) {
      # Phi(z + w) - Phi(z) from the upper tails for z > 0, where both are close to 1.
      d <- ifelse(z > 0, pnorm(z, lower.tail = FALSE) - pnorm(z + w, lower.tail = FALSE),
                  pnorm(z + w) - pnorm(z))
      dnorm(z) * pmax(d, 0)^(k - 1)
    }
    k * (integrate(f, -40, -w / 2, rel.tol = tol, abs.tol = 1e-15, subdivisions = 1000L)$value +
         integrate(f, -w / 2, 40, rel.tol = tol, abs.tol = 1e-15, subdivisions = 1000L)$value)
  }
  if (is.infinite(df)) return(range_cdf(q))
  # density of S = sqrt(X / df), X ~ chi^2_df, from dchisq (accurate for any df)
  g <- function(s) sapply(s, function(si) if (si <= 0) 0 else dchisq(df * si^2, df) * 2 * df * si * range_cdf(q * si))
  mode <- sqrt(max(df - 1, 0) / df)
  lo <- sqrt(qchisq(1e-30, df) / df); hi <- sqrt(qchisq(1e-30, df, lower.tail = FALSE) / df)
  integrate(g, lo, mode, rel.tol = tol, abs.tol = 1e-15, subdivisions = 1000L)$value +
    integrate(g, mode, hi, rel.tol = tol, abs.tol = 1e-15, subdivisions = 1000L)$value
}
qtukey_hp <- function(p, k, df) {
  start <- qtukey(p, k, df)  # documented good to 4 decimals: a bracket for the root
  uniroot(function(q) ptukey_hp(q, k, df) - p, c(start - 0.01, start + 0.01), tol = 1e-13,
          extendInt = "upX")$root
}
# Sanity of the high-precision route: for k = 2, Q = sqrt(2) |T| with T ~ t_df, and R's pt is
# accurate to double precision.
local({
  for (df in c(2, 3, 7.5, 1e6)) for (q in c(0.3, 2.5, 9)) {
    exact <- 1 - 2 * pt(q / sqrt(2), df, lower.tail = FALSE)
    stopifnot(abs(ptukey_hp(q, 2, df) - exact) < 1e-12)
  }
})

spread_ref <- function(y, g, centre) {
  d <- abs(y - ave(y, g, FUN = centre))
  # n = 2 per group: deviations from the median are equal within each group, so the test is
  # degenerate (zero residual variance); the C++ side must then report a message, not a number.
  if (sum((d - ave(d, g))^2) < 1e-20 * sum((d - mean(d))^2)) return(NULL)
  a <- anova(lm(d ~ g))
  list(F = a$`F value`[1], df1 = a$Df[1], df2 = a$Df[2], p = a$`Pr(>F)`[1])
}

# JT as cytopipe reports it: exact without ties up to 100 observations (as clinfun), else the
# normal approximation with the ties-corrected variance (both recorded when exact).
jt_one_factor <- function(y, g) {
  r <- jt_ref(y, g)
  r$exact <- !any(duplicated(y)) && length(y) <= 100
  if (r$exact) {
    e <- jt_tails(round(r$statistic), jt_exact_dist(as.numeric(table(g))))
    r$p_exact <- e$p; r$p_greater_exact <- e$p_greater; r$p_less_exact <- e$p_less
  }
  r
}

# --- one-factor data sets --------------------------------------------------------------------
# name, seed, group sizes, group means, group SDs, rounding digits (ties), dose levels.
specs <- list(
  list("balanced3_equalvar", 1, c(4, 4, 4), c(10, 11, 13), c(1, 1, 1), 6, c(0, 10, 100)),
  list("balanced4_equalvar", 2, c(5, 5, 5, 5), c(50, 52, 55, 60), c(3, 3, 3, 3), 6, c(0, 1, 10, 100)),
  list("balanced5_n3", 3, rep(3, 5), c(20, 20, 21, 23, 26), rep(2, 5), 6, c(0, 3, 10, 30, 100)),
  list("balanced6_n2", 4, rep(2, 6), c(5, 5.5, 6, 7, 8, 9), rep(0.5, 6), 6, c(0, 1, 3, 10, 30, 100)),
  list("unbalanced3", 5, c(3, 6, 9), c(1, 1.5, 2.5), c(0.4, 0.5, 0.6), 6, c(0, 10, 100)),
  list("unbalanced4", 6, c(2, 5, 3, 8), c(100, 90, 80, 85), c(10, 8, 12, 9), 6, c(0, 5, 25, 100)),
  list("unbalanced5", 7, c(10, 4, 7, 2, 5), c(3, 3.2, 3.1, 3.8, 4), c(0.3, 0.3, 0.3, 0.3, 0.3), 6, c(0, 1, 10, 50, 100)),
  list("unbalanced6", 8, c(4, 3, 6, 5, 2, 8), c(0, 0.5, 1, 1, 2, 3), rep(1, 6), 6, c(0, 1, 2, 5, 10, 20)),
  list("unequalvar3", 9, c(6, 6, 6), c(10, 12, 15), c(0.5, 2, 6), 6, c(0, 10, 100)),
  list("unequalvar4_unbal", 10, c(8, 4, 6, 10), c(40, 42, 47, 50), c(1, 5, 2, 9), 6, c(0, 1, 10, 100)),
  list("unequalvar5", 11, c(5, 5, 5, 5, 5), c(1, 2, 2, 3, 5), c(0.1, 0.4, 1, 2, 3), 6, c(0, 3, 10, 30, 100)),
  list("unequalvar6", 12, c(3, 7, 4, 9, 5, 6), c(60, 58, 55, 50, 45, 30), c(2, 3, 5, 8, 4, 10), 6, c(0, 1, 3, 10, 30, 100)),
  list("ties3_rounded", 13, c(6, 6, 6), c(5, 5.4, 6), c(0.5, 0.5, 0.5), 0, c(0, 10, 100)),
  list("ties4_rounded", 14, c(7, 5, 6, 8), c(10, 10.5, 11, 12), c(1, 1, 1, 1), 0, c(0, 1, 10, 100)),
  list("ties5_halves", 15, c(4, 4, 4, 4, 4), c(2, 2.3, 2.5, 3, 3.2), rep(0.4, 5), 1, c(0, 1, 10, 30, 100)),
  list("ties6_integers", 16, c(5, 3, 4, 6, 3, 5), c(3, 3, 4, 4, 5, 6), rep(1.2, 6), 0, c(0, 2, 5, 10, 20, 50)),
  list("nulleffect4", 17, c(5, 5, 5, 5), c(30, 30, 30, 30), c(4, 4, 4, 4), 6, c(0, 10, 50, 100)),
  list("strong3_n10", 18, c(10, 10, 10), c(20, 35, 70), c(5, 5, 5), 6, c(0, 10, 100)),
  list("decreasing5", 19, c(4, 6, 4, 6, 4), c(90, 80, 60, 40, 20), c(5, 6, 8, 6, 5), 6, c(0, 1, 10, 50, 100)),
  list("small_n2_3groups", 20, c(2, 2, 2), c(1, 2, 4), c(0.3, 0.3, 0.3), 6, c(0, 10, 100)),
  list("mixed_n2_10", 21, c(10, 2, 7, 3), c(14, 15, 16, 18), c(1.5, 1, 2, 1), 6, c(0, 1, 10, 100)),
  list("percent_like4", 22, c(3, 3, 3, 3), c(12.5, 14, 18, 26), c(1, 1.5, 2, 3), 2, c(0, 25, 50, 100)),
  list("mfi_like5", 23, c(3, 4, 3, 4, 3), c(1500, 1550, 1600, 1580, 1700), c(80, 100, 90, 120, 70), 0, c(0, 10, 25, 50, 100)),
  list("viability6", 24, c(3, 3, 3, 3, 3, 3), c(92, 91, 92, 90, 91, 89), c(1.5, 2, 1, 2.5, 1, 2), 1, c(0, 5, 10, 25, 50, 100))
)

gdunnett <- GenzBretz(maxpts = 5e5, abseps = 1e-5, releps = 0)
if (want("one_factor")) {
onefactor <- lapply(specs, function(s) {
  set.seed(s[[2]])
  n <- s[[3]]; lv <- as.character(s[[7]])
  y <- round(unlist(mapply(function(k, m, sd) rnorm(k, m, sd), n, s[[4]], s[[5]], SIMPLIFY = FALSE)), s[[6]])
  g <- factor(rep(lv, n), levels = lv)
  dose <- rep(s[[7]], n)
  groups <- lapply(seq_along(lv), function(i) list(label = lv[i], values = arr(y[g == lv[i]])))

  fit <- aov(y ~ g)
  a <- summary(fit)[[1]]
  anova_r <- list(F = a$`F value`[1], df1 = a$Df[1], df2 = a$Df[2], p = a$`Pr(>F)`[1])
  w <- oneway.test(y ~ g, var.equal = FALSE)
  welch_r <- list(F = unname(w$statistic), df1 = unname(w$parameter[1]), df2 = unname(w$parameter[2]), p = w$p.value)
  k <- kruskal.test(y ~ g)
  kw_r <- list(H = unname(k$statistic), df = unname(k$parameter), p = k$p.value)

  tk <- TukeyHSD(fit, "g", conf.level = 0.95)$g
  # The same q statistics as TukeyHSD, their p values and the 95 % critical value to high
  # precision (ptukey_hp), and where R's ptukey is off by more than 1e-6 (r_off).
  nn <- as.numeric(table(g)); kk <- length(lv); dfe <- fit$df.residual
  mse <- sum(residuals(fit)^2) / dfe
  se <- c()
  for (i in 1:(kk - 1)) for (j in (i + 1):kk) se <- c(se, sqrt(mse / 2 * (1 / nn[i] + 1 / nn[j])))
  q <- abs(tk[, "diff"]) / se
  p_hp <- 1 - vapply(q, function(qi) ptukey_hp(qi, kk, dfe), 0)
  crit_hp <- qtukey_hp(0.95, kk, dfe)
  tukey_r <- list(label = arr(rownames(tk)), diff = arr(tk[, "diff"]), lwr = arr(tk[, "lwr"]),
                  upr = arr(tk[, "upr"]), p = arr(tk[, "p adj"]), se = arr(unname(se)),
                  q = arr(unname(q)), p_hp = arr(unname(p_hp)),
                  r_off = arr(unname(abs(tk[, "p adj"] - p_hp) > 1e-6)),
                  crit_r = qtukey(0.95, kk, dfe), crit_hp = crit_hp,
                  lwr_hp = arr(unname(tk[, "diff"] - crit_hp * se)),
                  upr_hp = arr(unname(tk[, "diff"] + crit_hp * se)))

  pw <- function(method, pool) {
    pt <- pairwise.t.test(y, g, p.adjust.method = method, pool.sd = pool)$p.value
    # lower triangle, column-major: (2,1), (3,1), ..., (3,2), ... = pairs (j, i), i < j
    lab <- c(); p <- c()
    for (i in seq_len(ncol(pt))) for (j in i:nrow(pt)) {
      lab <- c(lab, paste(rownames(pt)[j], "-", colnames(pt)[i])); p <- c(p, pt[j, i])
    }
    list(label = arr(lab), p_adj = arr(p))
  }
  lvls <- levels(g)
  x0 <- y[g == lvls[1]]; x1 <- y[g == lvls[2]]
  st <- t.test(x1, x0, var.equal = TRUE); wt <- t.test(x1, x0, var.equal = FALSE)
  mw <- suppressWarnings(wilcox.test(x1, x0))
  mwg <- suppressWarnings(wilcox.test(x1, x0, alternative = "greater"))
  res <- residuals(fit)
  sw <- if (length(y) >= 3) shapiro.test(res) else NULL
  tr <- summary(lm(y ~ dose))
  trl <- summary(lm(y ~ log10(dose), subset = dose > 0))
  tro <- summary(lm(y ~ log10(dose + 1)))
  trend <- function(sm) list(intercept = sm$coefficients[1, 1], intercept_se = sm$coefficients[1, 2],
                             slope = sm$coefficients[2, 1], se = sm$coefficients[2, 2],
                             t = sm$coefficients[2, 3], p = sm$coefficients[2, 4],
                             df = sm$df[2], r2 = sm$r.squared)
  list(name = s[[1]], groups = groups,
       anova = anova_r, welch = welch_r, kruskal = kw_r, tukey = tukey_r,
       pairwise_pooled_holm = pw("holm", TRUE), pairwise_pooled_bh = pw("BH", TRUE),
       pairwise_pooled_bonferroni = pw("bonferroni", TRUE), pairwise_welch_holm = pw("holm", FALSE),
       dunn_holm = dunn_ref(y, g, "holm"), dunn_bh = dunn_ref(y, g, "BH"),
       student_t_1v0 = list(t = unname(st$statistic), df = unname(st$parameter), p = st$p.value,
                            lwr = st$conf.int[1], upr = st$conf.int[2]),
       welch_t_1v0 = list(t = unname(wt$statistic), df = unname(wt$parameter), p = wt$p.value,
                          lwr = wt$conf.int[1], upr = wt$conf.int[2]),
       mann_whitney_1v0 = list(W = unname(mw$statistic), p = mw$p.value, p_greater = mwg$p.value,
                               exact = length(unique(c(x0, x1))) == length(c(x0, x1))),
       shapiro_residuals = list(W = unname(sw$statistic), p = sw$p.value),
       levene = spread_ref(y, g, mean), brown_forsythe = spread_ref(y, g, median),
       trend = trend(tr), trend_log_exclude = trend(trl), trend_log_offset1 = trend(tro),
       jonckheere = jt_one_factor(y, g))
})
write_json(onefactor, "one_factor.json")
cat("wrote", length(onefactor), "one-factor sets\n")
}


# --- Shapiro-Wilk on raw samples of many sizes -------------------------------------------------
if (want("shapiro")) {
set.seed(101)
sw_sets <- lapply(c(3, 3, 4, 5, 6, 7, 8, 10, 11, 12, 15, 20, 30, 50, 100), function(n) {
  x <- switch(1 + n %% 3, rnorm(n), rexp(n), round(runif(n) * 10))
  if (length(unique(x)) < 2) x[1] <- x[1] + 1
  s <- shapiro.test(x)
  list(values = arr(x), W = unname(s$statistic), p = s$p.value)
})
write_json(sw_sets, "shapiro.json")
}

# --- p.adjust --------------------------------------------------------------------------------
if (want("p_adjust")) {
set.seed(102)
adj <- lapply(1:5, function(i) {
  p <- round(runif(3 + i * 2)^(i), 4)
  if (i == 2) p[3] <- p[1]
  list(p = arr(p), holm = arr(p.adjust(p, "holm")), bonferroni = arr(p.adjust(p, "bonferroni")),
       BH = arr(p.adjust(p, "BH")))
})
write_json(adj, "p_adjust.json")
}

# --- studentized range ------------------------------------------------------------------------
# R's ptukey / qtukey next to the high-precision values; r_off marks where R's ptukey is off by
# more than 1e-6 (R documents qtukey to 4 decimals and no accuracy for ptukey).
if (want("ptukey")) {
grid <- expand.grid(q = c(0.5, 1.5, 2.5, 3.3, 4.2, 5.5, 7), k = c(2, 3, 4, 6, 10), df = c(2, 5, 12, 30, 120, 1e6))
grid$p <- ptukey(grid$q, grid$k, grid$df)
grid$p_hp <- mapply(ptukey_hp, grid$q, grid$k, grid$df)
grid$r_off <- abs(grid$p - grid$p_hp) > 1e-6
qt_grid <- expand.grid(p = c(0.9, 0.95, 0.99), k = c(3, 5), df = c(4, 20))
qt_grid$q <- qtukey(qt_grid$p, qt_grid$k, qt_grid$df)
qt_grid$q_hp <- mapply(qtukey_hp, qt_grid$p, qt_grid$k, qt_grid$df)
write_json(list(ptukey = list(q = grid$q, k = grid$k, df = grid$df, p = grid$p, p_hp = grid$p_hp,
                              r_off = grid$r_off),
                qtukey = list(p = qt_grid$p, k = qt_grid$k, df = qt_grid$df, q = qt_grid$q,
                              q_hp = qt_grid$q_hp)),
           "ptukey.json")
off <- grid[grid$r_off, ]
cat("ptukey: R off by more than 1e-6 at", nrow(off), "of", nrow(grid), "grid points:\n")
print(transform(off, diff = p - p_hp), digits = 10)
cat("qtukey: max |R - high precision| =", max(abs(qt_grid$q - qt_grid$q_hp)), "\n")
}

# --- two-way ANOVA (cell line x dose), type II and III ---------------------------------------
# name, seed, cell sizes (lines x doses), interaction strength, SD per line, rounding digits.
if (want("two_way")) {
tw_specs <- list(
  list("balanced_2x3", 201, matrix(3, 2, 3)),
  list("balanced_2x4_n4", 202, matrix(4, 2, 4)),
  list("unbalanced_2x3", 203, matrix(c(3, 2, 4, 3, 5, 2), 2, 3)),
  list("unbalanced_3x4", 204, matrix(c(2, 3, 4, 3, 2, 5, 4, 3, 2, 3, 3, 4), 3, 4)),
  list("unbalanced_2x5", 205, matrix(c(3, 4, 2, 3, 5, 2, 3, 3, 4, 2), 2, 5)),
  list("balanced_3x3_n2", 206, matrix(2, 3, 3)),
  list("balanced_2x6_n2", 207, matrix(2, 2, 6)),
  list("balanced_3x5_n3_additive", 208, matrix(3, 3, 5), 0),
  list("balanced_2x3_n10", 209, matrix(10, 2, 3)),
  list("unbalanced_2x4_unequalvar", 210, matrix(c(2, 6, 4, 3, 5, 2, 7, 4), 2, 4), 1.5, c(0.5, 4)),
  list("unbalanced_3x3_ties", 211, matrix(c(3, 4, 2, 5, 3, 4, 2, 6, 3), 3, 3), 1.5, c(1.5, 1.5, 1.5), 0),
  list("unbalanced_2x6", 212, matrix(c(2, 3, 4, 2, 3, 5, 2, 2, 4, 3, 3, 2), 2, 6)),
  list("balanced_2x4_strong_interaction", 213, matrix(3, 2, 4), 5),
  list("unbalanced_3x6", 214, matrix(c(2, 3, 5, 4, 2, 3, 3, 4, 2, 5, 3, 2, 2, 2, 4, 3, 5, 2), 3, 6)),
  list("balanced_3x4_n5_ties", 215, matrix(5, 3, 4), 1.5, c(1.5, 1.5, 1.5), 1),
  list("unbalanced_2x3_n2_10", 216, matrix(c(2, 10, 5, 3, 8, 2), 2, 3)),
  list("balanced_2x5_n6_additive", 217, matrix(6, 2, 5), 0, c(2, 2)),
  list("unbalanced_3x3_unequalvar", 218, matrix(c(4, 2, 3, 3, 5, 2, 2, 3, 6), 3, 3), 1, c(1, 2, 4)),
  list("unbalanced_2x4_ties", 219, matrix(c(3, 5, 4, 2, 6, 3, 2, 4), 2, 4), 2, c(1.5, 1.5), 0),
  list("balanced_3x6_n2", 220, matrix(2, 3, 6), 0.5)
)
twoway <- lapply(tw_specs, function(s) {
  set.seed(s[[2]])
  cells <- s[[3]]; lines <- c("MM1S", "U266", "RPMI8226")[seq_len(nrow(cells))]
  inter <- if (length(s) >= 4) s[[4]] else 1.5
  sds <- if (length(s) >= 5) s[[5]] else rep(1.5, nrow(cells))
  digits <- if (length(s) >= 6) s[[6]] else 3
  doses <- c("0", "10", "25", "50", "100", "200")[seq_len(ncol(cells))]
  line <- c(); dose <- c(); y <- c()
  for (i in seq_len(nrow(cells))) for (j in seq_len(ncol(cells))) {
    m <- 10 + 3 * i + 2 * j + (i == 2) * j * inter
    line <- c(line, rep(lines[i], cells[i, j])); dose <- c(dose, rep(doses[j], cells[i, j]))
    y <- c(y, round(rnorm(cells[i, j], m, sds[i]), digits))
  }
  fd <- factor(dose, levels = doses); fl <- factor(line, levels = lines)
  # Type II: each main effect after the other; the interaction after both.
  a1 <- anova(lm(y ~ fl + fd + fl:fd)); a2 <- anova(lm(y ~ fd + fl + fd:fl))
  type2 <- list(dose = list(SS = a1$`Sum Sq`[2], df = a1$Df[2], F = a1$`F value`[2], p = a1$`Pr(>F)`[2]),
                line = list(SS = a2$`Sum Sq`[2], df = a2$Df[2], F = a2$`F value`[2], p = a2$`Pr(>F)`[2]),
                interaction = list(SS = a1$`Sum Sq`[3], df = a1$Df[3], F = a1$`F value`[3], p = a1$`Pr(>F)`[3]),
                residual_df = a1$Df[4], rss = a1$`Sum Sq`[4])
  full <- lm(y ~ fd * fl, contrasts = list(fd = contr.sum, fl = contr.sum))
  d3 <- drop1(full, . ~ ., test = "F")
  type3 <- list(dose = list(SS = d3$`Sum of Sq`[2], df = d3$Df[2], F = d3$`F value`[2], p = d3$`Pr(>F)`[2]),
                line = list(SS = d3$`Sum of Sq`[3], df = d3$Df[3], F = d3$`F value`[3], p = d3$`Pr(>F)`[3]),
                interaction = list(SS = d3$`Sum of Sq`[4], df = d3$Df[4], F = d3$`F value`[4], p = d3$`Pr(>F)`[4]))
  list(name = s[[1]], y = arr(y), dose = arr(dose), line = arr(line), type2 = type2, type3 = type3)
})
write_json(twoway, "two_way.json")
cat("wrote", length(twoway), "two-way sets\n")
}

# --- 4PL fits -----------------------------------------------------------------------------------
# name, seed, doses, replicates, true (bottom, top, EC50, hill) of
# y = bottom + (top - bottom) / (1 + (EC50 / x)^hill) (bottom > top: a falling curve), noise SD.
if (want("hill")) {
# The 4PL in the log-EC50 / hill parametrisation with its gradient; at dose 0 the logistic is 0
# (hill > 0) or 1 and its derivatives vanish (log 0 never enters).
fpl <- function(x, bottom, top, lec50, hill) {
  g <- plogis(hill * (log(x) - lec50)); s <- g * (1 - g); lx <- ifelse(x > 0, log(x), 0)
  v <- bottom + (top - bottom) * g
  attr(v, "gradient") <- cbind(bottom = 1 - g, top = g,
                               lec50 = ifelse(s == 0, 0, -(top - bottom) * hill * s),
                               hill = ifelse(s == 0, 0, (top - bottom) * s * (lx - lec50)))
  v
}
hill_specs <- list(
  list("rising_hill1", 301, c(0, 1, 3, 10, 30, 100, 300), 3, c(5, 95, 20, 1.0), 3),
  list("falling_hill1.5", 302, c(0.1, 0.3, 1, 3, 10, 30, 100), 3, c(100, 10, 4, -1.5), 4),
  list("rising_hill2_n2", 303, c(1, 2, 5, 10, 20, 50, 100, 200), 2, c(10, 60, 25, 2), 2),
  list("cytotox_like", 304, c(0, 5, 10, 25, 50, 100, 200), 3, c(8, 70, 40, 1.2), 5),
  list("bcma_like", 305, c(0, 1, 5, 10, 50, 100), 4, c(20, 45, 8, 0.9), 2),
  list("rising_hill0.8_wide", 306, 10^seq(-1, 3, by = 0.5), 2, c(0, 100, 10, 0.8), 2),
  list("rising_hill3_steep", 307, c(1, 2, 4, 8, 16, 32, 64), 3, c(5, 50, 10, 3), 1.5),
  list("falling_hill1_n2", 308, c(0, 0.5, 2, 8, 32, 128, 512), 2, c(90, 5, 20, 1), 3),
  list("falling_viability", 309, c(0, 1, 3, 10, 30, 100, 300, 1000), 3, c(95, 10, 50, 1.3), 3),
  list("rising_n4_low_noise", 310, c(0, 0.3, 1, 3, 10, 30, 100), 4, c(2, 40, 3, 1.1), 0.5),
  list("rising_ec50_low", 311, c(0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30), 2, c(10, 80, 0.2, 1), 2),
  list("rising_ec50_high", 312, c(1, 3, 10, 30, 100, 300, 1000, 3000), 2, c(0, 60, 300, 1.2), 2),
  list("falling_hill2", 313, c(0, 1, 2, 5, 10, 20, 50, 100), 3, c(100, 20, 10, 2), 4),
  list("rising_10doses_n2", 314, 2^(0:9), 2, c(15, 85, 40, 1.5), 3),
  list("rising_shallow_hill0.6", 315, 10^(-1:4), 3, c(5, 95, 30, 0.6), 2),
  list("falling_bcma_pct", 316, c(0, 0.1, 1, 10, 100, 1000), 4, c(40, 3, 5, 1), 1.5),
  list("cytokine_like", 317, c(0, 2, 6, 20, 60, 200, 600), 3, c(50, 2000, 60, 1.4), 60),
  list("rising_n2_7doses", 318, c(0, 1, 3, 10, 30, 100, 300), 2, c(1, 10, 15, 1), 0.3),
  list("falling_hill1.5_n3", 319, c(0.3, 1, 3, 10, 30, 100, 300), 3, c(70, 15, 12, 1.5), 2.5),
  list("rising_mfi", 320, c(0, 0.5, 1, 5, 10, 50, 100, 500), 2, c(300, 5000, 20, 1), 150)
)
hill <- lapply(hill_specs, function(s) {
  set.seed(s[[2]])
  x <- rep(s[[3]], each = s[[4]]); p <- s[[5]]
  y <- p[1] + (p[2] - p[1]) / (1 + (p[3] / x)^p[4]) + rnorm(length(x), 0, s[[6]])
  y <- round(y, 3)
  # With the analytic gradient (fpl): nls' numerical one is only good to ~1e-8, which stops
  # its convergence criterion short of 1e-9 and leaves estimates off by ~1e-6.
  fit_at <- function(tol) {
    nls(y ~ fpl(x, bottom, top, lec50, hill),
        start = list(bottom = p[1], top = p[2], lec50 = log(p[3]), hill = p[4]),
        control = nls.control(maxiter = 1000, tol = tol, minFactor = 1e-12))
  }
  ctl <- nls.control(maxiter = 1000, tol = 1e-8, minFactor = 1e-12)
  # The tightest tolerance nls reaches (its criterion has a floor of ~1e-10 to 1e-8 from the
  # conditioning of the gradient); recorded as nls_tolerance.
  f <- NULL
  for (tol in c(1e-10, 1e-9, 1e-8, 1e-7)) {
    f <- tryCatch(fit_at(tol), error = function(e) NULL)
    if (!is.null(f)) break
  }
  cf <- summary(f)$coefficients; df <- summary(f)$df[2]; q <- qt(0.975, df)
  # Same curve, canonical labels: bottom is the lower plateau, hill < 0 for a falling curve
  # ((bottom, top, hill) -> (top, bottom, -hill) is an exact identity of the model).
  if (cf[1, 1] > cf[2, 1]) { cf <- cf[c(2, 1, 3, 4), ]; cf[4, 1] <- -cf[4, 1] }
  # The same model in R's self-starting parametrisation, nls(y ~ SSfpl(log(x), A, B, xmid, scal))
  # (xmid = log EC50, scal = 1 / hill; A the response at low dose), for positive doses only
  # (SSfpl needs a finite log dose); its own starting values, so an independent fit.
  pos <- x > 0
  # (Self-start under nls' default control, whose own inner fit fails at tol 1e-8; then refined
  # from there to tol 1e-8.)
  ssf <- tryCatch({
    f0 <- nls(y ~ SSfpl(log(x), A, B, xmid, scal), subset = pos)
    summary(nls(y ~ SSfpl(log(x), A, B, xmid, scal), subset = pos, start = coef(f0), control = ctl))
  }, error = function(e) NULL)
  ssfpl <- if (is.null(ssf)) NULL else {
    c4 <- ssf$coefficients
    list(n = sum(pos), A = c4[1, 1], B = c4[2, 1], xmid = c4[3, 1], scal = c4[4, 1],
         se = arr(unname(c4[, 2])), sigma = ssf$sigma, df = ssf$df[2])
  }
  list(name = s[[1]], dose = arr(x), response = arr(y),
       estimate = arr(unname(cf[, 1])), se = arr(unname(cf[, 2])),
       lwr = arr(unname(cf[, 1] - q * cf[, 2])), upr = arr(unname(cf[, 1] + q * cf[, 2])),
       sigma = summary(f)$sigma, df = df, nls_tolerance = tol,
       r2 = 1 - sum(residuals(f)^2) / sum((y - mean(y))^2),
       ssfpl_positive_doses = ssfpl)
})
write_json(hill, "hill.json")
cat("wrote", length(hill), "4PL sets;", sum(!vapply(hill, function(h) is.null(h$ssfpl_positive_doses), TRUE)),
    "with an SSfpl fit\n")
}

# --- Jonckheere-Terpstra: exact distribution by enumeration ---------------------------------------
# Tiny designs without ties: the p values by plain enumeration of every assignment of the pooled
# ranks to the groups (independently of the dwilcox convolution, which must agree), and designs
# the test must hand to the normal approximation (ties; more than 100 observations).
if (want("jonckheere")) {
jt_designs <- list(
  list("n2_2_2", 401, c(2, 2, 2), c(0, 0.5, 1)),
  list("n3_3_3_increasing", 402, c(3, 3, 3), c(0, 1, 2)),
  list("n2_3_4", 403, c(2, 3, 4), c(0, 0.3, 0.6)),
  list("n4_3_2_decreasing", 404, c(4, 3, 2), c(2, 1, 0)),
  list("n1_3_3", 405, c(1, 3, 3), c(0, 0.5, 1.5)),
  list("n2_2_2_2_null", 406, c(2, 2, 2, 2), c(0, 0, 0, 0)),
  list("n3_2_2_3", 407, c(3, 2, 2, 3), c(0, 0.4, 0.8, 1.2)),
  list("n2_2_2_2_2", 408, c(2, 2, 2, 2, 2), c(0, 0.3, 0.6, 0.9, 1.2)),
  list("n2_3_3_perfect", 409, c(2, 3, 3), c(0, 10, 20)),
  list("n1_1_2_1_2_1_six_groups", 410, c(1, 1, 2, 1, 2, 1), c(0, 0.2, 0.4, 0.6, 0.8, 1))
)
jt_sets <- lapply(jt_designs, function(s) {
  set.seed(s[[2]])
  n <- s[[3]]; lv <- as.character(seq_along(n) - 1)
  y <- round(unlist(mapply(function(k, m) rnorm(k, m, 0.5), n, s[[4]], SIMPLIFY = FALSE)), 6)
  stopifnot(!any(duplicated(y)))
  g <- factor(rep(lv, n), levels = lv)
  J <- jt_stat(y, g); all <- jt_brute(n)
  brute <- list(p = min(1, 2 * min(mean(all <= J), mean(all >= J))), p_greater = mean(all >= J),
                p_less = mean(all <= J))
  conv <- jt_tails(J, jt_exact_dist(n))
  stopifnot(abs(unlist(conv) - unlist(brute)) < 1e-12)
  list(name = s[[1]], groups = lapply(seq_along(lv), function(i) list(label = lv[i], values = arr(y[g == lv[i]]))),
       statistic = J, permutations = length(all), exact = brute)
})
# Normal approximation: ties (rounded values), and 105 observations without ties.
jt_normal <- lapply(list(list("ties_n4_4_4", 411, c(4, 4, 4), 0), list("ties_n3_5_4_2", 412, c(3, 5, 4, 2), 0),
                         list("no_ties_n105", 413, c(35, 35, 35), 6)), function(s) {
  set.seed(s[[2]])
  n <- s[[3]]; lv <- as.character(seq_along(n) - 1)
  y <- round(unlist(lapply(seq_along(n), function(i) rnorm(n[i], i * 0.4, 1))) * 2, s[[4]]) / 2
  g <- factor(rep(lv, n), levels = lv)
  list(name = s[[1]], groups = lapply(seq_along(lv), function(i) list(label = lv[i], values = arr(y[g == lv[i]]))),
       ties = any(duplicated(y)), normal = jt_ref(y, g))
})
write_json(list(exact = jt_sets, normal = jt_normal), "jonckheere.json")
cat("wrote", length(jt_sets), "exact and", length(jt_normal), "normal-approximation JT sets\n")
}

# Dunnett (multcomp) separately: its randomised integration is the slow part. Single-step p and
# simultaneous CIs for all three alternatives (one-sided CIs are open on one side).
if (want("dunnett")) {
dunnett_sets <- lapply(specs, function(s) {
  set.seed(s[[2]])
  n <- s[[3]]; lv <- as.character(s[[7]])
  y <- round(unlist(mapply(function(k, m, sd) rnorm(k, m, sd), n, s[[4]], s[[5]], SIMPLIFY = FALSE)), s[[6]])
  g <- factor(rep(lv, n), levels = lv)
  fit <- aov(y ~ g)
  dun <- function(alt) {
    gl <- glht(fit, linfct = mcp(g = "Dunnett"), alternative = alt)
    set.seed(42)
    sm <- summary(gl, test = adjusted("single-step", algorithm = gdunnett))
    set.seed(42)
    cf <- confint(gl, level = 0.95, calpha = adjusted_calpha(algorithm = gdunnett))$confint
    list(estimate = arr(unname(sm$test$coefficients)), t = arr(unname(sm$test$tstat)),
         p = arr(unname(sm$test$pvalues)), lwr = arr(unname(cf[, "lwr"])), upr = arr(unname(cf[, "upr"])))
  }
  r <- list(name = s[[1]], n = arr(n), two_sided = dun("two.sided"), greater = dun("greater"),
            less = dun("less"))
  cat("dunnett", s[[1]], "\n")
  r
})
write_json(dunnett_sets, "dunnett.json")
}

# --- group summaries (tapply) ---------------------------------------------------------------------
# Per stratum x group: n, mean, SD, SEM = SD / sqrt(n), 95 % CI of the mean mean +- qt(0.975, n - 1)
# SEM, as tapply(y, list(line, dose), mean / sd / length) gives them. n = 1 groups have SD NA.
if (want("group_summary")) {
gs_specs <- list(
  list("two_lines_4doses", 501, matrix(c(3, 3, 4, 2, 3, 5, 2, 3), 2, 4), 50, 5, 4),
  list("mfi_like_large_values", 502, matrix(c(3, 4, 3, 3, 4, 3), 2, 3), 15000, 800, 1),
  list("with_n1_and_n2", 503, matrix(c(1, 2, 4, 2, 1, 3), 2, 3), 20, 3, 3),
  list("three_lines_small_pct", 504, matrix(c(2, 3, 4, 5, 3, 2, 4, 2, 3), 3, 3), 0.8, 0.3, 5)
)
gsum <- lapply(gs_specs, function(s) {
  set.seed(s[[2]])
  cells <- s[[3]]; lines <- c("MM1S", "U266", "RPMI8226")[seq_len(nrow(cells))]
  doses <- c("0", "25", "50", "100")[seq_len(ncol(cells))]
  line <- c(); dose <- c(); y <- c()
  for (i in seq_len(nrow(cells))) for (j in seq_len(ncol(cells))) {
    line <- c(line, rep(lines[i], cells[i, j])); dose <- c(dose, rep(doses[j], cells[i, j]))
    y <- c(y, round(rnorm(cells[i, j], s[[4]] * (1 + 0.1 * j), s[[5]]), s[[6]]))
  }
  fl <- factor(line, levels = lines); fd <- factor(dose, levels = doses)
  m <- tapply(y, list(fl, fd), mean); sdv <- tapply(y, list(fl, fd), sd)
  n <- tapply(y, list(fl, fd), length)
  rows <- list()
  for (i in seq_along(lines)) for (j in seq_along(doses)) {
    se <- sdv[i, j] / sqrt(n[i, j]); q <- if (n[i, j] > 1) qt(0.975, n[i, j] - 1) else NA
    rows[[length(rows) + 1]] <- list(stratum = lines[i], group = doses[j], n = n[i, j],
      mean = m[i, j], sd = sdv[i, j], sem = se, lwr = m[i, j] - q * se, upr = m[i, j] + q * se)
  }
  list(name = s[[1]], y = arr(y), dose = arr(dose), line = arr(line), summaries = rows)
})
write_json(gsum, "group_summary.json")
cat("wrote", length(gsum), "group-summary sets\n")
}

# --- t-tests of each group against the control, adjusted over the control family only -----------
# Raw p: pairwise.t.test (pooled SD over ALL groups, or Welch per pair) with no adjustment, the
# control's column after relevel(control); then p.adjust over those k - 1 p values. For contrast,
# the all-pairs family (pairwise.t.test(p.adjust.method = "holm")) restricted to the same column.
if (want("t_vs_control")) {
tc_specs <- list(
  list("four_doses_unbalanced", 601, c(3, 4, 3, 5), c(10, 11, 12.5, 14), c(1, 1.2, 0.8, 1.5), c("0", "10", "50", "100"), "0"),
  list("five_doses_n3", 602, rep(3, 5), c(20, 21, 23, 24, 26), rep(1.5, 5), c("0", "1", "10", "30", "100"), "0"),
  list("control_in_the_middle", 603, c(4, 4, 5, 3), c(5, 6, 5.2, 7), c(0.5, 0.6, 0.4, 0.8), c("low", "vehicle", "mid", "high"), "vehicle"),
  list("six_groups_mixed_n", 604, c(2, 5, 3, 4, 6, 3), c(50, 51, 53, 55, 54, 60), c(2, 2.5, 1.5, 3, 2, 2.5), c("0", "5", "10", "25", "50", "100"), "0"),
  list("three_groups_strong", 605, c(5, 5, 5), c(1, 3, 8), c(0.4, 0.5, 0.6), c("0", "10", "100"), "0")
)
tvc <- lapply(tc_specs, function(s) {
  set.seed(s[[2]])
  lv <- s[[6]]; n <- s[[3]]
  y <- round(unlist(mapply(function(k, m, sd) rnorm(k, m, sd), n, s[[4]], s[[5]], SIMPLIFY = FALSE)), 4)
  g <- factor(rep(lv, n), levels = lv)
  g0 <- relevel(g, ref = s[[7]])
  col <- function(method, pool) {
    p <- pairwise.t.test(y, g0, p.adjust.method = method, pool.sd = pool)$p.value[, 1]
    p
  }
  raw <- col("none", TRUE); others <- names(raw)
  mdiff <- vapply(others, function(l) mean(y[g == l]) - mean(y[g == s[[7]]]), 0)
  welch_raw <- col("none", FALSE)
  list(name = s[[1]], groups = lapply(seq_along(lv), function(i) list(label = lv[i], values = arr(y[g == lv[i]]))),
       control = s[[7]], label = arr(paste(others, "-", s[[7]])), estimate = arr(unname(mdiff)),
       p_raw = arr(unname(raw)), holm = arr(p.adjust(raw, "holm")),
       bonferroni = arr(p.adjust(raw, "bonferroni")), BH = arr(p.adjust(raw, "BH")),
       all_pairs_holm_control_column = arr(unname(col("holm", TRUE))),
       welch_p_raw = arr(unname(welch_raw)), welch_holm = arr(p.adjust(welch_raw, "holm")))
})
write_json(tvc, "t_vs_control.json")
cat("wrote", length(tvc), "t-vs-control sets\n")
}

# --- two-way ANOVA type I (sequential) on unbalanced designs -------------------------------------
# anova(lm(y ~ line * dose)): line first, then dose after line, then the interaction. Only designs
# where type I differs from type II (the dose term then differs: type II adjusts line for dose).
if (want("two_way_type1")) {
t1_specs <- list(
  list("unbalanced_2x3", 701, matrix(c(2, 5, 4, 2, 6, 3), 2, 3)),
  list("unbalanced_3x4", 702, matrix(c(2, 4, 3, 5, 2, 3, 4, 2, 6, 3, 2, 4), 3, 4)),
  list("unbalanced_2x5_strong", 703, matrix(c(6, 2, 3, 5, 2, 4, 5, 3, 2, 6), 2, 5)),
  list("unbalanced_3x3", 704, matrix(c(5, 2, 3, 2, 6, 3, 4, 3, 2), 3, 3))
)
tw1 <- lapply(t1_specs, function(s) {
  set.seed(s[[2]])
  cells <- s[[3]]; lines <- c("MM1S", "U266", "RPMI8226")[seq_len(nrow(cells))]
  doses <- c("0", "10", "25", "50", "100")[seq_len(ncol(cells))]
  line <- c(); dose <- c(); y <- c()
  for (i in seq_len(nrow(cells))) for (j in seq_len(ncol(cells))) {
    m <- 10 + 3 * i + 2 * j + (i == 2) * j * 1.5
    line <- c(line, rep(lines[i], cells[i, j])); dose <- c(dose, rep(doses[j], cells[i, j]))
    y <- c(y, round(rnorm(cells[i, j], m, 1.5), 3))
  }
  fl <- factor(line, levels = lines); fd <- factor(dose, levels = doses)
  a <- anova(lm(y ~ fl * fd))
  a2 <- anova(lm(y ~ fd * fl))  # type II of line = its sequential SS after dose
  stopifnot(abs(a$`Sum Sq`[1] - a2$`Sum Sq`[2]) > 1e-6 * a$`Sum Sq`[1])
  term <- function(i) list(SS = a$`Sum Sq`[i], df = a$Df[i], F = a$`F value`[i], p = a$`Pr(>F)`[i])
  list(name = s[[1]], y = arr(y), dose = arr(dose), line = arr(line),
       line_term = term(1), dose_term = term(2), interaction = term(3),
       residual_df = a$Df[4], rss = a$`Sum Sq`[4], line_type2_SS = a2$`Sum Sq`[2])
})
write_json(tw1, "two_way_type1.json")
cat("wrote", length(tw1), "type I two-way sets\n")
}

# --- 4PL on tables with a zero-dose control ------------------------------------------------------
# R's SSfpl fits on log dose and cannot take dose 0: the fit uses the positive doses (SSfpl's own
# start, then refined with the analytic gradient to tol 1e-10 where nls gets there); the control
# group's mean and n are recorded beside it. Sets with fewer than 5 distinct positive doses record
# R's error message instead.
if (want("hill_zero_dose")) {
fpl4 <- function(x, bottom, top, lec50, hill) {
  g <- plogis(hill * (log(x) - lec50)); s <- g * (1 - g)
  v <- bottom + (top - bottom) * g
  attr(v, "gradient") <- cbind(bottom = 1 - g, top = g, lec50 = -(top - bottom) * hill * s,
                               hill = (top - bottom) * s * (log(x) - lec50))
  v
}
hz_specs <- list(
  list("rising_zero_control", 801, c(0, 1, 3, 10, 30, 100, 300), 3, c(5, 95, 20, 1.0), 3),
  list("falling_zero_control", 802, c(0, 0.5, 2, 8, 32, 128, 512), 3, c(90, 8, 15, 1.2), 3),
  list("bcma_like_zero_control", 803, c(0, 1, 5, 10, 50, 100), 4, c(20, 45, 8, 0.9), 1.5),
  list("cytotox_zero_control", 804, c(0, 5, 10, 25, 50, 100, 200), 3, c(8, 70, 40, 1.4), 4),
  list("viability_zero_control_n2", 805, c(0, 1, 3, 10, 30, 100, 300, 1000), 2, c(95, 10, 50, 1.3), 3),
  list("four_positive_doses", 806, c(0, 10, 25, 50, 100), 3, c(5, 90, 30, 1.5), 2)
)
hz <- lapply(hz_specs, function(s) {
  set.seed(s[[2]])
  x <- rep(s[[3]], each = s[[4]]); p <- s[[5]]
  y <- round(p[1] + (p[2] - p[1]) / (1 + (p[3] / x)^p[4]) + rnorm(length(x), 0, s[[6]]), 3)
  pos <- x > 0
  out <- list(name = s[[1]], dose = arr(x), response = arr(y), control_n = sum(!pos),
              control_mean = mean(y[!pos]), control_sd = sd(y[!pos]))
  xp <- x[pos]; yp <- y[pos]
  f0 <- tryCatch(nls(yp ~ SSfpl(log(xp), A, B, xmid, scal)), error = function(e) conditionMessage(e))
  if (is.character(f0)) { out$error <- f0; return(out) }
  c0 <- coef(f0)
  f <- NULL
  for (tol in c(1e-10, 1e-9, 1e-8)) {
    f <- tryCatch(nls(yp ~ fpl4(xp, bottom, top, lec50, hill),
                      start = list(bottom = c0[["A"]], top = c0[["B"]], lec50 = c0[["xmid"]], hill = 1 / c0[["scal"]]),
                      control = nls.control(maxiter = 1000, tol = tol, minFactor = 1e-12)),
                  error = function(e) NULL)
    if (!is.null(f)) break
  }
  stopifnot(!is.null(f))
  cf <- summary(f)$coefficients; df <- summary(f)$df[2]; q <- qt(0.975, df)
  stopifnot(max(abs(cf[, 1] - c(c0[["A"]], c0[["B"]], c0[["xmid"]], 1 / c0[["scal"]])) /
                pmax(1, abs(cf[, 1]))) < 1e-4)  # the same optimum as SSfpl's fit
  if (cf[1, 1] > cf[2, 1]) { cf <- cf[c(2, 1, 3, 4), ]; cf[4, 1] <- -cf[4, 1] }
  c(out, list(n = sum(pos), estimate = arr(unname(cf[, 1])), se = arr(unname(cf[, 2])),
              lwr = arr(unname(cf[, 1] - q * cf[, 2])), upr = arr(unname(cf[, 1] + q * cf[, 2])),
              sigma = summary(f)$sigma, df = df, nls_tolerance = tol,
              ssfpl = arr(unname(c0))))
})
write_json(hz, "hill_zero_dose.json")
cat("wrote", length(hz), "zero-dose 4PL sets\n")
}
