# Goldens of test_number_format.cpp: R's format(x, digits = 4) and format.pval(p, digits = 2).
# Rscript tests/plot/golden/number_format.R
x <- c(0.03478972192, 123456.789, 12.5, 1e-5, 0.000123456, -2.718281828, 100, 0.1 + 0.2,
       1234567890, 9.99996, -0.000012345)
for (v in x) cat(sprintf("%.17g", v), format(v, digits = 4), "\n")
p <- c(0.5678, 0.0123, 1.234e-05, 0.000123, 0.05, 1, 0.999, 3e-12, 0.04996)
for (v in p) cat(sprintf("%.17g", v), format.pval(v, digits = 2), "\n")
