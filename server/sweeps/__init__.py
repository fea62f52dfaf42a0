"""Sweeps: one job per combination of up to three parameters' values, followed as a grid, and a
contact sheet of the results when every cell has ended."""
