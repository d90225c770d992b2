#!/usr/bin/env Rscript
# Golden values for tests/stats: R's own functions (aov, oneway.test, TukeyHSD, ptukey,
# kruskal.test, wilcox.test, t.test, pairwise.t.test, p.adjust, multcomp::glht, nls,
# shapiro.test, lm, drop1) and, where R has no function, the textbook definition written out
# here in plain R, independently of the C++ code (Dunn, Jonckheere-Terpstra, Levene and
# Brown-Forsythe, type II sums of squares).
#
# Usage (from the repository root): Rscript tests/stats/make_golden.R
# Writes tests/stats/golden/*.json. Needs only r-base-core and r-cran-multcomp.
suppressMessages(library(multcomp))
out_dir <- file.path("tests", "stats", "golden")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

# --- a minimal JSON writer (jsonlite is not installed) --------------------------------------
num <- function(x) {
  if (length(x) == 0) return("[]")
  s <- ifelse(is.na(x), "null", ifelse(is.infinite(x), ifelse(x > 0, "1e999", "-1e999"),
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
spread_ref <- function(y, g, centre) {
  d <- abs(y - ave(y, g, FUN = centre))
  # n = 2 per group: deviations from the median are equal within each group, so the test is
  # degenerate (zero residual variance); the C++ side must then report a message, not a number.
  if (sum((d - ave(d, g))^2) < 1e-20 * sum((d - mean(d))^2)) return(NULL)
  a <- anova(lm(d ~ g))
  list(F = a$`F value`[1], df1 = a$Df[1], df2 = a$Df[2], p = a$`Pr(>F)`[1])
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
  tukey_r <- list(label = arr(rownames(tk)), diff = arr(tk[, "diff"]), lwr = arr(tk[, "lwr"]),
                  upr = arr(tk[, "upr"]), p = arr(tk[, "p adj"]))

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
       jonckheere = jt_ref(y, g))
})
write_json(onefactor, "one_factor.json")


# --- Shapiro-Wilk on raw samples of many sizes -------------------------------------------------
set.seed(101)
sw_sets <- lapply(c(3, 3, 4, 5, 6, 7, 8, 10, 11, 12, 15, 20, 30, 50, 100), function(n) {
  x <- switch(1 + n %% 3, rnorm(n), rexp(n), round(runif(n) * 10))
  if (length(unique(x)) < 2) x[1] <- x[1] + 1
  s <- shapiro.test(x)
  list(values = arr(x), W = unname(s$statistic), p = s$p.value)
})
write_json(sw_sets, "shapiro.json")

# --- p.adjust --------------------------------------------------------------------------------
set.seed(102)
adj <- lapply(1:5, function(i) {
  p <- round(runif(3 + i * 2)^(i), 4)
  if (i == 2) p[3] <- p[1]
  list(p = arr(p), holm = arr(p.adjust(p, "holm")), bonferroni = arr(p.adjust(p, "bonferroni")),
       BH = arr(p.adjust(p, "BH")))
})
write_json(adj, "p_adjust.json")

# --- studentized range ------------------------------------------------------------------------
grid <- expand.grid(q = c(0.5, 1.5, 2.5, 3.3, 4.2, 5.5, 7), k = c(2, 3, 4, 6, 10), df = c(2, 5, 12, 30, 120, 1e6))
grid$p <- ptukey(grid$q, grid$k, grid$df)
qt_grid <- expand.grid(p = c(0.9, 0.95, 0.99), k = c(3, 5), df = c(4, 20))
qt_grid$q <- qtukey(qt_grid$p, qt_grid$k, qt_grid$df)
write_json(list(ptukey = list(q = grid$q, k = grid$k, df = grid$df, p = grid$p),
                qtukey = list(p = qt_grid$p, k = qt_grid$k, df = qt_grid$df, q = qt_grid$q)),
           "ptukey.json")

# --- two-way ANOVA (cell line x dose), type II and III ---------------------------------------
tw_specs <- list(
  list("balanced_2x3", 201, matrix(3, 2, 3)),
  list("balanced_2x4_n4", 202, matrix(4, 2, 4)),
  list("unbalanced_2x3", 203, matrix(c(3, 2, 4, 3, 5, 2), 2, 3)),
  list("unbalanced_3x4", 204, matrix(c(2, 3, 4, 3, 2, 5, 4, 3, 2, 3, 3, 4), 3, 4)),
  list("unbalanced_2x5", 205, matrix(c(3, 4, 2, 3, 5, 2, 3, 3, 4, 2), 2, 5))
)
twoway <- lapply(tw_specs, function(s) {
  set.seed(s[[2]])
  cells <- s[[3]]; lines <- c("MM1S", "U266", "RPMI8226")[seq_len(nrow(cells))]
  doses <- c("0", "10", "25", "50", "100")[seq_len(ncol(cells))]
  line <- c(); dose <- c(); y <- c()
  for (i in seq_len(nrow(cells))) for (j in seq_len(ncol(cells))) {
    m <- 10 + 3 * i + 2 * j + (i == 2) * j * 1.5
    line <- c(line, rep(lines[i], cells[i, j])); dose <- c(dose, rep(doses[j], cells[i, j]))
    y <- c(y, round(rnorm(cells[i, j], m, 1.5), 3))
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

# --- 4PL fits -----------------------------------------------------------------------------------
hill_specs <- list(
  list("rising_hill1", 301, c(0, 1, 3, 10, 30, 100, 300), 3, c(5, 95, 20, 1.0), 3),
  list("falling_hill1.5", 302, c(0.1, 0.3, 1, 3, 10, 30, 100), 3, c(100, 10, 4, -1.5), 4),
  list("rising_hill2_n2", 303, c(1, 2, 5, 10, 20, 50, 100, 200), 2, c(10, 60, 25, 2), 2),
  list("cytotox_like", 304, c(0, 5, 10, 25, 50, 100, 200), 3, c(8, 70, 40, 1.2), 5),
  list("bcma_like", 305, c(0, 1, 5, 10, 50, 100), 4, c(20, 45, 8, 0.9), 2)
)
hill <- lapply(hill_specs, function(s) {
  set.seed(s[[2]])
  x <- rep(s[[3]], each = s[[4]]); p <- s[[5]]
  y <- p[1] + (p[2] - p[1]) / (1 + (p[3] / x)^p[4]) + rnorm(length(x), 0, s[[6]])
  y <- round(y, 3)
  fit_at <- function(tol) {
    nls(y ~ bottom + (top - bottom) / (1 + exp(hill * (lec50 - log(x)))),
        start = list(bottom = p[1], top = p[2], lec50 = log(p[3]), hill = p[4]),
        control = nls.control(maxiter = 1000, tol = tol, minFactor = 1e-12))
  }
  ctl <- nls.control(maxiter = 1000, tol = 1e-8, minFactor = 1e-12)
  f <- tryCatch(fit_at(1e-9), error = function(e) fit_at(1e-7))
  cf <- summary(f)$coefficients; df <- summary(f)$df[2]; q <- qt(0.975, df)
  # Same curve, canonical labels: bottom is the lower plateau, hill < 0 for a falling curve
  # ((bottom, top, hill) -> (top, bottom, -hill) is an exact identity of the model).
  if (cf[1, 1] > cf[2, 1]) { cf <- cf[c(2, 1, 3, 4), ]; cf[4, 1] <- -cf[4, 1] }
  # The same model in R's self-starting parametrisation (xmid = log EC50, scal = 1 / hill) for
  # positive doses only (SSfpl needs finite log dose).
  pos <- x > 0
  ssf <- tryCatch(coef(nls(y ~ SSfpl(log(x), A, B, xmid, scal), subset = pos, control = ctl)),
                  error = function(e) NULL)
  list(name = s[[1]], dose = arr(x), response = arr(y),
       estimate = arr(unname(cf[, 1])), se = arr(unname(cf[, 2])),
       lwr = arr(unname(cf[, 1] - q * cf[, 2])), upr = arr(unname(cf[, 1] + q * cf[, 2])),
       sigma = summary(f)$sigma, df = df,
       r2 = 1 - sum(residuals(f)^2) / sum((y - mean(y))^2),
       ssfpl_positive_doses = if (is.null(ssf)) NULL else arr(unname(ssf)))
})
write_json(hill, "hill.json")
cat("wrote", length(onefactor), "one-factor sets,", length(twoway), "two-way sets,",
    length(hill), "4PL sets to", out_dir, "\n")

# Dunnett (multcomp) separately: its randomised integration is the slow part. Single-step p for
# all three alternatives; simultaneous CIs for the two-sided test.
dunnett_sets <- lapply(specs, function(s) {
  set.seed(s[[2]])
  n <- s[[3]]; lv <- as.character(s[[7]])
  y <- round(unlist(mapply(function(k, m, sd) rnorm(k, m, sd), n, s[[4]], s[[5]], SIMPLIFY = FALSE)), s[[6]])
  g <- factor(rep(lv, n), levels = lv)
  fit <- aov(y ~ g)
  dun <- function(alt, ci) {
    gl <- glht(fit, linfct = mcp(g = "Dunnett"), alternative = alt)
    set.seed(42)
    sm <- summary(gl, test = adjusted("single-step", algorithm = gdunnett))
    r <- list(estimate = arr(unname(sm$test$coefficients)), t = arr(unname(sm$test$tstat)),
              p = arr(unname(sm$test$pvalues)))
    if (ci) {
      set.seed(42)
      cf <- confint(gl, level = 0.95, calpha = adjusted_calpha(algorithm = gdunnett))$confint
      r$lwr <- arr(unname(cf[, "lwr"])); r$upr <- arr(unname(cf[, "upr"]))
    }
    r
  }
  r <- list(name = s[[1]], two_sided = dun("two.sided", TRUE), greater = dun("greater", FALSE),
            less = dun("less", FALSE))
  cat("dunnett", s[[1]], "\n")
  r
})
write_json(dunnett_sets, "dunnett.json")
