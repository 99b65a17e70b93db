# Bayesian model averaging of hierarchical log-linear models with R's conting (Overstall &
# King 2014; Debian's r-cran-conting, which .ci/run installs), on one of conting's data sets
# summed over its covariates, leaving the lists that dga averages over:
#   spina     spina bifida in upstate New York: 3 lists, summed over ethnicity (621 cases)
#   ScotPWID  people who inject drugs in Scotland, 2006: 4 lists, summed over region, sex
#             and age group (5,670 people)
#
# conting's model space is every hierarchical model with at most the two-way interactions,
# with the Sabanes-Bove & Held prior on the log-linear parameters (its default), sampled by
# reversible-jump MCMC with data augmentation of the missing cell; the first tenth of the
# iterations is burn-in.
#
# Usage: Rscript conting_bict.R DATA [iterations] [seed]
# Prints the posterior 2.5%, 50% and 97.5% quantiles of N (R's type 1) and the most
# probable model's two-way interactions, one "key value" per line.
args <- commandArgs(trailingOnly = TRUE)
name <- args[1]
iterations <- if (length(args) >= 2) as.integer(args[2]) else 1000L
seed <- if (length(args) >= 3) as.integer(args[3]) else 2014L
suppressMessages(library(conting))
data(list = name)
table <- get(name)
sources <- grep("^S[0-9]$", names(table), value = TRUE)
summed <- aggregate(as.formula(paste("y ~", paste(sources, collapse = " + "))), data = table,
                    FUN = sum, na.action = na.pass)
set.seed(seed)
maximal <- as.formula(paste("y ~ (", paste(sources, collapse = " + "), ")^2"))
fit <- bict(formula = maximal, data = summed, n.sample = iterations, prior = "SBH")
burn_in <- iterations %/% 10
total <- total_pop(fit, n.burnin = burn_in)$TOT
q <- quantile(total, c(0.025, 0.5, 0.975), type = 1)
models <- mod_probs(fit, n.burnin = burn_in)$table
terms <- attr(terms(as.formula(models$model_formula[1])), "term.labels")
cat(sprintf("low %d\nmedian %d\nhigh %d\n", q[[1]], q[[2]], q[[3]]))
cat(sprintf("top_model %s\ntop_probability %.3f\n", paste(terms[grepl(":", terms)],
    collapse = ","), models$prob.Freq[1]))
