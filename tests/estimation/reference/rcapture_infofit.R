# Rcapture's infoFit codes of closedpMS.t, computed with base R's glm (CRAN, and so
# Rcapture, is not reachable from the build machine).
#
# The conditions are those of Rcapture 1.4 (R/internal.DRY.R: glm.call, closedp.fitone,
# getBiasWarn, getInfo): every warning of glm(family = poisson) with R's default control
# (maxit 25), "design matrix not of full rank" when glm aliases a coefficient, and "the
# asymptotic bias is large" when |bias| > 0.1 N; a warning mentioning "converge" or the
# bias is code 1, the rank code 2, any other warning code 3 (codes joined: "13").
#
# Usage: Rscript rcapture_infofit.R cells.csv models.txt > infofit.csv
#   cells.csv: columns c1..ck and freq, one row per observable history
#   models.txt: one model name per line in Rcapture's notation, e.g. [12,3,4]
args <- commandArgs(trailingOnly = TRUE)
cells <- read.csv(args[1])
models <- readLines(args[2])
k <- ncol(cells) - 1
Y <- cells$freq
n <- sum(Y)

formula_of <- function(name) {
  body <- substr(name, 2, nchar(name) - 1)
  terms <- strsplit(body, ",")[[1]]
  parts <- vapply(terms, function(t) paste0("c", strsplit(t, "")[[1]], collapse = "*"), "")
  as.formula(paste("Y ~", paste(parts, collapse = " + ")))
}

info_of <- function(name) {
  warn <- NULL
  fit <- withCallingHandlers(
    glm(formula_of(name), data = cells, family = poisson),
    warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") }
  )
  if (any(is.na(coef(fit)))) {
    warn <- c(warn, "design matrix not of full rank")
  } else {
    V <- vcov(fit)
    X <- model.matrix(fit)
    xi <- -0.5 * diag(X %*% V %*% t(X))
    psi <- -2 * t(X) %*% diag(fitted(fit)) %*% xi
    psi[1] <- psi[1] - 1
    bias <- 0.5 * exp(coef(fit)[1]) * (-V %*% psi)[1]
    N <- n + exp(coef(fit)[1])
    if (abs(bias) > 0.1 * N) warn <- c(warn, "the asymptotic bias is large")
  }
  if (is.null(warn)) return("0")
  code <- ifelse(grepl("converge", warn) | grepl("asymptotic bias", warn), 1,
                 ifelse(grepl("not of full rank", warn), 2, 3))
  paste(sort(unique(code)), collapse = "")
}

cat("model,info_fit\n")
for (name in models) cat(sprintf("\"%s\",%s\n", name, info_of(name)))
