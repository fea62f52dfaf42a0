"""The Sweep screen's parts: the grid of cells and the board around it."""
