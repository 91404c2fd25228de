"""The search core: space, cost, problem, operators, the loop, its state and result.

Torch-free, and it imports no other part of evogroup."""
