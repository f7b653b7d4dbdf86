"""One round, end to end: the chain candidates → rules → model → solve → audit → explain as one
call (`chain.solve`), the step after every solve (`finish`: audit, explain, summary) and the
`Result` a user gets back (`result`).
"""
