"""One body's year of data: the model, params files read and written, the params tree, diagnostics.

Nothing here knows about reports, checks or outputs; every other folder of xxgk builds on it.
"""
