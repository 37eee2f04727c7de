import Grid
