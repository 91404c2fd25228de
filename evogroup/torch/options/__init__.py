"""The settings of a training, torch-free: option choices, the options every weight-sharing
backend declares, and the recipes merged from them.

Imports the core only (never torch, nor another part of the torch floor), so a backend can
list its options without importing torch.
"""
