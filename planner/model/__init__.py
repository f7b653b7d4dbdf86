"""The model: a round's rules turned into a CP-SAT model (`build`), its objectives and exact
tie-break (`objective`), and the structure read off it — linear rows and independent
components (`components`).

Builds models; never solves them (that is `planner.solve`, the one door to the solver).
"""
