"""The model's building blocks: one module per part of the investment model, each declaring its components."""
