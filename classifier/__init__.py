"""Failure-type model: training, evaluation, model registry, prediction, explanations."""
